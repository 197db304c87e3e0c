"""Weekly orders: what is on a retailer's order, and changing its lines safely.

A change goes through three steps, and only the last one writes:

1. The caller says which changes were asked for, as typed :class:`LineRequest` values (the
   actions read them from the message with lang.order_changes; retail reads no text).
2. :func:`plan_order_change` turns them into a :class:`ChangePlan`: per line old -> new, checked
   against the order window, the star quota (控量), the product status and the stock; a line
   that breaks a rule is rejected with the allowed alternative while the others still go
   ahead. It also gives the new total and the shortfall against the bank-reported balance.
   The user sees this plan and confirms it (:mod:`retail.orders.confirmations` keeps it).
3. :func:`apply_order_change` re-checks everything against the order as it is *now* and writes
   the accepted lines under optimistic locking (the order's ``version`` column): when another
   edit committed first, it reloads and re-applies the same deltas, so two simultaneous edits
   both land and neither is lost. Every changed line gets an :class:`OrderAudit` row.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from retail.access import Principal, own_shop
from retail.balances import latest_balance
from retail.catalog import CARTONS_PER_CASE, PACKS_PER_CARTON, load_catalog
from retail.clock import SHANGHAI, Clock, local
from retail.errors import (
    InsufficientStock,
    NotYourShop,
    OrderBusy,
    OrderClosed,
    OrderLineRejected,
    PlanUnavailable,
    ProductDiscontinued,
    QuotaExceeded,
    RecordNotFound,
)
from retail.models import Order, OrderAudit, OrderLine, Product, Retailer

log = logging.getLogger(__name__)

LineAction = Literal["add", "reduce", "set", "remove"]
LineUnit = Literal["carton", "pack", "case"]


@dataclass(frozen=True)
class LineRequest:
    """One change asked for on one product line, in the unit the user said.

    ``quantity`` is None when the user gave none ("加点白沙"); ``product_id`` is None when the
    words named nothing in the catalog (``phrase`` and ``suggestions`` then say what was meant).
    """

    product_id: int | None
    action: LineAction
    quantity: int | None = None
    unit: LineUnit = "carton"
    phrase: str = ""
    suggestions: tuple[str, ...] = ()


ZERO = Decimal("0.00")
MAX_LINE_CARTONS = 10 * CARTONS_PER_CASE
"""No single line may exceed 10 件 (500 条): a larger figure is a typo, not an order."""
MAX_ATTEMPTS = 5
"""How often :func:`apply_order_change` re-applies after losing an optimistic-lock race."""


def open_order(session: Session, retailer_id: int, *, clock: Clock) -> Order | None:
    """The retailer's order whose window contains now, if any."""
    now = clock.now()
    return session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.retailer_id == retailer_id,
            Order.status == "open",
            Order.opens_at <= now,
            Order.closes_at > now,
        )
        .order_by(Order.closes_at)
    )


def current_order(session: Session, retailer_id: int, *, clock: Clock) -> Order | None:
    """This week's order: the open one, else the latest whose window has opened (maybe closed)."""
    order = open_order(session, retailer_id, clock=clock)
    if order is not None:
        return order
    return session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.retailer_id == retailer_id, Order.opens_at <= clock.now())
        .order_by(Order.opens_at.desc())
        .limit(1)
    )


def ordered_product_ids(session: Session, principal: Principal, *, clock: Clock) -> list[int]:
    """Products on a retailer's open order (a bare brand name prefers these specs)."""
    if not principal.is_retailer or principal.retailer_id is None:
        return []
    order = open_order(session, principal.retailer_id, clock=clock)
    return [line.product_id for line in order.lines] if order else []


def order_total(order: Order) -> Decimal:
    """What the order costs: each line's quantity times its wholesale price per 条."""
    return sum((line.unit_price * line.quantity for line in order.lines), Decimal("0.00"))


def is_open(order: Order, now: datetime) -> bool:
    """Whether lines of ``order`` may change at ``now``."""
    return order.status == "open" and order.opens_at <= now < order.closes_at


