"""Showing, planning, confirming and applying order-line changes (retail/, no Rasa)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from actions.order_reading import requested_lines as parse_order_request
from retail import access
from retail.access import Principal
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.errors import NotYourShop, OrderClosed, PlanUnavailable, WrongRole
from retail.models import Order, OrderAudit, OrderChangePlan, OrderLine, Product
from retail.orders import (
    PLAN_TTL,
    ChangePlan,
    LineRequest,
    OrderMoved,
    PlanShownLater,
    apply_order_change,
    cancel_change,
    confirm_change,
    open_order,
    plan_order_change,
    propose_change,
    refresh_plan,
    repeat_last_order,
    requests_of,
    show_order,
)
from tests.conftest import NOW
from tests.seeded import fresh_copy, seeded_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_template(tmp_path_factory.mktemp("orders"))


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh copy of the seeded demo database (SQLite) for each test."""
    database = fresh_copy(template, tmp_path)
    yield database
    database.dispose()


def _principal(session: Session, telegram_user_id: int) -> Principal:
    return access.principal_for(session, telegram_user_id)


def _plan(db: Database, clock: FixedClock, text: str, user: int = 10001) -> ChangePlan:
    with db.session() as session:
        principal = _principal(session, user)
        requests = parse_order_request(session, text)
        return plan_order_change(session, principal, requests, clock=clock, request_message="tg:1")


def _quantities(db: Database, clock: FixedClock, user: int = 10001) -> dict[str, int]:
    with db.session() as session:
        retailer_id = _principal(session, user).retailer_id
        assert retailer_id is not None
        order = open_order(session, retailer_id, clock=clock)
        assert order is not None
        specs = {p.id: p.spec for p in session.scalars(select(Product))}
        return {specs[line.product_id]: line.quantity for line in order.lines}


def _product_id(db: Database, spec: str) -> int:
    with db.session() as session:
        product_id = session.scalar(select(Product.id).where(Product.spec == spec))
        assert product_id is not None
        return product_id


R001_ORDER = {"芙蓉王(硬)": 5, "白沙(硬)": 4, "利群(新版)": 2, "中华(硬)": 3, "双喜(硬)": 2}


# ----------------------------------------------------------------------------- showing


def test_this_weeks_order_shows_lines_total_window_deduction_and_shortfall(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        view = show_order(session, _principal(session, 10001), clock=clock)
    lines = {line.spec: (line.quantity, line.unit_price, line.line_total) for line in view.lines}
    assert lines["芙蓉王(硬)"] == (5, Decimal("226.00"), Decimal("1130.00"))
    assert {spec: quantity for spec, (quantity, _, _) in lines.items()} == R001_ORDER
    assert (view.state, view.total, view.balance) == (
        "open",
        Decimal("3059.00"),
        Decimal("2700.00"),
    )
    assert view.shortfall == Decimal("359.00")
    assert view.opens_at <= clock.now() < view.closes_at < view.deduct_at


def test_a_closed_order_is_still_shown_with_when_the_next_window_opens(
    db: Database, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=6, hours=1))
    with db.session() as session:
        view = show_order(session, _principal(session, 10001), clock=clock)
    assert view.state == "closed"
    assert view.next_opening == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


def test_a_manager_has_no_order_of_their_own(db: Database, clock: FixedClock) -> None:
    with db.session() as session, pytest.raises(WrongRole):
        show_order(session, _principal(session, 20001), clock=clock)


# ----------------------------------------------------------------------------- planning


def test_a_multi_line_change_plans_old_to_new_and_the_new_total(
    db: Database, clock: FixedClock
) -> None:
    plan = _plan(db, clock, "白沙改成3条,芙蓉王再加2条")
    assert [(c.spec, c.old, c.new) for c in plan.changes] == [
        ("白沙(硬)", 4, 3),
        ("芙蓉王(硬)", 5, 7),
    ]
    assert (plan.old_total, plan.new_total) == (Decimal("3059.00"), Decimal("3447.50"))
    assert plan.rejections == ()


