"""What the planner knows about the shops it plans for, read in bulk.

The planner runs every minute over every shop, so each fact (bound chat, latest bank balance,
deposit claims, preferences, reminders already used today) is one query per 500 shops rather
than one per shop.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from retail import outbox
from retail.clock import SHANGHAI, local
from retail.i18n import supported
from retail.models import (
    BalanceSnapshot,
    DepositClaim,
    Order,
    OutboxMessage,
    ReminderPreference,
    Retailer,
    SettlementAccount,
    User,
)
from retail.orders import order_total
from retail.reminders.kinds import CAPPED_KINDS
from retail.reminders.policy import Preferences, ReminderPolicy


@dataclass(frozen=True)
class Recipient:
    """Where a person's pushes go: their Telegram chat and language."""

    chat_id: int
    language: str


@dataclass(frozen=True)
class Funding:
    """A shop's funding position for one order, as the planner sees it."""

    amount_due: Decimal
    balance: Decimal | None
    claimed: Decimal

    @property
    def shortfall(self) -> Decimal:
        """How much is missing (0 when funded)."""
        return max(Decimal("0.00"), self.amount_due - (self.balance or Decimal("0.00")))

    @property
    def is_short(self) -> bool:
        """True when the balance does not cover the order."""
        return self.shortfall > 0

    @property
    def claim_covers(self) -> bool:
        """True when the retailer says they deposited at least the shortfall since the report."""
        return self.is_short and self.claimed >= self.shortfall


@dataclass
class Shop:
    """Everything the planner knows about one shop in this run."""

    retailer: Retailer
    prefs: Preferences
    recipient: Recipient | None
    used_today: int