def next_opening(session: Session, retailer: Retailer, *, clock: Clock) -> datetime | None:
    """When the retailer can next change an order: an upcoming order's window, else the next
    weekly window from the retailer's order day and opening time (Asia/Shanghai)."""
    now = clock.now()
    upcoming = session.scalar(
        select(Order.opens_at)
        .where(Order.retailer_id == retailer.id, Order.status == "open", Order.opens_at > now)
        .order_by(Order.opens_at)
        .limit(1)
    )
    if upcoming is not None:
        return upcoming
    today = local(now).date()
    days_ahead = (retailer.order_weekday - today.weekday()) % 7
    for extra in (0, 7):
        day = today + timedelta(days=days_ahead + extra)
        candidate = datetime.combine(day, retailer.window_open, tzinfo=SHANGHAI)
        if candidate > now:
            return candidate
    return None


def _shortfall(total: Decimal, balance: Decimal | None) -> Decimal:
    return ZERO if balance is None else max(ZERO, total - balance)


# ----------------------------------------------------------------------------- showing


@dataclass(frozen=True)
class OrderLineView:
    """One line as the retailer sees it."""

    product_id: int
    spec: str
    name_en: str
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class OrderView:
    """This week's order with its window, deduction time and funding position.

    ``state`` is ``open`` (lines may change now), ``closed`` (the window has passed) or the
    order's own status once it moved on (``locked``, ``deducted``, ...).
    """

    cycle: str
    state: str
    opens_at: datetime
    closes_at: datetime
    deduct_at: datetime
    lines: tuple[OrderLineView, ...]
    total: Decimal
    balance: Decimal | None
    balance_reported_at: datetime | None
    next_opening: datetime | None

    @property
    def shortfall(self) -> Decimal:
        """How much the balance lacks for this order (0 when funded or unknown)."""
        return _shortfall(self.total, self.balance)