def test_planning_writes_nothing(db: Database, clock: FixedClock) -> None:
    _plan(db, clock, "白沙改成3条,芙蓉王再加2条")
    assert _quantities(db, clock) == R001_ORDER


def test_the_shortfall_is_against_the_bank_reported_balance(
    db: Database, clock: FixedClock
) -> None:
    plan = _plan(db, clock, "芙蓉王再加2条")
    assert plan.balance == Decimal("2700.00")
    assert plan.shortfall == Decimal("3511.00") - Decimal("2700.00")
    funded = _plan(db, clock, "白沙加一条", user=10002)
    assert funded.shortfall == Decimal("0.00")


@pytest.mark.parametrize(
    ("text", "spec", "new"),
    [
        ("白沙加一件", "白沙(硬)", 54),
        ("白沙加20包", "白沙(硬)", 6),
        ("add 2 cartons of Baisha", "白沙(硬)", 6),
        ("add one case of Baisha", "白沙(硬)", 54),
        ("remove Shuangxi", "双喜(硬)", 0),
        ("双喜减一条", "双喜(硬)", 1),
    ],
)
def test_units_are_converted_to_cartons(
    db: Database, clock: FixedClock, text: str, spec: str, new: int
) -> None:
    [change] = _plan(db, clock, text).changes
    assert (change.spec, change.new) == (spec, new)


def test_packs_that_are_not_whole_cartons_are_refused_with_the_nearest_whole_amounts(
    db: Database, clock: FixedClock
) -> None:
    plan = _plan(db, clock, "白沙加25包")
    assert plan.changes == ()
    [rejection] = plan.rejections
    assert rejection.reason == "packs"
    assert rejection.params == {"packs": 25, "lower": 20, "upper": 30, "upper_cartons": 3}


def test_quota_rejects_line_and_keeps_others(db: Database, clock: FixedClock) -> None:
    plan = _plan(db, clock, "硬中华加5条,双喜加1条")
    assert [(c.spec, c.new) for c in plan.changes] == [("双喜(硬)", 3)]
    [rejection] = plan.rejections
    assert (rejection.spec, rejection.reason) == ("中华(硬)", "quota")
    assert rejection.params == {"quota": 5, "star": 3}


def test_a_higher_star_level_has_a_higher_quota(db: Database, clock: FixedClock) -> None:
    plan = _plan(db, clock, "硬中华改成8条", user=10002)
    assert [(c.spec, c.new) for c in plan.changes] == [("中华(硬)", 8)]


def test_a_discontinued_product_is_refused_with_its_replacement(
    db: Database, clock: FixedClock
) -> None:
    plan = _plan(db, clock, "红河加2条")
    [rejection] = plan.rejections
    assert rejection.reason == "discontinued"
    assert rejection.params["replacement_spec"] == "时尚宏声"


def test_insufficient_stock_says_what_is_available(db: Database, clock: FixedClock) -> None:
    plan = _plan(db, clock, "黄金叶加20条")
    [rejection] = plan.rejections
    assert (rejection.reason, rejection.params) == ("stock", {"available": 12, "max_new": 12})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("白沙加-5条", "negative"),
        ("白沙加99999条", "too_many"),
        ("黄鹤楼减一条", "not_on_order"),
        ("双喜减5条", "below_zero"),
        ("白沙改成4条", "unchanged"),
        ("加点白沙", "no_quantity"),
        ("中南海加两条", "unknown_product"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    db: Database, clock: FixedClock, text: str, reason: str
) -> None:
    plan = _plan(db, clock, text)
    assert plan.changes == ()
    assert [r.reason for r in plan.rejections] == [reason]


def test_two_requests_on_one_line_make_one_change(db: Database, clock: FixedClock) -> None:
    plan = _plan(db, clock, "白沙改成3条,白沙再加2条")
    assert [(c.spec, c.action, c.amount, c.old, c.new) for c in plan.changes] == [
        ("白沙(硬)", "set", 5, 4, 5)
    ]


