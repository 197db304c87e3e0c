"""The outbox: every push message (reminder, notice to a manager) is a row before it is sent.

Writers call :func:`enqueue` inside their own transaction, so a message exists if and only if
the change that caused it was committed. The dedupe key makes enqueueing idempotent: planning
the same reminder twice stores it once. Senders (bot/) drain the pending rows.

A row moves ``pending -> claimed -> sending -> sent`` (or ``blocked``, ``failed``, back to
``pending`` for a retry, ``cancelled`` by the planner, ``expired`` when it is no longer worth
sending). Claiming is one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``, so on
PostgreSQL concurrent senders never claim the same row; SQLite takes its single write lock for
the same statement. A claim is a lease: rows a crashed sender held become claimable again after
``lease``. A live sender renews the leases of every row it holds (:func:`renew_leases`), also
while it waits out a 429, and checks it still holds a row before sending it, so a sender that is
merely waiting never loses a row to another one. A row is ``sending`` only while its request is
in flight; if a sender dies then, the row is sent again after the lease (at least once: a
reminder may arrive twice, never not at all) and ``interrupted`` counts it. A row marked ``sent``
is never claimed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from retail.clock import Clock
from retail.models import OutboxMessage

PENDING = "pending"
CLAIMED = "claimed"
SENDING = "sending"
SENT = "sent"
BLOCKED = "blocked"
FAILED = "failed"
CANCELLED = "cancelled"
EXPIRED = "expired"
FINAL = frozenset({SENT, BLOCKED, FAILED, CANCELLED, EXPIRED})
MAX_RETRY_DELAY = timedelta(minutes=10)
INTERRUPTED_NOTE = "send interrupted by a sender crash; sent again (may arrive twice)"


@dataclass(frozen=True)
class PushButton:
    """A button under a pushed message. ``payload`` says what a tap means: a name the front end
    maps to its own message (a reminder's :class:`retail.reminders.ButtonAction`), or the message
    itself when an adapter built the button (it starts with "/")."""

    title: str
    payload: str


@dataclass(frozen=True)
class NewMessage:
    """A message to enqueue with :func:`enqueue_many` (the keywords of :func:`enqueue`)."""

    dedupe_key: str
    kind: str
    chat_id: int
    language: str
    text: str
    retailer_id: int | None = None
    cycle: str = ""
    buttons: tuple[PushButton, ...] = ()
    not_before: datetime | None = None
    expires_at: datetime | None = None
    priority: int = 5


@dataclass(frozen=True)
class ClaimedMessage:
    """A row a sender holds: what to send, to whom, and how it went so far."""

    id: int
    kind: str
    chat_id: int
    language: str
    text: str
    buttons: list[PushButton] = field(default_factory=list)
    retailer_id: int | None = None
    attempts: int = 0
    interrupted: int = 0
    priority: int = 5


def _values(message: NewMessage, now: datetime) -> dict[str, Any]:
    return {
        "dedupe_key": message.dedupe_key,
        "kind": message.kind,
        "retailer_id": message.retailer_id,
        "cycle": message.cycle,
        "chat_id": message.chat_id,
        "language": message.language,
        "text": message.text,
        "buttons": [{"title": b.title, "payload": b.payload} for b in message.buttons],
        "status": PENDING,
        "attempts": 0,
        "not_before": message.not_before or now,
        "expires_at": message.expires_at,
        "priority": message.priority,
        "created_at": now,
        "claimed_by": "",
        "last_error": "",
        "throttled": 0,
        "interrupted": 0,
    }


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING; how many rows were new.

    Two planners racing on the same key both succeed and one row is stored, where a
    select-then-insert would fail one of them on the unique constraint.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    inserted = 0
    for start in range(0, len(rows), 500):
        inserted += len(session.execute(statement, rows[start : start + 500]).all())
    return inserted


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    chat_id: int,
    language: str,
    text: str,
    clock: Clock,
    retailer_id: int | None = None,
    buttons: list[PushButton] | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    priority: int = 5,
    cycle: str = "",
) -> OutboxMessage:
    """Store a message to push, unless one with ``dedupe_key`` exists (then return that one)."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    message = NewMessage(
        dedupe_key=dedupe_key,
        kind=kind,
        chat_id=chat_id,
        language=language,
        text=text,
        retailer_id=retailer_id,
        cycle=cycle,
        buttons=tuple(buttons or ()),
        not_before=not_before,
        expires_at=expires_at,
        priority=priority,
    )
    _insert_ignoring_duplicates(session, [_values(message, clock.now())])
    stored = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    assert stored is not None
    return stored


def enqueue_many(session: Session, messages: Iterable[NewMessage], *, clock: Clock) -> int:
    """Store many messages at once, skipping dedupe keys already stored; how many were new."""
    now = clock.now()
    return _insert_ignoring_duplicates(session, [_values(m, now) for m in messages])


