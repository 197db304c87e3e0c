"""What a manager asks about visits: the last one to a shop, a period's visits, shops not
visited lately, follow-ups due, recent stock-outs and suspected fakes, next week's plan, and a
shop's status (order, balance, shortfall, last visit). Every query sees only the asker's
territory (staff see all); retailers get :class:`~retail.errors.ManagersOnly`.

Questions arrive as typed values the adapter read from the message (the shop ids it names, a
number of days, a period); a question that gives no number gets this module's defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from retail.access import Principal, visible_retailers
from retail.catalog import load_catalog
from retail.clock import SHANGHAI, Clock, local
from retail.models import FollowUp, Product, Retailer, VisitFinding, VisitNote
from retail.orders import current_order, is_open, order_total
from retail.settlement import SettlementStatus, status_of
from retail.visits.notes import require_manager, resolve_shop
from retail.visits.records import COUNTERFEIT, SAVED, STOCK_OUT, VisitView, note_view

OVERDUE_DAYS = 14
"""A shop not visited for this many days is overdue in the plan."""
STOCK_OUT_DAYS = 14
COUNTERFEIT_DAYS = 30
PERIOD_DAYS = 7
"""A question about visits that names no period looks at the last week."""


@dataclass(frozen=True)
class Coverage:
    """A shop and when it was last visited (None: never)."""

    retailer: Retailer
    last_visit: datetime | None
    days_since: int | None


@dataclass(frozen=True)
class FollowUpView:
    """An open follow-up of the territory."""

    id: int
    retailer: Retailer
    due_on: date
    text: str
    overdue: bool


@dataclass(frozen=True)
class Sighting:
    """A stock-out or suspected fake seen on a visit."""

    retailer: Retailer
    visited_at: datetime
    product: Product | None
    text: str


@dataclass(frozen=True)
class PlanItem:
    """A shop on next week's visit plan and why it is there (overdue, key, short, follow-ups)."""

    retailer: Retailer
    last_visit: datetime | None
    days_since: int | None
    overdue: bool
    key: bool
    shortfall: Decimal
    open_follow_ups: int

    @property
    def priority(self) -> bool:
        """Key or overdue shops go first."""
        return self.overdue or self.key


@dataclass(frozen=True)
class RetailerStatus:
    """A shop's week as its manager sees it."""

    retailer: Retailer
    order_cycle: str | None
    order_state: str | None
    order_total: Decimal
    order_lines: tuple[tuple[str, str, int], ...]
    settlement: SettlementStatus
    last_visit: VisitView | None


def period_of(
    start: date | None, end: date | None, *, clock: Clock, days: int = PERIOD_DAYS
) -> tuple[date, date]:
    """The days a visit question means: the period it names, else the last ``days`` days."""
    if start is not None and end is not None:
        return start, end
    today = local(clock.now()).date()
    return today - timedelta(days=days - 1), today


def _saved_notes(retailer_ids: list[int]) -> Select[tuple[VisitNote]]:
    return (
        select(VisitNote)
        .options(selectinload(VisitNote.findings), selectinload(VisitNote.follow_ups))
        .where(VisitNote.retailer_id.in_(retailer_ids), VisitNote.status == SAVED)
    )


def last_visit(
    session: Session, principal: Principal, shops: Sequence[int]
) -> tuple[Retailer, VisitView | None]:
    """The shop of the territory among ``shops`` (ids a message names) and its newest saved
    visit (None if never visited)."""
    require_manager(principal)
    retailer = resolve_shop(session, principal, shops)
    return retailer, _last_visit_of(session, retailer)


def _last_visit_of(session: Session, retailer: Retailer) -> VisitView | None:
    note = session.scalar(
        _saved_notes([retailer.id])
        .order_by(VisitNote.visited_at.desc(), VisitNote.id.desc())
        .limit(1)
    )
    return note_view(session, note) if note else None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(0), tzinfo=SHANGHAI),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=SHANGHAI),
    )