def test_a_closed_window_refuses_the_change_and_says_when_it_opens(
    db: Database, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=6, hours=1))
    with pytest.raises(OrderClosed) as closed:
        _plan(db, clock, "白沙加2条")
    assert closed.value.params["opens_at"] == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


def test_a_plan_survives_a_round_trip_through_json(db: Database, clock: FixedClock) -> None:
    plan = _plan(db, clock, "白沙改成3条,硬中华加5条")
    assert ChangePlan.from_json(plan.to_json()) == plan


# ----------------------------------------------------------------------------- applying


def test_applying_writes_the_lines_and_one_audit_row_per_changed_line(
    db: Database, clock: FixedClock
) -> None:
    plan = _plan(db, clock, "白沙改成3条,芙蓉王再加2条,去掉双喜,加两条黄鹤楼")
    with db.session() as session:
        principal = _principal(session, 10001)
        result = apply_order_change(session, principal, plan, "tg:42", clock=clock)
    assert result.attempts == 1 and not result.changed_meanwhile
    quantities = _quantities(db, clock)
    assert quantities == {
        "芙蓉王(硬)": 7,
        "白沙(硬)": 3,
        "利群(新版)": 2,
        "中华(硬)": 3,
        "黄鹤楼(软蓝)": 2,
    }
    with db.session() as session:
        rows = session.scalars(select(OrderAudit).order_by(OrderAudit.id)).all()
        specs = {p.id: p.spec for p in session.scalars(select(Product))}
        audit = [(specs[r.product_id or 0], r.action, r.old_quantity, r.new_quantity) for r in rows]
        assert {(r.user_id, r.source_message, r.at) for r in rows} == {
            (principal.user_id, "tg:42", clock.now())
        }
        assert {r.detail["requested_in"] for r in rows} == {"tg:1"}
    assert audit == [
        ("白沙(硬)", "line_set", 4, 3),
        ("芙蓉王(硬)", "line_set", 5, 7),
        ("双喜(硬)", "line_remove", 2, 0),
        ("黄鹤楼(软蓝)", "line_add", 0, 2),
    ]
    assert result.new_total == plan.new_total


def test_applying_rechecks_what_changed_since_the_plan(db: Database, clock: FixedClock) -> None:
    plan = _plan(db, clock, "黄金叶加10条,白沙加1条")
    with db.session() as session:
        session.execute(
            update(Product).where(Product.spec == "黄金叶(天叶)").values(stock_cartons=4)
        )
    with db.session() as session:
        result = apply_order_change(session, _principal(session, 10001), plan, "tg:2", clock=clock)
    assert [(c.spec, c.new) for c in result.applied] == [("白沙(硬)", 5)]
    assert [(r.spec, r.reason, r.params["available"]) for r in result.rejections] == [
        ("黄金叶(天叶)", "stock", 4)
    ]
    assert result.changed_meanwhile
    assert "黄金叶(天叶)" not in _quantities(db, clock)


def test_applying_after_the_window_closed_is_refused(db: Database, clock: FixedClock) -> None:
    plan = _plan(db, clock, "白沙加2条")
    clock.advance(timedelta(days=7))
    with db.session() as session, pytest.raises(OrderClosed):
        apply_order_change(session, _principal(session, 10001), plan, "tg:2", clock=clock)
    assert _quantities(db, FixedClock(NOW)) == R001_ORDER


def test_two_plans_from_the_same_order_both_land(db: Database, clock: FixedClock) -> None:
    first = _plan(db, clock, "芙蓉王再加2条")
    second = _plan(db, clock, "芙蓉王再加3条,白沙改成6条")
    for plan, message in ((first, "tg:a"), (second, "tg:b")):
        with db.session() as session:
            result = apply_order_change(
                session, _principal(session, 10001), plan, message, clock=clock
            )
    assert result.changed_meanwhile
    quantities = _quantities(db, clock)
    assert (quantities["芙蓉王(硬)"], quantities["白沙(硬)"]) == (10, 6)


