"""Inbound messages: each Telegram update is handled once, and none is lost if a backend fails.

The bot claims an update by its id before doing anything. A repeated update id (Telegram
re-delivering after a timeout, a webhook retry) finds the claim and is ignored. A message that
could not be answered because Rasa or the action server was down stays ``failed`` and is retried.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from retail.clock import Clock
from retail.models import InboundUpdate

MAX_ATTEMPTS = 10


def claim_update(
    session: Session,
    *,
    update_id: int,
    telegram_user_id: int,
    chat_id: int,
    text: str,
    language: str,
    clock: Clock,
) -> bool:
    """Record an update before handling it; False if it was already claimed (a duplicate)."""
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
                received_at=clock.now(),
            )
        )
        session.flush()
    except IntegrityError:
        nested.rollback()
        return False
    nested.commit()
    return True


def mark_answered(session: Session, update_id: int, *, clock: Clock) -> None:
    """The user got their answer."""
    update = session.get(InboundUpdate, update_id)
    if update is not None:
        update.status = "answered"
        update.done_at = clock.now()


def mark_failed(session: Session, update_id: int) -> None:
    """The backend could not answer; the update stays for :func:`updates_to_retry`."""
    update = session.get(InboundUpdate, update_id)
    if update is not None:
        update.status = "failed"
        update.attempts += 1
        if update.attempts >= MAX_ATTEMPTS:
            update.status = "abandoned"


def updates_to_retry(
    session: Session, *, clock: Clock, within: timedelta, limit: int = 50
) -> list[InboundUpdate]:
    """Failed updates young enough that an answer is still useful, oldest first."""
    return list(
        session.scalars(
            select(InboundUpdate)
            .where(
                InboundUpdate.status == "failed",
                InboundUpdate.received_at >= clock.now() - within,
            )
            .order_by(InboundUpdate.update_id)
            .limit(limit)
        )
    )
