"""Reminders: which pushes are due now, for whom, and how delivery went.

The planner (:func:`plan_reminders`, run every minute by the bot) reads the open orders, their
windows and deduction times, the balances the bank reported and each retailer's
:class:`~retail.models.ReminderPreference`, and writes the reminders that are due now into the
outbox (:mod:`retail.outbox`); senders in ``bot/`` deliver them. Each reminder has a dedupe key
``retailer:kind:cycle:slot``, so running the planner twice, or on two machines, stores it once.

What is due, by priority:

1. **Failed deduction** (``deduct_failed``): always sent, even in quiet hours, paused or opted
   out, and escalated to the retailer's manager.
2. **Last call** (``funding_last``): ``last_call`` before the order cutoff while the balance is
   short. A place under the daily cap is kept for it.
3. **First funding reminder** (``funding_first``): ``first_lead`` before the cutoff (or at the
   retailer's chosen time), never before the window opens, while short.
4. **Order day opening** (``order_open``): when the window opens (or at the chosen time); if
   the shop is short by then it says so and counts as the first funding reminder.
5. **Manager's reminder** (``manager_reminder``): :func:`remind_short_retailers`, one a day.

Every one but the first honours opt-out, pause, quiet hours (default 21:00-08:00 Asia/Shanghai;
a reminder that would fall inside them goes when they end, or, if that is too late, shortly
before they begin), the chosen time and weekdays (the last call, being urgent, keeps to its
time) and the daily cap. Funding reminders stop once the bank reports enough money; pending
ones are cancelled. A retailer who says they deposited enough is spared the first reminder and
gets a gentler last call. Managers also get a daily digest of visit follow-ups due
(``manager_follow_ups``) and a notice when a retailer cannot be reached
(``manager_unreachable``). The clock is always passed in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from retail import outbox
from retail.access import ADMIN, Principal, visible_retailers
from retail.clock import SHANGHAI, Clock, local
from retail.errors import WrongRole
from retail.i18n import format_datetime, format_money, supported, t
from retail.models import (
    BalanceSnapshot,
    DepositClaim,
    FollowUp,
    Manager,
    Order,
    OutboxMessage,
    ReminderPreference,
    Retailer,
    SettlementAccount,
    User,
)
from retail.orders import order_total
from retail.outbox import NewMessage, PushButton
from retail.settings import Settings

FUNDING_FIRST = "funding_first"
FUNDING_LAST = "funding_last"
ORDER_OPEN = "order_open"
ORDER_OPEN_FUNDING = "order_open_funding"
DEDUCT_FAILED = "deduct_failed"
MANUAL = "manager_reminder"
MANAGER_DEDUCT_FAILED = "manager_deduct_failed"
MANAGER_UNREACHABLE = "manager_unreachable"
MANAGER_FOLLOW_UPS = "manager_follow_ups"

CAPPED_KINDS = frozenset({FUNDING_FIRST, FUNDING_LAST, ORDER_OPEN, ORDER_OPEN_FUNDING, MANUAL})
"""Kinds that count against a retailer's daily cap (a failed deduction never does)."""
FUNDING_KINDS = frozenset({FUNDING_FIRST, FUNDING_LAST, ORDER_OPEN_FUNDING, MANUAL})
"""Kinds about a shortfall: cancelled while pending once the shop is funded."""
RETAILER_KINDS = CAPPED_KINDS | {DEDUCT_FAILED}
"""Kinds sent to retailers; when one cannot be delivered, the manager is told."""
PRIORITY = {
    DEDUCT_FAILED: 0,
    MANAGER_DEDUCT_FAILED: 0,
    FUNDING_LAST: 1,
    FUNDING_FIRST: 2,
    MANAGER_UNREACHABLE: 2,
    ORDER_OPEN_FUNDING: 2,
    ORDER_OPEN: 3,
    MANUAL: 3,
    MANAGER_FOLLOW_UPS: 4,
}
UNSENT = frozenset({outbox.CANCELLED, outbox.EXPIRED})
"""Outbox statuses of reminders that never went out."""
DEDUCT_FAILED_STATUS = "deduct_failed"
"""``Order.status`` once the company reports that the deduction failed (see
retail.settlement.deductions)."""
ACK = "/affirm"
DEPOSITED = "/payment_notice"
SHOW_ORDER = "/order_show"
CONTACT_MANAGER = "/contact_manager"