def test_a_concurrent_commit_makes_the_edit_retry_and_keeps_both(
    db: Database, clock: FixedClock
) -> None:
    """Another writer commits between our read and our write: the version check catches it,
    we reload and re-apply our delta on top of theirs."""
    plan = _plan(db, clock, "芙蓉王再加2条")
    with db.session() as session:
        principal = _principal(session, 10001)
        sneaked: list[bool] = []

        def other_writer(*_: object) -> None:
            if sneaked:
                return
            sneaked.append(True)
            with db.session() as other:
                order = other.get(Order, plan.order_id)
                assert order is not None
                line = next(line for line in order.lines if line.quantity == 5)
                line.quantity += 10
                flag_modified(order, "status")

        event.listen(session, "before_flush", other_writer)
        result = apply_order_change(session, principal, plan, "tg:7", clock=clock)
    assert result.attempts == 2
    assert [(c.old, c.new) for c in result.applied] == [(15, 17)]
    assert _quantities(db, clock)["芙蓉王(硬)"] == 17


def test_another_shops_plan_is_refused(db: Database, clock: FixedClock) -> None:
    theirs = _plan(db, clock, "白沙加2条", user=10002)
    with db.session() as session, pytest.raises(NotYourShop):
        apply_order_change(session, _principal(session, 10001), theirs, "tg:9", clock=clock)
    with db.session() as session:
        plan_id = propose_change(session, _principal(session, 10002), theirs, clock=clock)
    with db.session() as session, pytest.raises(NotYourShop):
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="x", clock=clock
        )
    with db.session() as session, pytest.raises(WrongRole):
        plan_order_change(session, _principal(session, 20001), [], clock=clock)


# ----------------------------------------------------------------------------- confirmations


def _proposed(db: Database, clock: FixedClock, text: str, user: int = 10001) -> str:
    plan = _plan(db, clock, text, user)
    with db.session() as session:
        return propose_change(session, _principal(session, user), plan, clock=clock)


def test_nothing_is_written_before_the_confirmation(db: Database, clock: FixedClock) -> None:
    plan_id = _proposed(db, clock, "白沙改成3条")
    assert _quantities(db, clock) == R001_ORDER
    with db.session() as session:
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="tg:3", clock=clock
        )
    assert _quantities(db, clock)["白沙(硬)"] == 3


def test_a_plan_is_applied_once_however_often_it_is_confirmed(
    db: Database, clock: FixedClock
) -> None:
    plan_id = _proposed(db, clock, "芙蓉王再加2条")
    with db.session() as session:
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="a", clock=clock
        )
    with db.session() as session, pytest.raises(PlanUnavailable) as again:
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="b", clock=clock
        )
    assert again.value.params == {"reason": "applied"}
    assert _quantities(db, clock)["芙蓉王(硬)"] == 7


def test_a_cancelled_plan_cannot_be_confirmed(db: Database, clock: FixedClock) -> None:
    plan_id = _proposed(db, clock, "芙蓉王再加2条")
    with db.session() as session:
        cancel_change(session, _principal(session, 10001), plan_id, clock=clock)
    with db.session() as session, pytest.raises(PlanUnavailable) as refused:
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="b", clock=clock
        )
    assert refused.value.params == {"reason": "cancelled"}
    assert _quantities(db, clock) == R001_ORDER


def test_a_newer_change_supersedes_the_older_confirmation(db: Database, clock: FixedClock) -> None:
    older = _proposed(db, clock, "芙蓉王再加2条")
    newer = _proposed(db, clock, "芙蓉王再加3条")
    with db.session() as session, pytest.raises(PlanUnavailable) as refused:
        confirm_change(session, _principal(session, 10001), older, source_message="a", clock=clock)
    assert refused.value.params == {"reason": "superseded"}
    with db.session() as session:
        confirm_change(session, _principal(session, 10001), newer, source_message="b", clock=clock)
    assert _quantities(db, clock)["芙蓉王(硬)"] == 8
    with db.session() as session:
        assert session.get(OrderChangePlan, newer).status == "applied"  # type: ignore[union-attr]