def show_order(session: Session, principal: Principal, *, clock: Clock) -> OrderView:
    """The retailer's own order for this week; :class:`RecordNotFound` if they have none."""
    retailer = own_shop(session, principal)
    order = current_order(session, retailer.id, clock=clock)
    if order is None:
        raise RecordNotFound()
    products = {p.id: p for p in load_catalog(session)}
    lines = tuple(
        OrderLineView(
            product_id=line.product_id,
            spec=products[line.product_id].spec,
            name_en=products[line.product_id].name_en,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in order.lines
    )
    now = clock.now()
    state = (
        "open" if is_open(order, now) else ("closed" if order.status == "open" else order.status)
    )
    snapshot = latest_balance(session, retailer.id)
    return OrderView(
        cycle=order.cycle,
        state=state,
        opens_at=order.opens_at,
        closes_at=order.closes_at,
        deduct_at=order.deduct_at,
        lines=lines,
        total=order_total(order),
        balance=snapshot.balance if snapshot else None,
        balance_reported_at=snapshot.reported_at if snapshot else None,
        next_opening=None if state == "open" else next_opening(session, retailer, clock=clock),
    )


# ----------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class LineChange:
    """One accepted line change: ``action`` ``add`` (``amount`` is a delta in 条, maybe
    negative) or ``set`` (``amount`` is the new quantity; 0 removes the line), and the old and
    new quantities it gives."""

    product_id: int
    spec: str
    name_en: str
    action: str
    amount: int
    old: int
    new: int
    unit_price: Decimal


@dataclass(frozen=True)
class LineRejection:
    """A requested line change that cannot be made, with why (``reason``) and what is allowed
    instead (``params``: quota and star, replacement, available stock, ...). ``product_id`` is
    None when the words named no catalog product (then ``phrase`` says what was written)."""

    reason: str
    product_id: int | None = None
    spec: str | None = None
    name_en: str | None = None
    phrase: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangePlan:
    """What a message would do to the order, for the user to confirm. Writes nothing."""

    order_id: int
    retailer_id: int
    order_version: int
    cycle: str
    changes: tuple[LineChange, ...]
    rejections: tuple[LineRejection, ...]
    old_total: Decimal
    new_total: Decimal
    balance: Decimal | None
    balance_reported_at: datetime | None
    deduct_at: datetime
    closes_at: datetime
    request_message: str = ""
    plan_id: str | None = None

    @property
    def shortfall(self) -> Decimal:
        """How much the bank-reported balance lacks for the new total (0 when funded)."""
        return _shortfall(self.new_total, self.balance)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form for keeping the plan until the user confirms it."""
        return {
            "order_id": self.order_id,
            "retailer_id": self.retailer_id,
            "order_version": self.order_version,
            "cycle": self.cycle,
            "changes": [
                {**change.__dict__, "unit_price": str(change.unit_price)} for change in self.changes
            ],
            "rejections": [rejection.__dict__ for rejection in self.rejections],
            "old_total": str(self.old_total),
            "new_total": str(self.new_total),
            "balance": None if self.balance is None else str(self.balance),
            "balance_reported_at": _iso(self.balance_reported_at),
            "deduct_at": _iso(self.deduct_at),
            "closes_at": _iso(self.closes_at),
            "request_message": self.request_message,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, plan_id: str | None = None) -> ChangePlan:
        """The plan :meth:`to_json` wrote."""
        balance_at = data.get("balance_reported_at")
        return cls(
            order_id=int(data["order_id"]),
            retailer_id=int(data["retailer_id"]),
            order_version=int(data["order_version"]),
            cycle=str(data["cycle"]),
            changes=tuple(
                LineChange(**{**change, "unit_price": Decimal(change["unit_price"])})
                for change in data["changes"]
            ),
            rejections=tuple(LineRejection(**rejection) for rejection in data["rejections"]),
            old_total=Decimal(data["old_total"]),
            new_total=Decimal(data["new_total"]),
            balance=None if data.get("balance") is None else Decimal(data["balance"]),
            balance_reported_at=datetime.fromisoformat(balance_at) if balance_at else None,
            deduct_at=datetime.fromisoformat(data["deduct_at"]),
            closes_at=datetime.fromisoformat(data["closes_at"]),
            request_message=str(data.get("request_message", "")),
            plan_id=plan_id,
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def cartons_of(request: LineRequest) -> int:
    """The requested quantity in 条: 1 件 = 50 条, 10 包 = 1 条 (packs must make whole 条).

    Raises :class:`OrderLineRejected` for a missing, negative or part-carton quantity.
    """
    quantity = request.quantity
    if request.action == "remove":
        return 0
    if quantity is None:
        raise OrderLineRejected(reason="no_quantity")
    if quantity < 0:
        raise OrderLineRejected(reason="negative", quantity=quantity)
    if request.unit == "pack":
        if quantity % PACKS_PER_CARTON:
            lower = quantity // PACKS_PER_CARTON * PACKS_PER_CARTON
            raise OrderLineRejected(
                reason="packs",
                packs=quantity,
                lower=lower,
                upper=lower + PACKS_PER_CARTON,
                upper_cartons=lower // PACKS_PER_CARTON + 1,
            )
        return quantity // PACKS_PER_CARTON
    if request.unit == "case":
        return quantity * CARTONS_PER_CASE
    return quantity


def _target(request: LineRequest, cartons: int, old: int) -> tuple[str, int, int]:
    """(action, amount, new quantity) of one request applied to a line now at ``old``."""
    if request.action in ("add", "reduce"):
        delta = cartons if request.action == "add" else -cartons
        if delta == 0:
            raise OrderLineRejected(reason="unchanged", old=old)
        if old == 0 and delta < 0:
            raise OrderLineRejected(reason="not_on_order")
        if old + delta < 0:
            raise OrderLineRejected(reason="below_zero", old=old, amount=cartons)
        return "add", delta, old + delta
    if request.action == "remove" and old == 0:
        raise OrderLineRejected(reason="not_on_order")
    if cartons == old:
        raise OrderLineRejected(reason="unchanged", old=old)
    return "set", cartons, cartons


def check_line(product: Product, old: int, new: int, *, star_level: int) -> None:
    """Raise the rule a change of ``product`` from ``old`` to ``new`` 条 breaks, if any.

    Reductions are always allowed (a retailer may cut a limited or discontinued line); an
    increase must respect the line limit, the product status, the star quota and the stock.
    """
    if new <= old:
        return
    if new > MAX_LINE_CARTONS:
        raise OrderLineRejected(reason="too_many", limit=MAX_LINE_CARTONS, quantity=new)
    if product.status == "discontinued":
        replacement = product.replacement
        raise ProductDiscontinued(
            reason="discontinued",
            replacement_spec=replacement.spec if replacement else None,
            replacement_name_en=replacement.name_en if replacement else None,
        )
    if product.status == "limited":
        quota = next((q.max_cartons for q in product.quotas if q.star_level == star_level), 0)
        if new > quota:
            raise QuotaExceeded(reason="quota", quota=quota, star=star_level)
    if new - old > product.stock_cartons:
        raise InsufficientStock(
            reason="stock",
            available=max(0, product.stock_cartons),
            max_new=old + max(0, product.stock_cartons),
        )


def _rejection(error: OrderLineRejected, product: Product | None, phrase: str) -> LineRejection:
    params = {k: v for k, v in error.params.items() if k != "reason"}
    return LineRejection(
        reason=str(error.params.get("reason", "generic")),
        product_id=product.id if product else None,
        spec=product.spec if product else None,
        name_en=product.name_en if product else None,
        phrase=phrase,
        params=params,
    )


def _compose(earlier: tuple[str, int] | None, action: str, amount: int) -> tuple[str, int]:
    """Two requests on one line in one message make one change: add∘add adds up, and a set
    followed by an add is a set to the sum."""
    if earlier is None or action == "set":
        return action, amount
    return earlier[0], earlier[1] + amount


def plan_order_change(
    session: Session,
    principal: Principal,
    requests: Sequence[LineRequest],
    *,
    clock: Clock,
    request_message: str = "",
    skip_unchanged: bool = False,
) -> ChangePlan:
    """What ``requests`` would do to the retailer's own open order; nothing is written.

    Each request is checked on its own: a rejected line lands in ``rejections`` with the reason
    and the allowed alternative, and the rest still go ahead. Raises :class:`OrderClosed`
    (with ``opens_at``, the next opening) when no order window is open, and
    :class:`WrongRole` for a user who is not a retailer.
    """
    retailer = own_shop(session, principal)
    order = open_order(session, retailer.id, clock=clock)
    if order is None:
        raise OrderClosed(opens_at=next_opening(session, retailer, clock=clock))
    products = {product.id: product for product in load_catalog(session)}
    lines = {line.product_id: line for line in order.lines}
    original = {product_id: line.quantity for product_id, line in lines.items()}
    running = dict(original)
    composed: dict[int, tuple[str, int]] = {}
    rejections: list[LineRejection] = []
    for request in requests:
        product = products.get(request.product_id) if request.product_id is not None else None
        if product is None:
            rejections.append(
                LineRejection(
                    reason="unknown_product",
                    phrase=request.phrase[:40],
                    params={"suggestions": list(request.suggestions)},
                )
            )
            continue
        old = running.get(product.id, 0)
        try:
            action, amount, new = _target(request, cartons_of(request), old)
            check_line(product, original.get(product.id, 0), new, star_level=retailer.star_level)
        except OrderLineRejected as error:
            if skip_unchanged and error.params.get("reason") == "unchanged":
                continue
            rejections.append(_rejection(error, product, request.phrase))
            continue
        running[product.id] = new
        composed[product.id] = _compose(composed.get(product.id), action, amount)

    changes = tuple(
        LineChange(
            product_id=product_id,
            spec=products[product_id].spec,
            name_en=products[product_id].name_en,
            action=action,
            amount=amount,
            old=original.get(product_id, 0),
            new=running[product_id],
            unit_price=products[product_id].wholesale_per_carton,
        )
        for product_id, (action, amount) in composed.items()
        if running[product_id] != original.get(product_id, 0)
    )
    changed = {change.product_id: change for change in changes}
    new_total = sum(
        (line.unit_price * line.quantity for pid, line in lines.items() if pid not in changed),
        ZERO,
    ) + sum((change.unit_price * change.new for change in changes), ZERO)
    snapshot = latest_balance(session, retailer.id)
    return ChangePlan(
        order_id=order.id,
        retailer_id=retailer.id,
        order_version=order.version,
        cycle=order.cycle,
        changes=changes,
        rejections=tuple(rejections),
        old_total=order_total(order),
        new_total=new_total,
        balance=snapshot.balance if snapshot else None,
        balance_reported_at=snapshot.reported_at if snapshot else None,
        deduct_at=order.deduct_at,
        closes_at=order.closes_at,
        request_message=request_message,
    )


def requests_of(plan: ChangePlan) -> list[LineRequest]:
    """The requests that give ``plan``'s accepted changes, in 条: an ``add`` stays a delta
    (加2条 adds 2 to whatever the line holds now), a ``set`` stays the quantity asked for.
    Planning them again against a moved order gives the same change on today's figures."""
    requests: list[LineRequest] = []
    for change in plan.changes:
        if change.action == "add":
            action: LineAction = "add" if change.amount >= 0 else "reduce"
            requests.append(LineRequest(change.product_id, action, abs(change.amount)))
        elif change.amount == 0:
            requests.append(LineRequest(change.product_id, "remove"))
        else:
            requests.append(LineRequest(change.product_id, "set", change.amount))
    return requests


def repeat_last_order(
    session: Session, principal: Principal, *, clock: Clock, request_message: str = ""
) -> ChangePlan:
    """A plan that makes this week's order the same as the previous one ("same as last week").

    Lines of last week are set to last week's quantities and lines it did not have are removed;
    lines already equal are left out. The same checks apply, so a product discontinued since
    last week is rejected with its replacement. :class:`RecordNotFound` if there is no earlier
    order with lines.
    """
    retailer = own_shop(session, principal)
    order = open_order(session, retailer.id, clock=clock)
    if order is None:
        raise OrderClosed(opens_at=next_opening(session, retailer, clock=clock))
    previous = session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.retailer_id == retailer.id,
            Order.id != order.id,
            Order.opens_at < order.opens_at,
        )
        .order_by(Order.opens_at.desc())
        .limit(1)
    )
    if previous is None or not previous.lines:
        raise RecordNotFound()
    wanted = {line.product_id: line.quantity for line in previous.lines}
    requests = [LineRequest(pid, "set", quantity) for pid, quantity in wanted.items()]
    requests += [
        LineRequest(line.product_id, "remove")
        for line in order.lines
        if line.product_id not in wanted
    ]
    return plan_order_change(
        session,
        principal,
        requests,
        clock=clock,
        request_message=request_message,
        skip_unchanged=True,
    )