def visits_in_period(
    session: Session, principal: Principal, start: date, end: date
) -> list[VisitView]:
    """Saved visits of the territory between ``start`` and ``end`` (days in Shanghai, inclusive)."""
    require_manager(principal)
    ids = [shop.id for shop in visible_retailers(session, principal)]
    low, high = _bounds(start, end)
    notes = session.scalars(
        _saved_notes(ids)
        .where(VisitNote.visited_at >= low, VisitNote.visited_at < high)
        .order_by(VisitNote.visited_at, VisitNote.id)
    )
    return [note_view(session, note) for note in notes]


def coverage(session: Session, principal: Principal, *, clock: Clock) -> list[Coverage]:
    """Every shop of the territory with its last saved visit, never-visited and oldest first."""
    require_manager(principal)
    shops = visible_retailers(session, principal)
    query = (
        select(VisitNote.retailer_id, func.max(VisitNote.visited_at))
        .where(VisitNote.retailer_id.in_([s.id for s in shops]), VisitNote.status == SAVED)
        .group_by(VisitNote.retailer_id)
    )
    last: dict[int, datetime] = {rid: at for rid, at in session.execute(query)}
    today = local(clock.now()).date()
    rows = []
    for shop in shops:
        at = last.get(shop.id)
        days = (today - local(at).date()).days if at else None
        rows.append(Coverage(shop, at, days))
    return sorted(rows, key=lambda row: (row.last_visit is not None, -(row.days_since or 0)))


def shops_not_visited(
    session: Session, principal: Principal, *, clock: Clock, days: int | None = None
) -> list[Coverage]:
    """Shops of the territory not visited in the last ``days`` days (default
    :data:`OVERDUE_DAYS`), or never."""
    days = OVERDUE_DAYS if days is None else days
    return [
        row
        for row in coverage(session, principal, clock=clock)
        if row.days_since is None or row.days_since >= days
    ]