def test_an_old_confirmation_expires(db: Database, clock: FixedClock) -> None:
    plan_id = _proposed(db, clock, "芙蓉王再加2条")
    clock.advance(PLAN_TTL + timedelta(seconds=1))
    with db.session() as session, pytest.raises(PlanUnavailable) as refused:
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="a", clock=clock
        )
    assert refused.value.params == {"reason": "expired"}


def test_a_refused_confirmation_leaves_the_plan_pending(db: Database, clock: FixedClock) -> None:
    plan_id = _proposed(db, clock, "芙蓉王再加2条")
    with db.session() as session:
        session.execute(update(Order).values(status="locked"))
    with db.session() as session, pytest.raises(OrderClosed):
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="a", clock=clock
        )
    with db.session() as session:
        row = session.get(OrderChangePlan, plan_id)
        assert row is not None and row.status == "pending"
        assert session.scalars(select(OrderAudit)).all() == []


def test_an_unknown_plan_id_is_refused(db: Database, clock: FixedClock) -> None:
    with db.session() as session, pytest.raises(PlanUnavailable) as refused:
        confirm_change(session, _principal(session, 10001), "nope", source_message="a", clock=clock)
    assert refused.value.params == {"reason": "unknown"}


# ----------------------------------------------------------------------------- same as last week


