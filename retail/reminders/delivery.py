"""Reminders that could not be delivered: the row is marked (blocked, or failed after the last
retry) and the retailer's manager is told, once per shop a day, so someone reaches the shop."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from retail import outbox
from retail.clock import Clock, local
from retail.i18n import t
from retail.models import OutboxMessage, Retailer
from retail.reminders.kinds import (
    DEDUCT_FAILED,
    MANAGER_UNREACHABLE,
    PRIORITY,
    RETAILER_KINDS,
    dedupe_key,
)
from retail.reminders.messages import shop_name
from retail.reminders.policy import ReminderPolicy
from retail.reminders.shops import recipients


def tell_manager_undeliverable(
    session: Session,
    message_id: int,
    *,
    reason: str,
    clock: Clock,
    policy: ReminderPolicy | None = None,
) -> OutboxMessage | None:
    """Queue a notice to the retailer's manager that a reminder could not be delivered
    (``reason`` ``blocked`` or ``failed``), once per shop a day; None if there is nobody to
    tell or the message was not a retailer reminder."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.kind not in RETAILER_KINDS or row.retailer_id is None:
        return None
    retailer = session.get(Retailer, row.retailer_id)
    if retailer is None:
        return None
    _, managers = recipients(session, manager_ids=[retailer.manager_id])
    to = managers.get(retailer.manager_id)
    if to is None:
        return None
    policy = policy or ReminderPolicy()
    now = clock.now()
    urgent = row.kind == DEDUCT_FAILED
    not_before = now if urgent or not policy.quiet.contains(now) else policy.quiet.ends_after(now)
    kind_name = t(to.language, f"reminder.kind.{row.kind}")
    text = t(
        to.language,
        f"reminder.manager.{'blocked' if reason == 'blocked' else 'failed'}",
        shop=shop_name(retailer, to.language),
        code=retailer.code,
        kind=kind_name,
    )
    return outbox.enqueue(
        session,
        dedupe_key=dedupe_key(
            retailer.manager.code, MANAGER_UNREACHABLE, local(now).date().isoformat(), retailer.code
        ),
        kind=MANAGER_UNREACHABLE,
        chat_id=to.chat_id,
        language=to.language,
        text=text,
        clock=clock,
        retailer_id=retailer.id,
        not_before=not_before,
        priority=PRIORITY[MANAGER_UNREACHABLE],
        cycle=row.cycle,
    )


def record_blocked(
    session: Session,
    message_id: int,
    *,
    error: str,
    clock: Clock,
    policy: ReminderPolicy | None = None,
) -> None:
    """The recipient blocked the bot: mark the row and tell the manager (one transaction)."""
    outbox.mark_blocked(session, message_id, error=error, clock=clock)
    tell_manager_undeliverable(session, message_id, reason="blocked", clock=clock, policy=policy)


def record_failure(
    session: Session,
    message_id: int,
    *,
    error: str,
    clock: Clock,
    retry_base: timedelta,
    max_attempts: int,
    permanent: bool = False,
    policy: ReminderPolicy | None = None,
) -> str:
    """A failed attempt: retried after a backoff; after the last one the manager is told.
    Returns the row's new status."""
    status = outbox.mark_failed(
        session,
        message_id,
        error=error,
        clock=clock,
        retry_base=retry_base,
        max_attempts=max_attempts,
        permanent=permanent,
    )
    if status == outbox.FAILED:
        tell_manager_undeliverable(session, message_id, reason="failed", clock=clock, policy=policy)
    return status