def follow_ups_due(
    session: Session, principal: Principal, *, clock: Clock, within_days: int | None = 0
) -> list[FollowUpView]:
    """Open follow-ups of saved notes due by today + ``within_days`` (default: today), overdue
    ones first."""
    require_manager(principal)
    within_days = within_days or 0
    shops = {shop.id: shop for shop in visible_retailers(session, principal)}
    today = local(clock.now()).date()
    rows = session.scalars(
        select(FollowUp)
        .join(VisitNote, VisitNote.id == FollowUp.note_id)
        .where(
            FollowUp.retailer_id.in_(list(shops)),
            FollowUp.done_at.is_(None),
            VisitNote.status == SAVED,
            FollowUp.due_on <= today + timedelta(days=within_days),
        )
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    return [
        FollowUpView(row.id, shops[row.retailer_id], row.due_on, row.text, row.due_on < today)
        for row in rows
    ]


def _sightings(
    session: Session,
    principal: Principal,
    kind: str,
    *,
    clock: Clock,
    days: int,
    start: date | None,
    end: date | None,
) -> list[Sighting]:
    shops = {shop.id: shop for shop in visible_retailers(session, principal)}
    products = {p.id: p for p in load_catalog(session)}
    if start is not None and end is not None:
        since, until = _bounds(start, end)
    else:
        since, until = clock.now() - timedelta(days=days), None
    window = [VisitNote.visited_at >= since]
    if until is not None:
        window.append(VisitNote.visited_at < until)
    rows = session.execute(
        select(VisitFinding, VisitNote)
        .join(VisitNote, VisitNote.id == VisitFinding.note_id)
        .where(
            VisitFinding.kind == kind,
            VisitNote.status == SAVED,
            VisitNote.retailer_id.in_(list(shops)),
            *window,
        )
        .order_by(VisitNote.visited_at.desc(), VisitFinding.id)
    )
    return [
        Sighting(
            shops[note.retailer_id],
            note.visited_at,
            products.get(finding.product_id or 0),
            finding.text,
        )
        for finding, note in rows
    ]


def stock_outs(
    session: Session,
    principal: Principal,
    *,
    clock: Clock,
    days: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Sighting]:
    """Stock-outs reported on saved visits between ``start`` and ``end`` (days in Shanghai,
    inclusive) when both are given, else in the last ``days`` days (default
    :data:`STOCK_OUT_DAYS`), newest first."""
    require_manager(principal)
    days = STOCK_OUT_DAYS if days is None else days
    return _sightings(session, principal, STOCK_OUT, clock=clock, days=days, start=start, end=end)


def counterfeit_reports(
    session: Session,
    principal: Principal,
    *,
    clock: Clock,
    days: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Sighting]:
    """Suspected fakes flagged on visits between ``start`` and ``end`` when both are given,
    else in the last ``days`` days (default :data:`COUNTERFEIT_DAYS`): the list handed to the
    monopoly officer (专卖管理员).

    Staff see every shop's; a manager sees their territory's.
    """
    require_manager(principal)
    days = COUNTERFEIT_DAYS if days is None else days
    return _sightings(session, principal, COUNTERFEIT, clock=clock, days=days, start=start, end=end)


def visit_plan(session: Session, principal: Principal, *, clock: Clock) -> list[PlanItem]:
    """Next week's visits: every shop of the territory, overdue and key shops first.

    Key = a key shop (重点客户), star level 4-5, a shortfall on the open order, or open
    follow-ups; overdue = not visited for :data:`OVERDUE_DAYS` days by next Monday.
    """
    rows = coverage(session, principal, clock=clock)
    today = local(clock.now()).date()
    next_monday = today + timedelta(days=7 - today.weekday())
    query = (
        select(FollowUp.retailer_id, func.count(FollowUp.id))
        .join(VisitNote, VisitNote.id == FollowUp.note_id)
        .where(FollowUp.done_at.is_(None), VisitNote.status == SAVED)
        .group_by(FollowUp.retailer_id)
    )
    open_counts: dict[int, int] = {rid: count for rid, count in session.execute(query)}
    plan = []
    for row in rows:
        shortfall = status_of(session, row.retailer, clock=clock).shortfall
        follow_ups = int(open_counts.get(row.retailer.id, 0))
        last_day = local(row.last_visit).date() if row.last_visit else None
        overdue = last_day is None or (next_monday - last_day).days >= OVERDUE_DAYS
        key = row.retailer.key_shop or row.retailer.star_level >= 4
        plan.append(
            PlanItem(
                retailer=row.retailer,
                last_visit=row.last_visit,
                days_since=row.days_since,
                overdue=overdue,
                key=key or shortfall > 0 or follow_ups > 0,
                shortfall=shortfall,
                open_follow_ups=follow_ups,
            )
        )
    return sorted(
        plan,
        key=lambda item: (
            not item.overdue,
            not item.key,
            -(item.days_since if item.days_since is not None else 10_000),
            item.retailer.code,
        ),
    )


def retailer_status(
    session: Session, principal: Principal, shops: Sequence[int], *, clock: Clock
) -> RetailerStatus:
    """The shop of the territory among ``shops`` (ids a message names): this week's order,
    funding, last visit."""
    require_manager(principal)
    retailer = resolve_shop(session, principal, shops)
    order = current_order(session, retailer.id, clock=clock)
    products = {p.id: p for p in load_catalog(session)}
    lines = tuple(
        (products[line.product_id].spec, products[line.product_id].name_en, line.quantity)
        for line in (order.lines if order else [])
        if line.quantity > 0
    )
    state = None
    if order is not None:
        state = order.status
        if is_open(order, clock.now()):
            state = "open"
        elif order.status == "open":
            state = "closed"
    return RetailerStatus(
        retailer=retailer,
        order_cycle=order.cycle if order else None,
        order_state=state,
        order_total=order_total(order) if order else Decimal("0.00"),
        order_lines=lines,
        settlement=status_of(session, retailer, clock=clock),
        last_visit=_last_visit_of(session, retailer),
    )