def test_same_as_last_week_plans_the_differences(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        plan = repeat_last_order(session, _principal(session, 10001), clock=clock)
    assert sorted((c.spec, c.old, c.new) for c in plan.changes) == sorted(
        [
            ("芙蓉王(硬)", 5, 4),
            ("白沙(硬)", 4, 5),
            ("中华(硬)", 3, 2),
            ("白沙(精品)", 0, 2),
            ("双喜(硬)", 2, 0),
        ]
    )
    assert plan.rejections == ()


def test_same_as_last_week_refuses_a_discontinued_product(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        plan = repeat_last_order(session, _principal(session, 10003), clock=clock)
    assert [(r.spec, r.reason, r.params["replacement_spec"]) for r in plan.rejections] == [
        ("红河(盖)", "discontinued", "时尚宏声")
    ]


def test_a_line_added_as_new_gets_the_current_wholesale_price(
    db: Database, clock: FixedClock
) -> None:
    plan = _plan(db, clock, "加两条黄鹤楼")
    with db.session() as session:
        apply_order_change(session, _principal(session, 10001), plan, "m", clock=clock)
        line = session.scalar(
            select(OrderLine).where(OrderLine.product_id == _product_id(db, "黄鹤楼(软蓝)"))
        )
        price = session.scalar(
            select(Product.wholesale_per_carton).where(Product.spec == "黄鹤楼(软蓝)")
        )
    assert line is not None and line.unit_price == price


def test_a_line_request_for_an_unknown_product_id_is_refused(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        plan = plan_order_change(
            session, _principal(session, 10001), [LineRequest(None, "add", 2)], clock=clock
        )
    assert [r.reason for r in plan.rejections] == ["unknown_product"]


# ----------------------------------------------------------------------------- what was shown


def _audit_count(database: Database) -> int:
    with database.session() as session:
        return len(session.scalars(select(OrderAudit)).all())


def test_a_typed_yes_written_before_the_plan_was_shown_confirms_nothing(
    any_db: Database, clock: FixedClock
) -> None:
    """P1 offered, 确认 typed at t0 (lost in an outage), P2 offered at t1 > t0: the replayed
    确认 of t0 must not apply P2, which the user had not seen when writing it."""
    _proposed(any_db, clock, "芙蓉王再加2条")
    typed_at = clock.now() + timedelta(seconds=20)
    clock.advance(timedelta(minutes=2))
    p2 = _proposed(any_db, clock, "白沙改成1条")
    clock.advance(timedelta(minutes=10))
    with any_db.session() as session, pytest.raises(PlanShownLater):
        confirm_change(
            session,
            _principal(session, 10001),
            p2,
            source_message="tg:replayed",
            clock=clock,
            written_at=typed_at,
        )
    assert _quantities(any_db, clock) == R001_ORDER
    with any_db.session() as session:
        row = session.get(OrderChangePlan, p2)
        assert row is not None and row.status == "pending"
    # Written after the plan was shown (same second counts: Telegram dates in whole seconds),
    # the same yes applies it.
    with any_db.session() as session:
        confirm_change(
            session,
            _principal(session, 10001),
            p2,
            source_message="tg:now",
            clock=clock,
            written_at=clock.now(),
        )
    assert _quantities(any_db, clock)["白沙(硬)"] == 1


def test_a_plan_made_in_the_same_second_as_the_message_still_counts_as_shown(
    any_db: Database, clock: FixedClock
) -> None:
    clock.advance(timedelta(microseconds=400_000))
    plan_id = _proposed(any_db, clock, "芙蓉王再加2条")
    dated = clock.now().replace(microsecond=0)
    with any_db.session() as session:
        confirm_change(
            session,
            _principal(session, 10001),
            plan_id,
            source_message="a",
            clock=clock,
            written_at=dated,
        )
    assert _quantities(any_db, clock)["芙蓉王(硬)"] == 7


def test_a_plan_whose_order_moved_on_is_refused_and_can_be_planned_again(
    any_db: Database, clock: FixedClock
) -> None:
    plan_id = _proposed(any_db, clock, "芙蓉王再加2条,白沙改成3条")
    with any_db.session() as session:  # the manager adds 3 条 of 芙蓉王 meanwhile
        order = session.scalar(
            select(Order).where(
                Order.cycle == "2026-W48",
                Order.id
                == (
                    session.get(OrderChangePlan, plan_id).order_id  # type: ignore[union-attr]
                ),
            )
        )
        assert order is not None
        line = next(line for line in order.lines if line.quantity == 5)
        line.quantity = 8
        flag_modified(order, "status")
    with any_db.session() as session, pytest.raises(OrderMoved):
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="tg:5", clock=clock
        )
    assert _quantities(any_db, clock) == {**R001_ORDER, "芙蓉王(硬)": 8}
    assert _audit_count(any_db) == 0
    with any_db.session() as session:
        row = session.get(OrderChangePlan, plan_id)
        assert row is not None and row.status == "pending"
        fresh = refresh_plan(session, _principal(session, 10001), plan_id, clock=clock)
    assert sorted((c.spec, c.old, c.new) for c in fresh.changes) == [
        ("白沙(硬)", 4, 3),
        ("芙蓉王(硬)", 8, 10),
    ]


def test_another_confirmed_plan_moves_the_order_for_a_plan_made_before_it(
    any_db: Database, clock: FixedClock
) -> None:
    """Two users of one shop are not in the demo, so the other change is applied directly
    (as a back-office edit would be): the older plan's figures are stale and it is refused."""
    plan_id = _proposed(any_db, clock, "双喜加1条")
    other = _plan(any_db, clock, "利群加1条")
    with any_db.session() as session:
        apply_order_change(session, _principal(session, 10001), other, "tg:other", clock=clock)
    with any_db.session() as session, pytest.raises(OrderMoved):
        confirm_change(
            session, _principal(session, 10001), plan_id, source_message="tg:6", clock=clock
        )
    assert _quantities(any_db, clock) == {**R001_ORDER, "利群(新版)": 3}


def test_requests_of_a_plan_give_the_same_plan_on_an_unchanged_order(
    db: Database, clock: FixedClock
) -> None:
    plan = _plan(db, clock, "芙蓉王再加2条,白沙改成3条,去掉双喜,利群减1条")
    with db.session() as session:
        again = plan_order_change(
            session, _principal(session, 10001), requests_of(plan), clock=clock
        )
    assert again.changes == plan.changes
