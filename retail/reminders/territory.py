"""A manager's reminder to every short shop of their territory (:func:`remind_short_retailers`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from retail import outbox
from retail.access import ADMIN, Principal, visible_retailers
from retail.clock import Clock, local
from retail.errors import WrongRole
from retail.outbox import NewMessage
from retail.reminders.kinds import MANUAL, dedupe_key
from retail.reminders.messages import planned
from retail.reminders.policy import ReminderPolicy
from retail.reminders.rules import withheld
from retail.reminders.shops import funding_positions, load_shops, open_orders
from retail.reminders.window import Slot, funding_slots


@dataclass
class ManagerReminderReport:
    """What :func:`remind_short_retailers` did: shop codes queued, and skipped with a reason."""

    queued: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def remind_short_retailers(
    session: Session, principal: Principal, clock: Clock, *, policy: ReminderPolicy | None = None
) -> ManagerReminderReport:
    """A manager asks to remind every short shop of their territory to deposit.

    Only managers (and staff) may; each sees only their own shops. Opt-out, pause and the
    daily cap are honoured; in quiet hours the reminder waits for them to end (unless that is
    after the cutoff). One such reminder per shop a day: asking twice sends nothing new.
    """
    if not (principal.is_manager or principal.role == ADMIN):
        raise WrongRole()
    policy = policy or ReminderPolicy()
    now = clock.now()
    retailer_ids = [r.id for r in visible_retailers(session, principal)]
    orders = open_orders(session, now, retailer_ids)
    shops = load_shops(session, sorted({o.retailer_id for o in orders}), policy, now)
    funding = funding_positions(orders, session, now=now)
    today = local(now).date().isoformat()
    report = ManagerReminderReport()
    existing = outbox.existing_keys(
        session,
        [dedupe_key(shops[o.retailer_id].retailer.code, MANUAL, o.cycle, today) for o in orders],
    )
    messages: list[NewMessage] = []
    for order in orders:
        shop, position = shops[order.retailer_id], funding[order.id]
        code = shop.retailer.code
        if not position.is_short or code in report.queued:
            continue
        if dedupe_key(code, MANUAL, order.cycle, today) in existing:
            report.skipped[code] = "already"
            continue
        quiet = shop.prefs.quiet
        at = quiet.ends_after(now) if quiet.contains(now) else now
        last = funding_slots(order, shop.prefs, policy)[2]
        slot = Slot(MANUAL, today, at, order.closes_at)
        reason = withheld(
            shop, slot, funding=position, last=last, now=now, taken=set(), quiet=False
        )
        if reason is None and at >= order.closes_at:
            reason = "quiet_hours"
        if reason:
            report.skipped[code] = reason
            continue
        messages.append(
            planned(
                MANUAL,
                today,
                shop=shop,
                order=order,
                funding=position,
                not_before=at,
                expires=order.closes_at,
                manager=shop.retailer.manager,
            )
        )
        report.queued.append(code)
        shop.used_today += 1
    outbox.enqueue_many(session, messages, clock=clock)
    return report
