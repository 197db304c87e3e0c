"""Delivery figures per day for staff: sent, failed, blocked, throttled, interrupted, and shops
funded after a funding reminder."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from retail import outbox
from retail.clock import SHANGHAI, Clock, local
from retail.models import BalanceSnapshot, Order, OutboxMessage, SettlementAccount
from retail.orders import order_total
from retail.reminders.kinds import FUNDING_KINDS
from retail.reminders.shops import chunks


@dataclass(frozen=True)
class DayFigures:
    """Delivery figures of one day (Asia/Shanghai) for the staff view."""

    day: date
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    throttled: int = 0
    interrupted: int = 0
    funded_after_reminder: int = 0
    sent_by_kind: dict[str, int] = field(default_factory=dict)


def _local_day(moment: datetime) -> date:
    return local(moment).date()


def daily_figures(session: Session, *, clock: Clock, days: int = 14) -> list[DayFigures]:
    """Per day (Asia/Shanghai), oldest first: messages delivered, failed for good, blocked,
    429s met, sends interrupted by a crash, and shops funded after a funding reminder.

    "Funded after a reminder": the first bank balance reported after a shop's first
    delivered funding reminder of an order that covers the order, before its deduction;
    counted on the day of that report.
    """
    today = _local_day(clock.now())
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time(0), SHANGHAI)
    figures: dict[date, dict[str, int]] = {
        first_day + timedelta(days=n): Counter() for n in range(days)
    }
    kinds: dict[date, Counter[str]] = defaultdict(Counter)
    query = select(
        OutboxMessage.status,
        OutboxMessage.kind,
        OutboxMessage.finished_at,
        OutboxMessage.throttled,
        OutboxMessage.interrupted,
    ).where(OutboxMessage.finished_at >= start)
    for status, kind, finished_at, throttled, interrupted in session.execute(query):
        day = _local_day(finished_at)
        if day not in figures:
            continue
        bucket = figures[day]
        if status == outbox.SENT:
            bucket["sent"] += 1
            kinds[day][kind] += 1
        elif status in (outbox.FAILED, outbox.BLOCKED):
            bucket[status] += 1
        bucket["throttled"] += throttled
        bucket["interrupted"] += interrupted
    for day in _funded_days(session, since=start - timedelta(days=7)):
        if day in figures:
            figures[day]["funded"] += 1
    return [
        DayFigures(
            day=day,
            sent=counts["sent"],
            failed=counts[outbox.FAILED],
            blocked=counts[outbox.BLOCKED],
            throttled=counts["throttled"],
            interrupted=counts["interrupted"],
            funded_after_reminder=counts["funded"],
            sent_by_kind=dict(kinds[day]),
        )
        for day, counts in sorted(figures.items())
    ]


def _funded_days(session: Session, *, since: datetime) -> list[date]:
    """For each order whose shop got a funding reminder since ``since``: the day a covering
    balance was first reported after it (orders never funded are left out)."""
    reminded: dict[tuple[int, str], datetime] = {}
    query = select(OutboxMessage.retailer_id, OutboxMessage.cycle, OutboxMessage.sent_at).where(
        OutboxMessage.status == outbox.SENT,
        OutboxMessage.kind.in_(sorted(FUNDING_KINDS)),
        OutboxMessage.sent_at >= since,
        OutboxMessage.retailer_id.is_not(None),
    )
    for retailer_id, cycle, sent_at in session.execute(query):
        key = (retailer_id, cycle)
        reminded[key] = min(sent_at, reminded.get(key, sent_at))
    if not reminded:
        return []
    retailer_ids = sorted({rid for rid, _ in reminded})
    orders: dict[tuple[int, str], Order] = {}
    snapshots: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for chunk in chunks(retailer_ids):
        order_query = (
            select(Order).options(selectinload(Order.lines)).where(Order.retailer_id.in_(chunk))
        )
        for order in session.scalars(order_query):
            if (order.retailer_id, order.cycle) in reminded:
                orders[(order.retailer_id, order.cycle)] = order
        snapshot_query = (
            select(
                SettlementAccount.retailer_id, BalanceSnapshot.reported_at, BalanceSnapshot.balance
            )
            .join(SettlementAccount, SettlementAccount.id == BalanceSnapshot.account_id)
            .where(SettlementAccount.retailer_id.in_(chunk), BalanceSnapshot.reported_at >= since)
            .order_by(BalanceSnapshot.reported_at)
        )
        for retailer_id, reported_at, balance in session.execute(snapshot_query):
            snapshots[retailer_id].append((reported_at, balance))
    days: list[date] = []
    for key, first_sent in reminded.items():
        reminded_order = orders.get(key)
        if reminded_order is None:
            continue
        due = order_total(reminded_order)
        for reported_at, balance in snapshots.get(key[0], []):
            if first_sent < reported_at <= reminded_order.deduct_at and balance >= due:
                days.append(_local_day(reported_at))
                break
    return days