@dataclass(frozen=True)
class QuietHours:
    """A daily span (Asia/Shanghai) without non-urgent messages; ``start == end`` means none."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"21:00-08:00"`` -> QuietHours(21:00, 08:00)."""
        first, second = (part.strip() for part in text.split("-"))
        return cls(time.fromisoformat(first), time.fromisoformat(second))

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` falls inside the quiet hours."""
        if self.start == self.end:
            return False
        at = local(moment).time()
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first end of quiet hours after ``moment``."""
        day = local(moment)
        end = datetime.combine(day.date(), self.end, SHANGHAI)
        return end if end > day else end + timedelta(days=1)

    def began_before(self, moment: datetime) -> datetime:
        """The last start of quiet hours at or before ``moment``."""
        day = local(moment)
        start = datetime.combine(day.date(), self.start, SHANGHAI)
        return start if start <= day else start - timedelta(days=1)


@dataclass(frozen=True)
class ReminderPolicy:
    """Company-wide timing rules; per-retailer preferences override quiet hours and cap."""

    first_lead: timedelta = timedelta(hours=6)
    last_call: timedelta = timedelta(hours=1)
    order_open: bool = True
    order_open_valid: timedelta = timedelta(hours=3)
    quiet: QuietHours = field(default_factory=QuietHours)
    daily_cap: int = 2
    early_margin: timedelta = timedelta(minutes=30)
    failed_lookback: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        """The policy configured through REMINDER_* settings."""
        return cls(
            first_lead=timedelta(hours=settings.reminder_first_lead_hours),
            last_call=timedelta(minutes=settings.reminder_last_call_minutes),
            order_open=settings.reminder_order_open,
            quiet=QuietHours.parse(settings.reminder_quiet_hours),
            daily_cap=settings.reminder_daily_cap,
        )


@dataclass(frozen=True)
class Preferences:
    """One retailer's effective reminder preferences (their row, else the policy defaults)."""

    quiet: QuietHours
    daily_cap: int
    opted_out: bool = False
    paused_until: datetime | None = None
    preferred_time: time | None = None
    weekdays: frozenset[int] = frozenset()

    @classmethod
    def of(cls, row: ReminderPreference | None, policy: ReminderPolicy) -> Preferences:
        """Preferences from a stored row, or the policy's defaults when there is none."""
        if row is None:
            return cls(quiet=policy.quiet, daily_cap=policy.daily_cap)
        return cls(
            quiet=QuietHours(row.quiet_start, row.quiet_end),
            daily_cap=row.daily_cap,
            opted_out=row.opted_out,
            paused_until=row.paused_until,
            preferred_time=row.preferred_time,
            weekdays=frozenset(int(d) for d in row.preferred_weekdays or []),
        )

    def paused(self, now: datetime) -> bool:
        """True while the retailer asked for a break from reminders."""
        return self.paused_until is not None and self.paused_until > now


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


@dataclass(frozen=True)
class Slot:
    """One possible reminder: due from ``at`` until ``expires``."""

    kind: str
    name: str
    at: datetime | None
    expires: datetime | None
    capped: bool = True


@dataclass
class PlanReport:
    """What a planner run did: reminders queued and cancelled, and why others were not sent."""

    queued: int = 0
    cancelled: int = 0
    expired: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class ManagerReminderReport:
    """What :func:`remind_short_retailers` did: shop codes queued, and skipped with a reason."""

    queued: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


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


def dedupe_key(owner: str, kind: str, cycle: str, slot: str) -> str:
    """The outbox key of a reminder: who it is for, what, which order cycle, which slot."""
    return f"{owner}:{kind}:{cycle}:{slot}"


def place(
    at: datetime, *, expires: datetime, floor: datetime, quiet: QuietHours, margin: timedelta
) -> datetime | None:
    """When a reminder planned for ``at`` may go, given quiet hours; None if it cannot.

    Inside quiet hours it moves to their end if that is still before ``expires``, else to
    ``margin`` before they began (if not before ``floor``): early beats too late.
    """
    if not quiet.contains(at):
        return at if at < expires else None
    after = quiet.ends_after(at)
    if after < expires:
        return after
    before = quiet.began_before(at) - margin
    if floor <= before < expires:
        return before
    return None


def _chosen_moment(
    preferred: time,
    weekdays: frozenset[int],
    *,
    earliest: datetime,
    latest: datetime,
    last: bool,
) -> datetime | None:
    """The first (or ``last``) moment in [earliest, latest) at the chosen time of day on an
    allowed weekday."""
    day, end = local(earliest).date(), local(latest).date()
    found: list[datetime] = []
    while day <= end:
        moment = datetime.combine(day, preferred, SHANGHAI)
        if earliest <= moment < latest and (not weekdays or day.weekday() in weekdays):
            found.append(moment)
        day += timedelta(days=1)
    if not found:
        return None
    return found[-1] if last else found[0]


def funding_slots(
    order: Order, prefs: Preferences, policy: ReminderPolicy
) -> tuple[Slot, Slot, Slot]:
    """When an order's opening, first and last reminders are due (after quiet hours).

    Pure: depends only on the order's window and the preferences, so it is easy to test.
    """
    cutoff = order.closes_at
    last_at = cutoff - policy.last_call

    def placed(at: datetime, expires: datetime) -> datetime | None:
        return place(
            at, expires=expires, floor=order.opens_at, quiet=prefs.quiet, margin=policy.early_margin
        )

    first_at = max(order.opens_at, cutoff - policy.first_lead)
    open_at = order.opens_at
    if prefs.weekdays and prefs.preferred_time is None:
        # "Only on Wednesdays": the default time of day, on the last allowed day before the
        # last call; if no allowed day falls in the window, the default moment stands.
        chosen = _chosen_moment(
            local(first_at).time(),
            prefs.weekdays,
            earliest=order.opens_at,
            latest=min(last_at, first_at + timedelta(seconds=1)),
            last=True,
        )
        first_at = chosen or first_at
    if prefs.preferred_time is not None:
        chosen_first = _chosen_moment(
            prefs.preferred_time, prefs.weekdays, earliest=order.opens_at, latest=last_at, last=True
        )
        chosen_open = _chosen_moment(
            prefs.preferred_time,
            frozenset(),
            earliest=order.opens_at,
            latest=min(last_at, order.opens_at + timedelta(days=1)),
            last=False,
        )
        first_at = chosen_first or first_at
        open_at = chosen_open or open_at
    last = Slot(FUNDING_LAST, "last", placed(last_at, cutoff), cutoff)
    first_expires = last.at or last_at
    first_placed = placed(first_at, first_expires) if first_at < first_expires else None
    first = Slot(FUNDING_FIRST, "first", first_placed, first_expires)
    open_placed = placed(open_at, last_at)
    open_expires = min(last_at, (open_placed or open_at) + policy.order_open_valid)
    opening = Slot(ORDER_OPEN, "open", open_placed, open_expires)
    return opening, first, last


def _chunks(items: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _recipients(
    session: Session, *, retailer_ids: Sequence[int] = (), manager_ids: Sequence[int] = ()
) -> tuple[dict[int, Recipient], dict[int, Recipient]]:
    """The bound Telegram chat of each retailer and manager (their first bound user)."""
    shops: dict[int, Recipient] = {}
    managers: dict[int, Recipient] = {}
    for column, ids, found in (
        (User.retailer_id, retailer_ids, shops),
        (User.manager_id, manager_ids, managers),
    ):
        for chunk in _chunks(list(ids)):
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
    for chunk in _chunks(list(retailer_ids)):
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
    for chunk in _chunks(list(retailer_ids)):
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


def _funding(orders: Sequence[Order], session: Session, *, now: datetime) -> dict[int, Funding]:
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
    for chunk in _chunks(list(retailer_ids)):
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
    for chunk in _chunks(list(retailer_ids)):
        query = select(ReminderPreference).where(ReminderPreference.retailer_id.in_(chunk))
        rows.update({row.retailer_id: row for row in session.scalars(query)})
    return {rid: Preferences.of(rows.get(rid), policy) for rid in retailer_ids}


def _buttons(language: str, kind: str) -> tuple[PushButton, ...]:
    """Buttons under a reminder; their payloads go to Rasa as the retailer's reply."""
    if kind == DEDUCT_FAILED:
        return (
            PushButton(t(language, "reminder.button.contact"), CONTACT_MANAGER),
            PushButton(t(language, "reminder.button.ack"), ACK),
        )
    if kind == ORDER_OPEN:
        return (
            PushButton(t(language, "reminder.button.order"), SHOW_ORDER),
            PushButton(t(language, "reminder.button.ack"), ACK),
        )
    return (
        PushButton(t(language, "reminder.button.ack"), ACK),
        PushButton(t(language, "reminder.button.deposited"), DEPOSITED),
    )


def _shop_name(retailer: Retailer, language: str) -> str:
    return retailer.name_en or retailer.name if language == "en" else retailer.name


def _manager_name(manager: Manager, language: str) -> str:
    return manager.display_en if language == "en" else manager.display_zh


def _text(
    kind: str,
    language: str,
    *,
    retailer: Retailer,
    order: Order,
    funding: Funding,
    manager: Manager | None = None,
) -> str:
    balance = (
        format_money(funding.balance)
        if funding.balance is not None
        else t(language, "reminder.balance_unknown")
    )
    params = {
        "shop": _shop_name(retailer, language),
        "code": retailer.code,
        "amount_due": format_money(funding.amount_due),
        "balance": balance,
        "shortfall": format_money(funding.shortfall),
        "cutoff": format_datetime(order.closes_at, language),
        "deadline": format_datetime(order.deduct_at, language),
        "manager": _manager_name(manager, language) if manager else "",
    }
    key = {
        FUNDING_FIRST: "reminder.funding_first",
        FUNDING_LAST: (
            "reminder.funding_last_claimed" if funding.claim_covers else "reminder.funding_last"
        ),
        ORDER_OPEN: "reminder.order_open",
        ORDER_OPEN_FUNDING: "reminder.order_open_funding",
        DEDUCT_FAILED: "reminder.deduct_failed",
        MANUAL: "reminder.manual",
        MANAGER_DEDUCT_FAILED: "reminder.manager.deduct_failed",
    }[kind]
    return t(language, key, **params)


@dataclass
class _Shop:
    """Everything the planner knows about one shop in this run."""

    retailer: Retailer
    prefs: Preferences
    recipient: Recipient | None
    used_today: int


def _allowed_today(
    shop: _Shop, slot: Slot, *, funding: Funding, last: Slot | None, now: datetime, taken: set[str]
) -> bool:
    """The daily cap, keeping a place for a last call still to come today."""
    cap = shop.prefs.daily_cap
    if slot.kind != FUNDING_LAST and last is not None and funding.is_short:
        last_pending = last.at is not None and last.at > now and last.name not in taken
        if last_pending and last.at is not None and local(last.at).date() == local(now).date():
            cap -= 1
    return shop.used_today < cap


def _shops(
    session: Session, retailer_ids: Sequence[int], policy: ReminderPolicy, now: datetime
) -> dict[int, _Shop]:
    retailers: dict[int, Retailer] = {}
    for chunk in _chunks(list(retailer_ids)):
        query = (
            select(Retailer).options(selectinload(Retailer.manager)).where(Retailer.id.in_(chunk))
        )
        retailers.update({r.id: r for r in session.scalars(query)})
    prefs = _preferences(session, retailer_ids, policy)
    recipients, _ = _recipients(session, retailer_ids=retailer_ids)
    used = _used_today(session, retailer_ids, now)
    return {
        rid: _Shop(retailers[rid], prefs[rid], recipients.get(rid), used[rid])
        for rid in retailer_ids
        if rid in retailers
    }


def _open_orders(
    session: Session, now: datetime, retailer_ids: Sequence[int] | None
) -> list[Order]:
    query = (
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.status == "open", Order.opens_at <= now, Order.closes_at > now)
        .order_by(Order.retailer_id, Order.closes_at)
    )
    if retailer_ids is None:
        return list(session.scalars(query))
    orders: list[Order] = []
    for chunk in _chunks(list(retailer_ids)):
        orders.extend(session.scalars(query.where(Order.retailer_id.in_(chunk))))
    return orders


def _planned(
    kind: str,
    slot: str,
    *,
    shop: _Shop,
    order: Order,
    funding: Funding,
    not_before: datetime,
    expires: datetime | None,
    manager: Manager | None = None,
) -> NewMessage:
    assert shop.recipient is not None
    language = shop.recipient.language
    key_kind = ORDER_OPEN if kind == ORDER_OPEN_FUNDING else kind
    return NewMessage(
        dedupe_key=dedupe_key(shop.retailer.code, key_kind, order.cycle, slot),
        kind=kind,
        chat_id=shop.recipient.chat_id,
        language=language,
        text=_text(
            kind, language, retailer=shop.retailer, order=order, funding=funding, manager=manager
        ),
        retailer_id=shop.retailer.id,
        cycle=order.cycle,
        buttons=_buttons(language, kind),
        not_before=not_before,
        expires_at=expires,
        priority=PRIORITY[kind],
    )


def _funding_reminders(
    session: Session,
    orders: Sequence[Order],
    *,
    now: datetime,
    policy: ReminderPolicy,
    report: PlanReport,
) -> tuple[list[NewMessage], set[int], set[int]]:
    """Due opening, first and last reminders; plus shops now funded and shops not to remind."""
    shops = _shops(session, sorted({o.retailer_id for o in orders}), policy, now)
    funding = _funding(orders, session, now=now)
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
            reason = _withheld(shop, slot, funding=position, last=last, now=now, taken=taken)
            if reason:
                report.skipped[reason] += 1
                continue
            due.append(
                _planned(
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


def _withheld(
    shop: _Shop,
    slot: Slot,
    *,
    funding: Funding,
    last: Slot | None,
    now: datetime,
    taken: set[str],
    quiet: bool = True,
) -> str | None:
    """Why a due capped reminder may not go now (None: it may); ``quiet=False`` leaves quiet
    hours to the caller (a manager's reminder waits for them to end instead)."""
    if shop.recipient is None:
        return "unbound"
    if shop.prefs.opted_out:
        return "opted_out"
    if shop.prefs.paused(now):
        return "paused"
    if quiet and shop.prefs.quiet.contains(now):
        return "quiet_hours"
    if not _allowed_today(shop, slot, funding=funding, last=last, now=now, taken=taken):
        return "daily_cap"
    return None


def _failed_deductions(
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
    shops = _shops(session, sorted({o.retailer_id for o in orders}), policy, now)
    funding = _funding(orders, session, now=now)
    manager_ids = sorted({s.retailer.manager_id for s in shops.values()})
    _, managers = _recipients(session, manager_ids=manager_ids)
    due: list[NewMessage] = []
    for order in orders:
        shop = shops.get(order.retailer_id)
        if shop is None:
            continue
        if shop.recipient is None:
            report.skipped["unbound"] += 1
        else:
            due.append(
                _planned(
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
                text=_text(
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


def _follow_up_digests(
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
    _, managers = _recipients(session, manager_ids=sorted(by_manager))
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
                shop=_shop_name(retailer, to.language),
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


def due_reminders(
    session: Session, *, clock: Clock, policy: ReminderPolicy, report: PlanReport | None = None
) -> tuple[list[NewMessage], set[int], set[int]]:
    """Every reminder due now and not yet in the outbox, with the shops now funded and the
    shops that asked for silence (their pending reminders are to be cancelled).

    Reads only; :func:`plan_reminders` writes the result.
    """
    now = clock.now()
    report = report if report is not None else PlanReport()
    due, funded, silenced = _funding_reminders(
        session, _open_orders(session, now, None), now=now, policy=policy, report=report
    )
    due.extend(_failed_deductions(session, now=now, policy=policy, report=report))
    due.extend(_follow_up_digests(session, now=now, policy=policy))
    already = outbox.existing_keys(session, [m.dedupe_key for m in due])
    return [m for m in due if m.dedupe_key not in already], funded, silenced


def plan_reminders(session: Session, *, clock: Clock, policy: ReminderPolicy) -> PlanReport:
    """Queue every reminder due now; cancel pending ones that stopped being right; expire
    ones whose moment has passed. Idempotent: run it as often as you like."""
    report = PlanReport()
    due, funded, silenced = due_reminders(session, clock=clock, policy=policy, report=report)
    report.cancelled += outbox.cancel_pending(
        session, retailer_ids=sorted(funded), kinds=FUNDING_KINDS, clock=clock
    )
    report.cancelled += outbox.cancel_pending(
        session, retailer_ids=sorted(silenced), kinds=CAPPED_KINDS, clock=clock
    )
    report.expired = outbox.expire_stale(session, lease=timedelta(hours=1), clock=clock)
    report.queued = outbox.enqueue_many(session, due, clock=clock)
    return report


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
    orders = _open_orders(session, now, retailer_ids)
    shops = _shops(session, sorted({o.retailer_id for o in orders}), policy, now)
    funding = _funding(orders, session, now=now)
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
        reason = _withheld(
            shop, slot, funding=position, last=last, now=now, taken=set(), quiet=False
        )
        if reason is None and at >= order.closes_at:
            reason = "quiet_hours"
        if reason:
            report.skipped[code] = reason
            continue
        messages.append(
            _planned(
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
    _, managers = _recipients(session, manager_ids=[retailer.manager_id])
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
        shop=_shop_name(retailer, to.language),
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
    for chunk in _chunks(retailer_ids):
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
