"""Two (or more) edits of one order at the same moment, on real PostgreSQL: none is lost.

Each edit runs in its own thread, session and connection, as two action-server workers would.
A barrier holds every thread after it has read the order and before it writes, so the race is
certain, not left to timing: one writer wins the version check, the others meet a newer version
(``StaleDataError``), reload, and re-apply their own deltas on top.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from actions.order_reading import requested_lines as parse_order_request
from retail import access
from retail.clock import FixedClock
from retail.db import Database
from retail.errors import PlanUnavailable
from retail.models import Order, OrderAudit, OrderChangePlan, Product
from retail.orders import (
    ChangePlan,
    ChangeResult,
    apply_order_change,
    confirm_change,
    plan_order_change,
    propose_change,
)
from retail.schema import migrate
from retail.seed import seed_demo

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(postgres_url: str, clock: FixedClock) -> Iterator[Database]:
    """The demo data, migrated and seeded, in a throwaway PostgreSQL database."""
    migrate(postgres_url)
    database = Database(postgres_url)
    with database.session() as session:
        seed_demo(session, clock)
    yield database
    database.dispose()


def _plan(database: Database, clock: FixedClock, text: str) -> ChangePlan:
    with database.session() as session:
        principal = access.principal_for(session, 10001)
        requests = parse_order_request(session, text)
        return plan_order_change(session, principal, requests, clock=clock)


def _race(
    database: Database, clock: FixedClock, jobs: list[tuple[ChangePlan, str]]
) -> list[ChangeResult | BaseException]:
    """Apply every plan in its own thread; all read the order, then all try to write at once."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list[ChangeResult | BaseException] = [RuntimeError("not run")] * len(jobs)

    def worker(index: int, plan: ChangePlan, message: str) -> None:
        try:
            with database.session() as session:
                first_write = [True]

                def hold_until_all_have_read(*_: Any) -> None:
                    if first_write[0]:
                        first_write[0] = False
                        barrier.wait()

                event.listen(session, "before_flush", hold_until_all_have_read)
                principal = access.principal_for(session, 10001)
                results[index] = apply_order_change(session, principal, plan, message, clock=clock)
        except BaseException as error:  # reported by the assertions below
            results[index] = error

    threads = [
        threading.Thread(target=worker, args=(index, plan, message))
        for index, (plan, message) in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _state(database: Database) -> tuple[dict[str, int], list[tuple[str, int, int, str]], int]:
    """Quantities of R001's open order, its audit rows, and its version."""
    with database.session() as session:
        retailer_id = access.principal_for(session, 10001).retailer_id
        order = session.scalar(
            select(Order).where(Order.retailer_id == retailer_id, Order.status == "open")
        )
        assert order is not None
        specs = {p.id: p.spec for p in session.scalars(select(Product))}
        quantities = {specs[line.product_id]: line.quantity for line in order.lines}
        audit = [
            (
                specs[row.product_id or 0],
                row.old_quantity or 0,
                row.new_quantity or 0,
                row.source_message,
            )
            for row in session.scalars(
                select(OrderAudit).where(OrderAudit.order_id == order.id).order_by(OrderAudit.id)
            )
        ]
        return quantities, audit, order.version


def test_two_simultaneous_edits_of_one_order_both_land(pg: Database, clock: FixedClock) -> None:
    first = _plan(pg, clock, "芙蓉王再加2条")
    second = _plan(pg, clock, "芙蓉王再加3条,白沙改成6条")
    _, _, version_before = _state(pg)

    results = _race(pg, clock, [(first, "tg:first"), (second, "tg:second")])

    assert all(isinstance(result, ChangeResult) for result in results), results
    done = [result for result in results if isinstance(result, ChangeResult)]
    assert sorted(result.attempts for result in done) == [1, 2]  # the loser was retried once
    quantities, audit, version = _state(pg)
    assert (quantities["芙蓉王(硬)"], quantities["白沙(硬)"]) == (5 + 2 + 3, 6)
    assert version == version_before + 2
    # One audit row per changed line per edit, each recording the old value it really replaced.
    fu = [row for row in audit if row[0] == "芙蓉王(硬)"]
    assert sorted((old, new) for _, old, new, _ in fu) in ([(5, 7), (7, 10)], [(5, 8), (8, 10)])
    assert sorted(message for *_, message in audit) == ["tg:first", "tg:second", "tg:second"]
    assert [row[1:3] for row in audit if row[0] == "白沙(硬)"] == [(4, 6)]


def test_five_simultaneous_edits_all_land(pg: Database, clock: FixedClock) -> None:
    """Each writer can lose at most once to each other writer, so five attempts always do."""
    plans = [(_plan(pg, clock, "白沙再加1条"), f"tg:{n}") for n in range(5)]

    results = _race(pg, clock, plans)

    assert all(isinstance(result, ChangeResult) for result in results), results
    quantities, audit, _ = _state(pg)
    assert quantities["白沙(硬)"] == 4 + 5
    assert sorted((old, new) for _, old, new, _ in audit) == [
        (4, 5),
        (5, 6),
        (6, 7),
        (7, 8),
        (8, 9),
    ]


def test_one_plan_confirmed_twice_at_the_same_moment_applies_once(
    pg: Database, clock: FixedClock
) -> None:
    plan = _plan(pg, clock, "芙蓉王再加2条")
    with pg.session() as session:
        plan_id = propose_change(session, access.principal_for(session, 10001), plan, clock=clock)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[object] = []

    def tap(message: str) -> None:
        try:
            with pg.session() as session:
                principal = access.principal_for(session, 10001)
                barrier.wait()
                outcomes.append(
                    confirm_change(session, principal, plan_id, source_message=message, clock=clock)
                )
        except PlanUnavailable as refused:
            outcomes.append(refused.params["reason"])

    threads = [threading.Thread(target=tap, args=(f"tg:tap{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["ChangeResult", "str"]
    assert "applied" in outcomes
    quantities, audit, _ = _state(pg)
    assert quantities["芙蓉王(硬)"] == 7
    assert len(audit) == 1
    with pg.session() as session:
        row = session.get(OrderChangePlan, plan_id)
        assert row is not None and row.status == "applied"