def existing_keys(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Which of ``keys`` are stored already, each with its row's ``kind``."""
    return {key: kind for key, (kind, _) in existing_rows(session, keys).items()}


def existing_rows(session: Session, keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Which of ``keys`` are stored already, each with its row's ``kind`` and ``status``."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(OutboxMessage.dedupe_key, OutboxMessage.kind, OutboxMessage.status).where(
            OutboxMessage.dedupe_key.in_(chunk)
        )
        found.update({key: (kind, status) for key, kind, status in session.execute(query)})
    return found


def _claimable(now: datetime, lease: timedelta) -> Any:
    due = and_(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now)
    abandoned = and_(
        OutboxMessage.status.in_((CLAIMED, SENDING)),
        OutboxMessage.claimed_at < now - lease,
    )
    live = or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now)
    return and_(or_(due, abandoned), live)


def claim_batch(
    session: Session, *, worker: str, limit: int, lease: timedelta, clock: Clock
) -> list[ClaimedMessage]:
    """Claim up to ``limit`` due rows for ``worker``: pending ones whose time has come, and
    rows a crashed sender held longer than ``lease``; most urgent first.

    Commit right after, so other senders see the claim. A row that was ``sending`` when its
    sender died may have reached the user; it is sent again and its ``interrupted`` count
    grows, so the staff view can show possible duplicates.
    """
    now = clock.now()
    picked = (
        select(OutboxMessage.id)
        .where(_claimable(now, lease))
        .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    was_sending = OutboxMessage.status == SENDING
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(picked))
        .values(
            status=CLAIMED,
            claimed_by=worker,
            claimed_at=now,
            interrupted=OutboxMessage.interrupted + case((was_sending, 1), else_=0),
            last_error=case((was_sending, INTERRUPTED_NOTE), else_=OutboxMessage.last_error),
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.chat_id,
            OutboxMessage.language,
            OutboxMessage.text,
            OutboxMessage.buttons,
            OutboxMessage.retailer_id,
            OutboxMessage.attempts,
            OutboxMessage.interrupted,
            OutboxMessage.priority,
            OutboxMessage.not_before,
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted(session.execute(statement).all(), key=lambda r: (r.priority, r.not_before, r.id))
    return [
        ClaimedMessage(
            id=row.id,
            kind=row.kind,
            chat_id=row.chat_id,
            language=row.language,
            text=row.text,
            buttons=[PushButton(b["title"], b["payload"]) for b in row.buttons or []],
            retailer_id=row.retailer_id,
            attempts=row.attempts,
            interrupted=row.interrupted,
            priority=row.priority,
        )
        for row in rows
    ]


def _change(session: Session, message_id: int, *conditions: Any, **values: Any) -> bool:
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _no_disk_wait(session: Session) -> None:
    """Let this transaction's commit return before PostgreSQL flushes it to disk.

    For the in-flight and sent marks: other sessions see them at once, and a crash of a
    sender (the failure that matters here) loses nothing. Only a crash of the database server
    itself could lose the last fraction of a second of marks, and then those rows are sent
    again after the lease (at least once). Not waiting for the disk keeps a busy disk from
    slowing every send and shrinks the moment in which a killed sender leaves a delivered
    message unmarked.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))


def start_sending(
    session: Session, message_id: int, *, worker: str, lease: timedelta, clock: Clock
) -> bool:
    """Mark a claimed row as in flight, just before its request; False if the claim is lost.

    A claim older than ``lease`` may have been taken over by another sender, so it is not
    used. The lease restarts here: a send must finish (or time out) well within it.

    On PostgreSQL this commit does not wait for the disk (see :func:`_no_disk_wait`).
    """
    now = clock.now()
    _no_disk_wait(session)
    return _change(
        session,
        message_id,
        OutboxMessage.status == CLAIMED,
        OutboxMessage.claimed_by == worker,
        OutboxMessage.claimed_at > now - lease,
        status=SENDING,
        claimed_at=now,
    )


def renew_leases(
    session: Session,
    message_ids: Sequence[int],
    *,
    worker: str,
    lease: timedelta,
    clock: Clock,
) -> set[int]:
    """Restart the lease of the rows ``worker`` still holds among ``message_ids``; which those are.

    A sender calls it every third of a lease and before a long wait (a 429's ``retry_after``),
    so a row it holds is never taken over while the sender is alive. A row missing from the
    answer was taken over (its lease had run out), finished, or released: do not send it.
    On PostgreSQL this commit does not wait for the disk (see :func:`_no_disk_wait`).
    """
    now = clock.now()
    wanted = list(dict.fromkeys(message_ids))
    if not wanted:
        return set()
    _no_disk_wait(session)
    held: set[int] = set()
    for start in range(0, len(wanted), 500):
        statement = (
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(wanted[start : start + 500]),
                OutboxMessage.status.in_((CLAIMED, SENDING)),
                OutboxMessage.claimed_by == worker,
                OutboxMessage.claimed_at > now - lease,
            )
            .values(claimed_at=now)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        held.update(session.scalars(statement))
    return held


def mark_sent(session: Session, message_id: int, *, telegram_message_id: int, clock: Clock) -> bool:
    """Record a delivery and Telegram's message id; False if the row was already sent.

    On PostgreSQL this commit does not wait for the disk (see :func:`_no_disk_wait`).
    """
    now = clock.now()
    _no_disk_wait(session)
    return _change(
        session,
        message_id,
        OutboxMessage.status != SENT,
        status=SENT,
        sent_at=now,
        finished_at=now,
        telegram_message_id=telegram_message_id,
    )


def mark_throttled(session: Session, message_id: int, *, retry_after: float, clock: Clock) -> None:
    """Telegram said 429: try again no sooner than ``retry_after`` seconds (not a failure)."""
    _change(
        session,
        message_id,
        OutboxMessage.status != SENT,
        status=PENDING,
        claimed_by="",
        not_before=clock.now() + timedelta(seconds=retry_after),
        throttled=OutboxMessage.throttled + 1,
        last_error=f"429: retry after {retry_after:g} s",
    )


def retry_delay(attempts: int, base: timedelta) -> timedelta:
    """Exponential backoff: ``base``, 2x, 4x ... after each failed attempt, at most 10 min."""
    delay: timedelta = base * (2 ** max(0, attempts - 1))
    return min(MAX_RETRY_DELAY, delay)


def mark_failed(
    session: Session,
    message_id: int,
    *,
    error: str,
    clock: Clock,
    retry_base: timedelta,
    max_attempts: int,
    permanent: bool = False,
) -> str:
    """Record a failed attempt: back to pending after a backoff, or ``failed`` for good when
    ``permanent`` or after ``max_attempts``. Returns the row's new status."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status == SENT:
        return SENT if row is not None else FAILED
    row.attempts += 1
    row.last_error = error[:256]
    row.claimed_by = ""
    now = clock.now()
    if permanent or row.attempts >= max_attempts:
        row.status = FAILED
        row.finished_at = now
    else:
        row.status = PENDING
        row.not_before = now + retry_delay(row.attempts, retry_base)
    session.flush()
    return row.status


def mark_blocked(session: Session, message_id: int, *, error: str, clock: Clock) -> None:
    """The user blocked the bot (or never opened it): no retries."""
    now = clock.now()
    _change(
        session,
        message_id,
        OutboxMessage.status != SENT,
        status=BLOCKED,
        finished_at=now,
        last_error=error[:256],
        claimed_by="",
    )


def release(session: Session, *, worker: str, message_ids: Sequence[int]) -> int:
    """Give back rows a stopping sender holds and has not sent (it knows which); how many."""
    if not message_ids:
        return 0
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.status.in_((CLAIMED, SENDING)),
            OutboxMessage.claimed_by == worker,
        )
        .values(status=PENDING, claimed_by="")
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def expire_stale(session: Session, *, lease: timedelta, clock: Clock) -> int:
    """Mark rows past their ``expires_at`` that nobody is sending as expired; how many.

    A last call after the cutoff would only confuse, so such rows are not sent late.
    """
    now = clock.now()
    unsent = or_(
        OutboxMessage.status == PENDING,
        and_(
            OutboxMessage.status.in_((CLAIMED, SENDING)),
            OutboxMessage.claimed_at < now - lease,
        ),
    )
    statement = (
        update(OutboxMessage)
        .where(unsent, OutboxMessage.expires_at.is_not(None), OutboxMessage.expires_at <= now)
        .values(status=EXPIRED, finished_at=now, claimed_by="")
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def cancel_pending(
    session: Session, *, retailer_ids: Iterable[int], kinds: Iterable[str], clock: Clock
) -> int:
    """Cancel pending (not yet claimed) rows of ``kinds`` for these retailers; how many.

    The planner calls it when a reminder stopped being right (the shop is funded now, or
    the retailer opted out) before a sender took it.
    """
    ids, kind_list = list(retailer_ids), list(kinds)
    cancelled = 0
    for start in range(0, len(ids), 500):
        statement = (
            update(OutboxMessage)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.retailer_id.in_(ids[start : start + 500]),
                OutboxMessage.kind.in_(kind_list),
            )
            .values(status=CANCELLED, finished_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        cancelled += int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    return cancelled


def backlog(session: Session) -> dict[str, int]:
    """How many rows wait (``pending``), are held (``claimed``) or are in flight (``sending``)."""
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_((PENDING, CLAIMED, SENDING)))
        .group_by(OutboxMessage.status)
    )
    counts = {PENDING: 0, CLAIMED: 0, SENDING: 0}
    counts.update({status: count for status, count in session.execute(query)})
    return counts
