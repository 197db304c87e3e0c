"""Inbound messages: each Telegram update is handled once, and none is lost if a backend fails.

The bot claims an update by its id before doing anything. A repeated update id (Telegram
re-delivering after a timeout, a webhook retry) finds the claim and is ignored.

Every claimed update ends in one of the final states below, or is retried:

- ``received``: claimed, not finished yet. Normally the bot is still on it; if it stays so for
  longer than the bot's "unanswered" threshold, the bot died (or its reply never went out) and
  the update is retried.
- ``failed``: Rasa, the action server or the network to Telegram failed; retried.
- ``answered``, ``throttled`` (over the user's inbound rate), ``ignored`` (a stranger's extra
  messages, nothing to send), ``undeliverable`` (the user blocked the bot or the chat is gone):
  final, never retried.

Retries go on for as long as the retry window says, however many attempts that takes;
``attempts`` counts them for reports only.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from retail.clock import Clock
from retail.models import InboundUpdate

RECEIVED = "received"
FAILED = "failed"
ANSWERED = "answered"
THROTTLED = "throttled"
IGNORED = "ignored"
UNDELIVERABLE = "undeliverable"
FINAL = frozenset({ANSWERED, THROTTLED, IGNORED, UNDELIVERABLE})


def claim_update(
    session: Session,
    *,
    update_id: int,
    telegram_user_id: int,
    chat_id: int,
    text: str,
    language: str,
    clock: Clock,
    written_at: datetime | None = None,
    tap: bool = False,
) -> bool:
    """Record an update before handling it; False if it was already claimed (a duplicate).
    ``written_at`` (the Telegram message date) and ``tap`` (a button tap) let a retry send
    what the first attempt sent."""
    if session.get(InboundUpdate, update_id) is not None:
        return False
    nested = session.begin_nested()
    try:
        session.add(
            InboundUpdate(
                update_id=update_id,
                telegram_user_id=telegram_user_id,
                chat_id=chat_id,
                text=text,
                language=language,
                status=RECEIVED,
                received_at=clock.now(),
                written_at=written_at,
                tap=tap,
            )
        )
        session.flush()
    except IntegrityError:
        nested.rollback()
        return False
    nested.commit()
    return True


def record_transcript(session: Session, update_id: int, *, text: str, language: str) -> None:
    """Keep a voice note's transcript (and the language it reads in) on its claimed update, so
    a retry after a Rasa outage resends what the user said, in their language."""
    update = session.get(InboundUpdate, update_id)
    if update is not None:
        update.text = text
        update.language = language


def mark_answered(session: Session, update_id: int, *, clock: Clock) -> None:
    """The user got their answer."""
    finish(session, update_id, ANSWERED, clock=clock)


def finish(session: Session, update_id: int, status: str, *, clock: Clock) -> None:
    """End an update in one of the :data:`FINAL` states: it is never retried again."""
    if status not in FINAL:
        raise ValueError(f"not a final inbound status: {status}")
    update = session.get(InboundUpdate, update_id)
    if update is not None:
        update.status = status
        update.done_at = clock.now()


def mark_failed(session: Session, update_id: int) -> None:
    """The backend (or the way back to Telegram) failed; :func:`updates_to_retry` returns the
    update until the retry window closes. No attempt cap: the window alone ends the retries."""
    update = session.get(InboundUpdate, update_id)
    if update is not None:
        update.status = FAILED
        update.attempts += 1


def updates_to_retry(
    session: Session,
    *,
    clock: Clock,
    within: timedelta,
    unanswered_after: timedelta | None = None,
    busy: Collection[int] = (),
    limit: int = 50,
) -> list[InboundUpdate]:
    """Updates to try again, oldest first: ``failed`` ones, and (with ``unanswered_after``)
    ``received`` ones older than that, which nobody is working on any more. Only updates that
    arrived within ``within`` (an old answer is no use), never those in ``busy`` (still being
    handled by this process)."""
    now = clock.now()
    waiting = InboundUpdate.status == FAILED
    if unanswered_after is not None:
        stalled = and_(
            InboundUpdate.status == RECEIVED, InboundUpdate.received_at <= now - unanswered_after
        )
        waiting = or_(waiting, stalled)
    query = select(InboundUpdate).where(waiting, InboundUpdate.received_at >= now - within)
    if busy:
        query = query.where(InboundUpdate.update_id.not_in(list(busy)))
    return list(session.scalars(query.order_by(InboundUpdate.update_id).limit(limit)))