# ----------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class ChangeResult:
    """What :func:`apply_order_change` wrote: the lines as actually changed (old is what the
    order held at that moment), the lines refused at apply time, and the new position.
    ``changed_meanwhile`` is True when the order moved between plan and confirmation, so the
    figures differ from those the user confirmed."""

    applied: tuple[LineChange, ...]
    rejections: tuple[LineRejection, ...]
    new_total: Decimal
    balance: Decimal | None
    balance_reported_at: datetime | None
    deduct_at: datetime
    attempts: int
    changed_meanwhile: bool

    @property
    def shortfall(self) -> Decimal:
        return _shortfall(self.new_total, self.balance)


OnAttempt = Callable[[Session], None]


def apply_order_change(
    session: Session,
    principal: Principal,
    plan: ChangePlan,
    source_message: str,
    *,
    clock: Clock,
    on_attempt: OnAttempt | None = None,
) -> ChangeResult:
    """Write the accepted lines of a confirmed ``plan`` to the retailer's own order.

    Everything is checked again against the order as it is now (window, status, quota,
    stock, ownership). The order row is updated first, through its ``version`` column, so a
    concurrent edit that committed in between raises ``StaleDataError``: then the session is
    rolled back, the order reloaded, and the *same deltas* applied again (an ``add 2`` still
    adds 2 to whatever is there), up to :data:`MAX_ATTEMPTS` times before :class:`OrderBusy`.
    Because of that rollback, call this at the start of a fresh transaction.

    ``source_message`` (the id of the message that confirmed) and the plan's request message
    go into one :class:`OrderAudit` row per changed line. ``on_attempt`` runs inside each
    attempt's transaction before anything else (the confirmation store uses it to claim the
    plan exactly once). The caller commits.
    """
    retailer = own_shop(session, principal)
    if plan.retailer_id != retailer.id:
        raise NotYourShop()
    retailer_id, star_level = retailer.id, retailer.star_level
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            if on_attempt is not None:
                on_attempt(session)
            result = _apply_once(
                session, principal, retailer_id, star_level, plan, source_message, clock, attempt
            )
        except StaleDataError:
            session.rollback()
            log.info("order changed concurrently; re-applying", extra={"order": plan.order_id})
            time.sleep(random.uniform(0.005, 0.02) * attempt)
            continue
        return result
    raise OrderBusy()