def chunks(items: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    """``items`` in slices of ``size``, so an ``IN (...)`` list stays within database limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recipients(
    session: Session, *, retailer_ids: Sequence[int] = (), manager_ids: Sequence[int] = ()
) -> tuple[dict[int, Recipient], dict[int, Recipient]]:
    """The bound Telegram chat of each retailer and manager (their first bound user)."""
    shops: dict[int, Recipient] = {}
    managers: dict[int, Recipient] = {}
    for column, ids, found in (
        (User.retailer_id, retailer_ids, shops),
        (User.manager_id, manager_ids, managers),
    ):
        for chunk in chunks(list(ids)):
            query = (
                select(column, User.telegram_user_id, User.language)
                .where(column.in_(chunk), User.telegram_user_id.is_not(None))
                .order_by(User.id)
            )
            for owner, chat_id, language in session.execute(query):
                found.setdefault(owner, Recipient(chat_id, supported(language)))
    return shops, managers


def _balances(session: Session, retailer_ids: Sequence[int]) -> dict[int, tuple[Decimal, datetime]]:
    """The newest bank-reported balance (and its time) of each shop."""
    found: dict[int, tuple[Decimal, datetime]] = {}
    for chunk in chunks(list(retailer_ids)):
        rank = (
            func.row_number()
            .over(
                partition_by=SettlementAccount.retailer_id,
                order_by=(BalanceSnapshot.reported_at.desc(), BalanceSnapshot.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(
                SettlementAccount.retailer_id,
                BalanceSnapshot.balance,
                BalanceSnapshot.reported_at,
                rank,
            )
            .join(SettlementAccount, SettlementAccount.id == BalanceSnapshot.account_id)
            .where(SettlementAccount.retailer_id.in_(chunk))
            .subquery()
        )
        query = select(ranked.c.retailer_id, ranked.c.balance, ranked.c.reported_at).where(
            ranked.c.rank == 1
        )
        for retailer_id, balance, reported_at in session.execute(query):
            found[retailer_id] = (balance, reported_at)
    return found


def _claims(
    session: Session, retailer_ids: Sequence[int], since: datetime
) -> dict[int, list[tuple[datetime, Decimal]]]:
    found: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for chunk in chunks(list(retailer_ids)):
        query = select(
            DepositClaim.retailer_id, DepositClaim.claimed_at, DepositClaim.amount
        ).where(
            DepositClaim.retailer_id.in_(chunk),
            DepositClaim.claimed_at >= since,
            DepositClaim.amount.is_not(None),
        )
        for retailer_id, claimed_at, amount in session.execute(query):
            found[retailer_id].append((claimed_at, amount))
    return found


def funding_positions(
    orders: Sequence[Order], session: Session, *, now: datetime
) -> dict[int, Funding]:
    """Funding position per order id, from bulk queries (the planner runs over every shop)."""
    retailer_ids = sorted({o.retailer_id for o in orders})
    balances = _balances(session, retailer_ids)
    claims = _claims(session, retailer_ids, now - timedelta(days=14))
    result: dict[int, Funding] = {}
    for order in orders:
        balance, reported_at = balances.get(order.retailer_id, (None, None))
        claimed = sum(
            (
                amount
                for at, amount in claims.get(order.retailer_id, [])
                if reported_at is None or at > reported_at
            ),
            Decimal("0.00"),
        )
        result[order.id] = Funding(order_total(order), balance, claimed)
    return result


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(local(now).date(), time(0), SHANGHAI)
    return start, start + timedelta(days=1)


def _used_today(session: Session, retailer_ids: Sequence[int], now: datetime) -> Counter[int]:
    """Capped reminders already queued or sent per shop on today's date (Asia/Shanghai)."""
    start, end = _day_bounds(now)
    used: Counter[int] = Counter()
    for chunk in chunks(list(retailer_ids)):
        query = (
            select(OutboxMessage.retailer_id, func.count())
            .where(
                OutboxMessage.retailer_id.in_(chunk),
                OutboxMessage.kind.in_(sorted(CAPPED_KINDS)),
                OutboxMessage.status.not_in((outbox.CANCELLED, outbox.EXPIRED)),
                OutboxMessage.not_before >= start,
                OutboxMessage.not_before < end,
            )
            .group_by(OutboxMessage.retailer_id)
        )
        used.update({retailer_id: count for retailer_id, count in session.execute(query)})
    return used


def _preferences(
    session: Session, retailer_ids: Sequence[int], policy: ReminderPolicy
) -> dict[int, Preferences]:
    rows: dict[int, ReminderPreference] = {}
    for chunk in chunks(list(retailer_ids)):
        query = select(ReminderPreference).where(ReminderPreference.retailer_id.in_(chunk))
        rows.update({row.retailer_id: row for row in session.scalars(query)})
    return {rid: Preferences.of(rows.get(rid), policy) for rid in retailer_ids}


def load_shops(
    session: Session, retailer_ids: Sequence[int], policy: ReminderPolicy, now: datetime
) -> dict[int, Shop]:
    """Each shop of ``retailer_ids`` with its manager, preferences, chat and today's count."""
    retailers: dict[int, Retailer] = {}
    for chunk in chunks(list(retailer_ids)):
        query = (
            select(Retailer).options(selectinload(Retailer.manager)).where(Retailer.id.in_(chunk))
        )
        retailers.update({r.id: r for r in session.scalars(query)})
    prefs = _preferences(session, retailer_ids, policy)
    found, _ = recipients(session, retailer_ids=retailer_ids)
    used = _used_today(session, retailer_ids, now)
    return {
        rid: Shop(retailers[rid], prefs[rid], found.get(rid), used[rid])
        for rid in retailer_ids
        if rid in retailers
    }


def open_orders(session: Session, now: datetime, retailer_ids: Sequence[int] | None) -> list[Order]:
    """Orders whose window is open now (of ``retailer_ids``, or of every shop if None)."""
    query = (
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.status == "open", Order.opens_at <= now, Order.closes_at > now)
        .order_by(Order.retailer_id, Order.closes_at)
    )
    if retailer_ids is None:
        return list(session.scalars(query))
    orders: list[Order] = []
    for chunk in chunks(list(retailer_ids)):
        orders.extend(session.scalars(query.where(Order.retailer_id.in_(chunk))))
    return orders
