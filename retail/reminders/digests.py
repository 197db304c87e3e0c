"""Managers' daily digest of visit follow-ups that are due (or overdue) and not done."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.clock import local
from retail.i18n import t
from retail.models import FollowUp, Manager, Retailer
from retail.outbox import NewMessage
from retail.reminders.kinds import MANAGER_FOLLOW_UPS, PRIORITY, dedupe_key
from retail.reminders.messages import shop_name
from retail.reminders.policy import ReminderPolicy
from retail.reminders.shops import recipients


def follow_up_digests(
    session: Session, *, now: datetime, policy: ReminderPolicy
) -> list[NewMessage]:
    """One message a day to each manager with visit follow-ups due (or overdue) and not done."""
    if policy.quiet.contains(now):
        return []
    today = local(now).date()
    query = (
        select(FollowUp, Retailer)
        .join(Retailer, Retailer.id == FollowUp.retailer_id)
        .where(FollowUp.due_on <= today, FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    by_manager: dict[int, list[tuple[FollowUp, Retailer]]] = defaultdict(list)
    for follow_up, retailer in session.execute(query):
        by_manager[retailer.manager_id].append((follow_up, retailer))
    if not by_manager:
        return []
    _, managers = recipients(session, manager_ids=sorted(by_manager))
    codes = {
        manager_id: code
        for manager_id, code in session.execute(
            select(Manager.id, Manager.code).where(Manager.id.in_(sorted(by_manager)))
        )
    }
    due: list[NewMessage] = []
    for manager_id, items in by_manager.items():
        to = managers.get(manager_id)
        if to is None:
            continue
        lines = "\n".join(
            t(
                to.language,
                "reminder.manager.follow_up_item",
                shop=shop_name(retailer, to.language),
                text=follow_up.text,
                due=follow_up.due_on.isoformat(),
            )
            for follow_up, retailer in items[:20]
        )
        due.append(
            NewMessage(
                dedupe_key=dedupe_key(
                    codes[manager_id], MANAGER_FOLLOW_UPS, today.isoformat(), "digest"
                ),
                kind=MANAGER_FOLLOW_UPS,
                chat_id=to.chat_id,
                language=to.language,
                text=t(to.language, "reminder.manager.follow_ups", count=len(items), items=lines),
                not_before=now,
                expires_at=policy.quiet.began_before(now + timedelta(days=1)),
                priority=PRIORITY[MANAGER_FOLLOW_UPS],
            )
        )
    return due