def _apply_once(
    session: Session,
    principal: Principal,
    retailer_id: int,
    star_level: int,
    plan: ChangePlan,
    source_message: str,
    clock: Clock,
    attempt: int,
) -> ChangeResult:
    now = clock.now()
    order = session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.id == plan.order_id)
        .execution_options(populate_existing=True)
    )
    if order is None or order.retailer_id != retailer_id:
        raise PlanUnavailable(reason="unknown")
    if not is_open(order, now):
        retailer = session.get(Retailer, retailer_id)
        assert retailer is not None
        raise OrderClosed(opens_at=next_opening(session, retailer, clock=clock))
    # Win the optimistic lock before touching any line: UPDATE ... WHERE version = <read>.
    # Another writer that committed since we read makes this raise StaleDataError; on
    # PostgreSQL a writer still in flight makes us wait for it, then raise.
    flag_modified(order, "status")
    session.flush()

    ids = [change.product_id for change in plan.changes]
    products = {
        p.id: p
        for p in session.scalars(
            select(Product)
            .options(selectinload(Product.quotas), selectinload(Product.replacement))
            .where(Product.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    }
    lines = {line.product_id: line for line in order.lines}
    applied: list[LineChange] = []
    rejections: list[LineRejection] = []
    for change in plan.changes:
        product = products[change.product_id]
        line = lines.get(change.product_id)
        old = line.quantity if line else 0
        new = old + change.amount if change.action == "add" else change.amount
        try:
            if new < 0:
                raise OrderLineRejected(reason="below_zero", old=old, amount=-change.amount)
            check_line(product, old, new, star_level=star_level)
        except OrderLineRejected as error:
            rejections.append(_rejection(error, product, change.spec))
            continue
        if new == old:
            continue
        if line is None:
            order.lines.append(
                OrderLine(
                    product_id=product.id, quantity=new, unit_price=product.wholesale_per_carton
                )
            )
        elif new == 0:
            order.lines.remove(line)
        else:
            line.quantity = new
            line.unit_price = product.wholesale_per_carton
        session.add(
            OrderAudit(
                order_id=order.id,
                user_id=principal.user_id,
                at=now,
                action="line_add" if old == 0 else "line_remove" if new == 0 else "line_set",
                product_id=product.id,
                old_quantity=old,
                new_quantity=new,
                source_message=source_message[:64],
                detail={
                    "plan": plan.plan_id,
                    "requested_in": plan.request_message,
                    "request": {"action": change.action, "amount": change.amount},
                    "attempt": attempt,
                },
            )
        )
        applied.append(replace(change, old=old, new=new, unit_price=product.wholesale_per_carton))
    session.flush()
    snapshot = latest_balance(session, retailer_id)
    shown = {(c.product_id, c.old, c.new) for c in plan.changes}
    return ChangeResult(
        applied=tuple(applied),
        rejections=tuple(rejections),
        new_total=order_total(order),
        balance=snapshot.balance if snapshot else None,
        balance_reported_at=snapshot.reported_at if snapshot else None,
        deduct_at=order.deduct_at,
        attempts=attempt,
        changed_meanwhile=bool(rejections)
        or {(c.product_id, c.old, c.new) for c in applied} != shown,
    )
