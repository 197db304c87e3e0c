"""Funding reminders due now: the order-window opening notice, the first funding reminder and
the last call before the cutoff, while a shop's balance is short.

The opening notice is planned with the funding reminders because it shares their cap and
cycle: when the shop is short at the opening, the notice says so and counts as the first
funding reminder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from retail import outbox
from retail.clock import local
from retail.models import Order
from retail.outbox import NewMessage
from retail.reminders.kinds import (
    FUNDING_FIRST,
    ORDER_OPEN,
    ORDER_OPEN_FUNDING,
    UNSENT,
    dedupe_key,
)
from retail.reminders.messages import planned
from retail.reminders.policy import ReminderPolicy
from retail.reminders.rules import PlanReport, withheld
from retail.reminders.shops import funding_positions, load_shops
from retail.reminders.window import funding_slots


def funding_reminders(
    session: Session,
    orders: Sequence[Order],
    *,
    now: datetime,
    policy: ReminderPolicy,
    report: PlanReport,
) -> tuple[list[NewMessage], set[int], set[int]]:
    """Due opening, first and last reminders; plus shops now funded and shops not to remind."""
    shops = load_shops(session, sorted({o.retailer_id for o in orders}), policy, now)
    funding = funding_positions(orders, session, now=now)
    plans = {
        o.id: funding_slots(o, shops[o.retailer_id].prefs, policy)
        for o in orders
        if o.retailer_id in shops
    }
    keys = [
        dedupe_key(shops[o.retailer_id].retailer.code, s.kind, o.cycle, s.name)
        for o in orders
        if o.id in plans
        for s in plans[o.id]
    ]
    existing = outbox.existing_rows(session, keys)
    due: list[NewMessage] = []
    funded: set[int] = set()
    silenced: set[int] = set()
    for order in orders:
        if order.id not in plans:
            continue
        shop, position = shops[order.retailer_id], funding[order.id]
        if not position.is_short:
            funded.add(shop.retailer.id)
        if shop.prefs.opted_out or shop.prefs.paused(now):
            silenced.add(shop.retailer.id)
        opening, first, last = plans[order.id]
        code = shop.retailer.code
        taken = {
            s.name
            for s in (opening, first, last)
            if dedupe_key(code, s.kind, order.cycle, s.name) in existing
        }
        opened = existing.get(dedupe_key(code, ORDER_OPEN, order.cycle, "open"))
        if opened is not None and opened[0] == ORDER_OPEN_FUNDING and opened[1] not in UNSENT:
            taken.add("first")  # the opening message carried the shortfall
        for slot in (last, first, opening):
            if slot.name in taken or slot.at is None or slot.expires is None:
                continue
            if not slot.at <= now < slot.expires:
                continue
            kind = slot.kind
            if slot.kind == ORDER_OPEN:
                if not policy.order_open or (
                    shop.prefs.weekdays
                    and local(order.opens_at).weekday() not in shop.prefs.weekdays
                ):
                    continue
                kind = ORDER_OPEN_FUNDING if position.is_short else ORDER_OPEN
            elif not position.is_short:
                continue
            elif slot.kind == FUNDING_FIRST and position.claim_covers:
                report.skipped["deposit_claimed"] += 1
                continue
            reason = withheld(shop, slot, funding=position, last=last, now=now, taken=taken)
            if reason:
                report.skipped[reason] += 1
                continue
            due.append(
                planned(
                    kind,
                    slot.name,
                    shop=shop,
                    order=order,
                    funding=position,
                    not_before=now,
                    expires=slot.expires,
                )
            )
            taken.add(slot.name)
            if kind == ORDER_OPEN_FUNDING:
                taken.add("first")
            shop.used_today += 1
    return due, funded, silenced
