"""The outbox: every push message (reminder, notice to a manager) is a row before it is sent.

Writers call :func:`enqueue` inside their own transaction, so a message exists if and only if
the change that caused it was committed. The dedupe key makes enqueueing idempotent: planning
the same reminder twice stores it once. Senders (bot/) drain the pending rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.clock import Clock
from retail.models import OutboxMessage


@dataclass(frozen=True)
class PushButton:
    """A button under a pushed message; a tap sends ``payload`` to Rasa as the recipient."""

    title: str
    payload: str


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
) -> OutboxMessage:
    """Store a message to push, unless one with ``dedupe_key`` exists (then return that one)."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        kind=kind,
        retailer_id=retailer_id,
        chat_id=chat_id,
        language=language,
        text=text,
        buttons=[{"title": b.title, "payload": b.payload} for b in buttons or []],
        status="pending",
        attempts=0,
        not_before=not_before or clock.now(),
        created_at=clock.now(),
    )
    session.add(message)
    session.flush()
    return message
