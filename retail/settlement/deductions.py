"""Deduction results: the company's settlement system says how each order's deduction went.

A feed sends rows of ``retailer_code, cycle | order_id, outcome, amount, reported_at[, reason,
result_id]`` (JSON through ``POST /api/feeds/{feed}/deductions``, or CSV through
``scripts/import_deductions.py``), with the same bearer tokens as the balance feeds
(:mod:`retail.settlement.feeds`). ``outcome`` is ``succeeded`` or ``failed``:

- a failed deduction marks the order ``deduct_failed``; the reminder planner
  (:mod:`retail.reminders`) then notifies the retailer and escalates to their manager, even in
  quiet hours;
- a succeeded one marks it ``deducted`` (funding reminders stop, the order shows as deducted).

Only an order awaiting its deduction (status ``open`` or ``locked``, window closed at the
reported time) takes a result, and only one result: its status moves once, under a row lock.
The same result sent again (same ``result_id``, or the same content without one) is counted as
a duplicate; any other result for an order that has already moved on is rejected with its
status, never applied over it. Malformed rows, unknown shops and unknown orders are rejected
one by one with a reason; the valid rest is applied. Every applied result is written to the
order's audit trail (:class:`~retail.models.OrderAudit`, action ``deduction``) with the feed,
the reported amount and time, the reason, and the status before and after.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from retail.clock import Clock
from retail.errors import RecordNotFound, RetailError
from retail.models import Order, OrderAudit, Retailer
from retail.orders import order_total
from retail.reminders import DEDUCT_FAILED_STATUS
from retail.settlement.feeds import (
    AMOUNT,
    SNAPSHOT_ID,
    FeedReport,
    RowProblem,
    check_feed_name,
    field_text,
    number_rows,
    read_csv_rows,
    reported_time,
)

SUCCEEDED = "succeeded"
FAILED = "failed"
DEDUCTED_STATUS = "deducted"
"""``Order.status`` once the deduction went through (also what demo seeding uses)."""
NEW_STATUS = {SUCCEEDED: DEDUCTED_STATUS, FAILED: DEDUCT_FAILED_STATUS}
AWAITING_DEDUCTION = ("open", "locked")
"""Statuses of an order whose deduction has not been reported yet."""
AUDIT_ACTION = "deduction"
FIELDS = ("retailer_code", "outcome", "amount", "reported_at")
ORDER_ID = re.compile(r"^\d{1,12}$")
MAX_REASON = 200
_CHUNK = 500


class DeductionRefused(RetailError):
    """One deduction result that was not applied; ``code`` and ``value`` say why
    (``not_awaiting`` with the order's status, ``still_open``, ...)."""

    key = "deduction.refused"


@dataclass(frozen=True)
class DeductionResult:
    """One order's deduction as reported: the order is ``cycle`` of the shop, or ``order_id``
    (when both are given they must name the same order). ``row`` is the number the result is
    reported under; ``result_id`` is the feed's own id for it, if it has one."""

    retailer_code: str
    outcome: str
    amount: Decimal
    reported_at: datetime
    cycle: str = ""
    order_id: int | None = None
    reason: str = ""
    result_id: str = ""
    row: int = 1


def result_key(feed: str, result: DeductionResult) -> str:
    """What makes a re-sent result recognisable: the feed's result id, or the row's content."""
    if result.result_id:
        return f"{feed}:{result.result_id}"
    order = result.cycle or f"#{result.order_id}"
    moment = result.reported_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{feed}:{result.retailer_code}:{order}:{result.outcome}:{moment}:{result.amount:.2f}"


def parse_deduction_row(
    number: int, raw: Mapping[str, Any], *, now: datetime
) -> DeductionResult | RowProblem:
    """One row of a feed as a :class:`DeductionResult`, or the first thing wrong with it."""
    values = {
        name: field_text(raw.get(name))
        for name in (*FIELDS, "cycle", "order_id", "reason", "result_id")
    }
    for name in FIELDS:
        if not values[name]:
            return RowProblem(number, "missing", name)
    if not values["cycle"] and not values["order_id"]:
        return RowProblem(number, "missing", "cycle")
    if values["order_id"] and not ORDER_ID.match(values["order_id"]):
        return RowProblem(number, "bad_order_id", "order_id", values["order_id"][:40])
    outcome = values["outcome"].lower()
    if outcome not in NEW_STATUS:
        return RowProblem(number, "bad_outcome", "outcome", values["outcome"][:40])
    if not AMOUNT.match(values["amount"]):
        return RowProblem(number, "bad_deduction_amount", "amount", values["amount"][:40])
    reported_at = reported_time(number, values["reported_at"], now=now)
    if isinstance(reported_at, RowProblem):
        return reported_at
    if len(values["reason"]) > MAX_REASON:
        return RowProblem(number, "too_long", "reason", str(MAX_REASON))
    if values["result_id"] and not SNAPSHOT_ID.match(values["result_id"]):
        return RowProblem(number, "bad_result_id", "result_id", values["result_id"][:40])
    return DeductionResult(
        retailer_code=values["retailer_code"],
        outcome=outcome,
        amount=Decimal(values["amount"]),
        reported_at=reported_at,
        cycle=values["cycle"],
        order_id=int(values["order_id"]) if values["order_id"] else None,
        reason=values["reason"],
        result_id=values["result_id"],
        row=number,
    )


def import_deductions(
    session: Session,
    rows: Iterable[Any],
    *,
    feed: str,
    clock: Clock,
    numbers: Iterable[int] | None = None,
) -> FeedReport:
    """Apply the valid rows of a feed (mappings, as JSON or CSV delivers them); report the rest
    row by row. ``numbers`` are the row numbers to report (CSV line numbers); by default rows
    count from 1."""
    check_feed_name(feed)
    now = clock.now()
    numbered = number_rows(rows, numbers)
    problems: list[RowProblem] = []
    results: list[DeductionResult] = []
    for number, raw in numbered:
        parsed = (
            parse_deduction_row(number, raw, now=now)
            if isinstance(raw, Mapping)
            else RowProblem(number, "missing", "retailer_code")
        )
        if isinstance(parsed, RowProblem):
            problems.append(parsed)
        else:
            results.append(parsed)
    report = record_deduction_results(session, results, feed=feed, clock=clock)
    report.received = len(numbered)
    report.rejected = sorted([*problems, *report.rejected], key=lambda p: p.row)
    return report


def import_deductions_csv(session: Session, text: str, *, feed: str, clock: Clock) -> FeedReport:
    """Import a CSV file with a header row (retailer_code, outcome, amount, reported_at and
    cycle or order_id; optionally reason, result_id); rejected rows are reported by their line
    number in the file."""
    rows, numbers = read_csv_rows(text, required=FIELDS)
    return import_deductions(session, rows, feed=feed, clock=clock, numbers=numbers)


def _retailers(session: Session, codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(Retailer.code, Retailer.id).where(
            Retailer.code.in_(wanted[start : start + _CHUNK])
        )
        found.update({code: retailer_id for code, retailer_id in session.execute(query)})
    return found


def _locked_orders(
    session: Session, results: Sequence[DeductionResult], retailers: Mapping[str, int]
) -> dict[int, Order]:
    """The orders the results name, locked (FOR UPDATE) and read fresh, by id."""
    retailer_ids = sorted({retailers[r.retailer_code] for r in results if r.cycle})
    cycles = sorted({r.cycle for r in results if r.cycle})
    ids = sorted({r.order_id for r in results if r.order_id is not None})
    base = (
        select(Order)
        .options(selectinload(Order.lines))
        .order_by(Order.retailer_id, Order.id)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )
    found: dict[int, Order] = {}
    for start in range(0, len(retailer_ids), _CHUNK):
        chunk = retailer_ids[start : start + _CHUNK]
        query = base.where(Order.retailer_id.in_(chunk), Order.cycle.in_(cycles))
        found.update({order.id: order for order in session.scalars(query)})
    for start in range(0, len(ids), _CHUNK):
        query = base.where(Order.id.in_(ids[start : start + _CHUNK]))
        found.update({order.id: order for order in session.scalars(query)})
    return found


def _recorded_keys(session: Session, order_ids: Sequence[int]) -> dict[int, set[str]]:
    """The keys of the deduction results already applied to each order."""
    keys: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(order_ids), _CHUNK):
        query = select(OrderAudit.order_id, OrderAudit.detail).where(
            OrderAudit.order_id.in_(order_ids[start : start + _CHUNK]),
            OrderAudit.action == AUDIT_ACTION,
        )
        for order_id, detail in session.execute(query):
            keys[order_id].add(str((detail or {}).get("key", "")))
    return keys


def _order_for(
    result: DeductionResult,
    retailer_id: int,
    orders: Mapping[int, Order],
    by_cycle: Mapping[tuple[int, str], Order],
) -> Order | None:
    """The shop's order the result names; by id, the order must also be of that shop (and
    of that cycle, when one is given)."""
    if result.order_id is None:
        return by_cycle.get((retailer_id, result.cycle))
    order = orders.get(result.order_id)
    if order is None or order.retailer_id != retailer_id:
        return None
    return order if not result.cycle or order.cycle == result.cycle else None


def record_deduction_results(
    session: Session, results: Sequence[DeductionResult], *, feed: str, clock: Clock
) -> FeedReport:
    """Apply deduction results to the orders they name; report what could not be applied.

    ``stored`` counts the results applied, ``duplicates`` those already applied earlier (same
    :func:`result_key`), ``rejected`` the rest with a reason each: ``unknown_shop``,
    ``unknown_order``, ``still_open`` (the order window had not closed at the reported time)
    or ``not_awaiting`` (the order already has another result, or never awaited one; the value
    is its status). The orders are locked while this runs, so two deliveries of the same file
    at once apply each result once.
    """
    check_feed_name(feed)
    now = clock.now()
    report = FeedReport(received=len(results))
    retailers = _retailers(session, (r.retailer_code for r in results))
    known = [r for r in results if r.retailer_code in retailers]
    orders = _locked_orders(session, known, retailers)
    recorded = _recorded_keys(session, sorted(orders))
    by_cycle = {(o.retailer_id, o.cycle): o for o in orders.values()}
    for result in results:
        retailer_id = retailers.get(result.retailer_code)
        if retailer_id is None:
            report.rejected.append(
                RowProblem(result.row, "unknown_shop", "retailer_code", result.retailer_code[:40])
            )
            continue
        order = _order_for(result, retailer_id, orders, by_cycle)
        if order is None:
            field, value = (
                ("cycle", result.cycle)
                if result.order_id is None
                else ("order_id", str(result.order_id))
            )
            report.rejected.append(RowProblem(result.row, "unknown_order", field, value[:40]))
            continue
        key = result_key(feed, result)
        if key in recorded[order.id]:
            report.duplicates += 1
        elif order.status not in AWAITING_DEDUCTION:
            report.rejected.append(RowProblem(result.row, "not_awaiting", "outcome", order.status))
        elif result.reported_at < order.closes_at:
            report.rejected.append(RowProblem(result.row, "still_open", "reported_at", order.cycle))
        else:
            _apply(session, order, result, feed=feed, key=key, now=now)
            recorded[order.id].add(key)
            report.stored += 1
    report.rejected.sort(key=lambda p: p.row)
    session.flush()
    return report


def _apply(
    session: Session, order: Order, result: DeductionResult, *, feed: str, key: str, now: datetime
) -> None:
    """Move the order to its new status and write the audit row."""
    before, after = order.status, NEW_STATUS[result.outcome]
    order.status = after
    session.add(
        OrderAudit(
            order_id=order.id,
            user_id=None,
            at=now,
            action=AUDIT_ACTION,
            source_message=f"feed:{feed}"[:64],
            detail={
                "key": key,
                "feed": feed,
                "result_id": result.result_id,
                "outcome": result.outcome,
                "amount": f"{result.amount:.2f}",
                "order_total": f"{order_total(order):.2f}",
                "reported_at": result.reported_at.isoformat(),
                "reason": result.reason,
                "from": before,
                "to": after,
            },
        )
    )


def record_deduction_result(
    session: Session,
    *,
    retailer_code: str,
    cycle: str,
    succeeded: bool,
    clock: Clock,
    feed: str = "manual",
    reason: str = "",
) -> Order:
    """One order's deduction result, reported now for the order's total: for staff tools and
    tests. :class:`RecordNotFound` for an unknown shop or order, :class:`DeductionRefused` when
    the order does not take the result; a duplicate is accepted quietly (it is the same)."""
    order = session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .join(Retailer, Retailer.id == Order.retailer_id)
        .where(Retailer.code == retailer_code, Order.cycle == cycle)
    )
    if order is None:
        raise RecordNotFound()
    result = DeductionResult(
        retailer_code=retailer_code,
        outcome=SUCCEEDED if succeeded else FAILED,
        amount=order_total(order),
        reported_at=clock.now(),
        cycle=cycle,
        reason=reason,
    )
    report = record_deduction_results(session, [result], feed=feed, clock=clock)
    if report.rejected:
        problem = report.rejected[0]
        raise DeductionRefused(code=problem.code, value=problem.value)
    return order
