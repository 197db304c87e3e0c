"""Failed deductions: the retailer is always told (even in quiet hours, paused or opted out)
and the retailer's manager gets an escalation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from retail.models import Order
from retail.outbox import NewMessage
from retail.reminders.kinds import (
    DEDUCT_FAILED,
    DEDUCT_FAILED_STATUS,
    MANAGER_DEDUCT_FAILED,
    PRIORITY,
    dedupe_key,
)
from retail.reminders.messages import planned, reminder_text
from retail.reminders.policy import ReminderPolicy
from retail.reminders.rules import PlanReport
from retail.reminders.shops import funding_positions, load_shops, recipients


def failed_deductions(
    session: Session, *, now: datetime, policy: ReminderPolicy, report: PlanReport
) -> list[NewMessage]:
    """Failed-deduction notices to retailers and escalations to their managers: always sent."""
    query = (
        select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.status == DEDUCT_FAILED_STATUS,
            Order.deduct_at >= now - policy.failed_lookback,
            Order.deduct_at <= now,
        )
    )
    orders = list(session.scalars(query))
    if not orders:
        return []
    shops = load_shops(session, sorted({o.retailer_id for o in orders}), policy, now)
    funding = funding_positions(orders, session, now=now)
    manager_ids = sorted({s.retailer.manager_id for s in shops.values()})
    _, managers = recipients(session, manager_ids=manager_ids)
    due: list[NewMessage] = []
    for order in orders:
        shop = shops.get(order.retailer_id)
        if shop is None:
            continue
        if shop.recipient is None:
            report.skipped["unbound"] += 1
        else:
            due.append(
                planned(
                    DEDUCT_FAILED,
                    "notice",
                    shop=shop,
                    order=order,
                    funding=funding[order.id],
                    not_before=now,
                    expires=None,
                )
            )
        manager = shop.retailer.manager
        to = managers.get(manager.id)
        if to is None:
            report.skipped["manager_unbound"] += 1
            continue
        due.append(
            NewMessage(
                dedupe_key=dedupe_key(
                    manager.code, MANAGER_DEDUCT_FAILED, order.cycle, shop.retailer.code
                ),
                kind=MANAGER_DEDUCT_FAILED,
                chat_id=to.chat_id,
                language=to.language,
                text=reminder_text(
                    MANAGER_DEDUCT_FAILED,
                    to.language,
                    retailer=shop.retailer,
                    order=order,
                    funding=funding[order.id],
                ),
                retailer_id=shop.retailer.id,
                cycle=order.cycle,
                not_before=now,
                priority=PRIORITY[MANAGER_DEDUCT_FAILED],
            )
        )
    return due
