"""Deduction results from a feed: a failure reaches the retailer and the manager through the
reminder planner, a success settles the order, re-sent results are applied once, and whatever
cannot be applied is reported row by row without changing anything.

Demo data: R001 张记烟酒 (Telegram 10001, manager M001 = 20001) orders ¥3,059.00 this week
(2026-W48); last week's order (2026-W47) is already deducted. Each test puts R001's order
window on Tuesday 24 Nov 2026, 09:00-16:00, deduction at 18:00 (Asia/Shanghai).
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.models import OrderAudit, OutboxMessage, Retailer
from retail.models.orders import Order
from retail.reminders import ReminderPolicy, plan_reminders
from retail.settlement import FeedReport, deductions

THIS_WEEK, LAST_WEEK = "2026-W48", "2026-W47"
FAILED = {
    "retailer_code": "R001",
    "cycle": THIS_WEEK,
    "outcome": "failed",
    "amount": "3059.00",
    "reported_at": "2026-11-24T18:02:00+08:00",
    "reason": "余额不足",
}
SUCCEEDED = {**FAILED, "outcome": "succeeded", "reason": ""}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Asia/Shanghai (24 = Tuesday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


AFTER_DEDUCTION = FixedClock(at(24, 18, 5))


def _order(session: Session, code: str = "R001", cycle: str = THIS_WEEK) -> Order:
    order = session.scalar(
        select(Order)
        .join(Retailer, Retailer.id == Order.retailer_id)
        .where(Retailer.code == code, Order.cycle == cycle)
    )
    assert order is not None
    return order


def _closed_window(db: Database, code: str = "R001") -> None:
    """This week's order of the shop: window closed at 16:00, deduction at 18:00."""
    with db.session() as session:
        order = _order(session, code)
        order.opens_at, order.closes_at, order.deduct_at = at(24, 9), at(24, 16), at(24, 18)


def _status(db: Database, code: str = "R001", cycle: str = THIS_WEEK) -> str:
    with db.session() as session:
        return _order(session, code, cycle).status


def _audits(db: Database) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = session.scalars(
            select(OrderAudit).where(OrderAudit.action == "deduction").order_by(OrderAudit.id)
        )
        return [row.detail for row in rows]


def _import(db: Database, rows: list[Any], clock: FixedClock = AFTER_DEDUCTION) -> FeedReport:
    with db.session() as session:
        return deductions.import_deductions(session, rows, feed="bank-a", clock=clock)


def test_a_failed_deduction_marks_the_order_and_the_planner_tells_retailer_and_manager(
    db: Database,
) -> None:
    _closed_window(db)

    report = _import(db, [FAILED])
    with db.session() as session:
        plan_reminders(
            session, clock=FixedClock(at(24, 18, 10)), policy=ReminderPolicy(order_open=False)
        )
        outbox = [
            (row.kind, row.chat_id)
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]

    assert (report.received, report.stored, report.duplicates, report.rejected) == (1, 1, 0, [])
    assert _status(db) == "deduct_failed"
    assert outbox == [("deduct_failed", 10001), ("manager_deduct_failed", 20001)]
    [audit] = _audits(db)
    assert {k: audit[k] for k in ("feed", "outcome", "amount", "reason", "from", "to")} == {
        "feed": "bank-a",
        "outcome": "failed",
        "amount": "3059.00",
        "reason": "余额不足",
        "from": "open",
        "to": "deduct_failed",
    }
    assert audit["order_total"] == "3059.00"


def test_a_succeeded_deduction_settles_the_order_and_nothing_is_sent(db: Database) -> None:
    _closed_window(db)

    report = _import(db, [SUCCEEDED])
    with db.session() as session:
        plan_reminders(
            session, clock=FixedClock(at(24, 18, 10)), policy=ReminderPolicy(order_open=False)
        )
        sent_to_r001 = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.chat_id.in_((10001, 20001)))
        ).all()

    assert (report.stored, report.rejected) == (1, [])
    assert _status(db) == "deducted"
    assert [(a["from"], a["to"]) for a in _audits(db)] == [("open", "deducted")]
    assert sent_to_r001 == []


def test_the_same_result_sent_twice_is_applied_once(any_db: Database) -> None:
    _closed_window(any_db)
    _closed_window(any_db, "R002")
    with_id = {**FAILED, "result_id": "D-2026-11-24-0001"}
    without_id = {**SUCCEEDED, "retailer_code": "R002"}

    first = _import(any_db, [with_id, without_id, with_id])
    again = _import(any_db, [without_id, with_id])

    assert (first.stored, first.duplicates, first.rejected) == (2, 1, [])
    assert (again.stored, again.duplicates, again.rejected) == (0, 2, [])
    assert len(_audits(any_db)) == 2
    assert (_status(any_db), _status(any_db, "R002")) == ("deduct_failed", "deducted")


def test_malformed_rows_are_rejected_one_by_one_and_change_nothing(db: Database) -> None:
    _closed_window(db)
    rows: list[Any] = [
        {k: v for k, v in FAILED.items() if k != "outcome"},
        {k: v for k, v in FAILED.items() if k != "cycle"},
        {**FAILED, "outcome": "bounced"},
        {**FAILED, "amount": "3,059.00"},
        {**FAILED, "reported_at": "tonight"},
        {**FAILED, "reported_at": "2026-11-25T09:00:00+08:00"},
        {**FAILED, "order_id": "12a"},
        {**FAILED, "result_id": "has spaces"},
        {**FAILED, "reason": "x" * 201},
        ["R001", "failed"],
    ]

    report = _import(db, rows)

    assert (report.received, report.stored, report.duplicates) == (10, 0, 0)
    assert [(p.row, p.code, p.field) for p in report.rejected] == [
        (1, "missing", "outcome"),
        (2, "missing", "cycle"),
        (3, "bad_outcome", "outcome"),
        (4, "bad_deduction_amount", "amount"),
        (5, "bad_time", "reported_at"),
        (6, "future_time", "reported_at"),
        (7, "bad_order_id", "order_id"),
        (8, "bad_result_id", "result_id"),
        (9, "too_long", "reason"),
        (10, "missing", "retailer_code"),
    ]
    assert report.rejected[2].message("en") == (
        'Row 3: outcome "bounced" is neither succeeded nor failed.'
    )
    assert report.rejected[3].message("zh") == (
        "第 4 行:金额「3,059.00」不是有效金额(非负,最多两位小数)。"
    )
    assert _status(db) == "open"
    assert _audits(db) == []


def test_unknown_shops_and_orders_are_reported(db: Database) -> None:
    _closed_window(db)
    with db.session() as session:
        r002_order_id = _order(session, "R002").id

    report = _import(
        db,
        [
            {**FAILED, "retailer_code": "R999"},
            {**FAILED, "cycle": "2026-W01"},
            {**FAILED, "cycle": "", "order_id": str(r002_order_id)},
            {**FAILED, "cycle": "", "order_id": "999999"},
        ],
    )

    assert report.stored == 0
    assert [(p.row, p.code, p.value) for p in report.rejected] == [
        (1, "unknown_shop", "R999"),
        (2, "unknown_order", "2026-W01"),
        (3, "unknown_order", str(r002_order_id)),
        (4, "unknown_order", "999999"),
    ]
    assert report.rejected[0].message("zh") == "第 1 行:找不到零售户 R999。"
    assert (_status(db), _status(db, "R002")) == ("open", "open")


def test_an_order_named_by_its_id_takes_the_result(db: Database) -> None:
    _closed_window(db)
    with db.session() as session:
        order_id = _order(session).id

    report = _import(db, [{**FAILED, "cycle": "", "order_id": str(order_id)}])

    assert (report.stored, report.rejected) == (1, [])
    assert _status(db) == "deduct_failed"


def test_a_result_for_an_order_not_awaiting_its_deduction_is_reported_not_applied(
    db: Database,
) -> None:
    _closed_window(db)
    applied = _import(db, [FAILED])

    report = _import(
        db,
        [
            {**SUCCEEDED, "reported_at": "2026-11-24T18:04:00+08:00"},
            {**FAILED, "cycle": LAST_WEEK},
        ],
    )

    assert applied.stored == 1
    assert report.stored == 0
    assert [(p.row, p.code, p.value) for p in report.rejected] == [
        (1, "not_awaiting", "deduct_failed"),
        (2, "not_awaiting", "deducted"),
    ]
    assert report.rejected[1].message("en") == (
        "Row 2: the order is not awaiting a deduction (its status is deducted); "
        "the result was not applied."
    )
    assert (_status(db), _status(db, cycle=LAST_WEEK)) == ("deduct_failed", "deducted")
    assert len(_audits(db)) == 1


def test_a_result_reported_while_the_order_window_is_open_is_refused(db: Database) -> None:
    report = _import(db, [{**FAILED, "reported_at": "2026-11-24T10:00:00+08:00"}])

    assert [(p.code, p.value) for p in report.rejected] == [("still_open", THIS_WEEK)]
    assert _status(db) == "open"


def test_csv_results_are_reported_by_line_number(db: Database) -> None:
    _closed_window(db)
    text = (
        "retailer_code,cycle,outcome,amount,reported_at,reason\n"
        "R001,2026-W48,failed,3059.00,2026-11-24 18:02,余额不足\n"
        "\n"
        "R002,2026-W48,maybe,100.00,2026-11-24 18:02,\n"
    )
    with db.session() as session:
        report = deductions.import_deductions_csv(
            session, text, feed="bank-a", clock=AFTER_DEDUCTION
        )

    assert (report.received, report.stored) == (2, 1)
    assert [(p.row, p.code) for p in report.rejected] == [(4, "bad_outcome")]


def test_the_import_command_applies_a_file_once_and_exits_1_on_rejected_rows(
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from scripts.import_deductions import main

    with db.session() as session:
        order = _order(session)
        # The command uses the real clock: put the window and deduction in the past.
        order.opens_at, order.closes_at, order.deduct_at = at(1, 9), at(1, 16), at(1, 18)
    monkeypatch.setenv("DATABASE_URL", str(db.engine.url))
    good = tmp_path / "deductions.csv"
    good.write_text(
        "retailer_code,cycle,outcome,amount,reported_at\nR001,2026-W48,failed,3059.00,"
        "2026-11-01T18:02:00+08:00\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "retailer_code,cycle,outcome,amount,reported_at\nR404,2026-W48,failed,1.00,"
        "2026-11-01T18:02:00+08:00\n",
        encoding="utf-8",
    )

    assert main([str(good), "--feed", "bank-a", "--lang", "en"]) == 0
    assert main([str(good), "--feed", "bank-a", "--lang", "en"]) == 0
    assert main([str(bad), "--feed", "bank-a", "--lang", "en"]) == 1
    assert main([str(tmp_path / "missing.csv"), "--feed", "bank-a"]) == 2

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "1 rows: 1 stored, 0 duplicates, 0 rejected.",
        "1 rows: 0 stored, 1 duplicates, 0 rejected.",
        "1 rows: 0 stored, 0 duplicates, 1 rejected.",
        "Row 2: no retailer R404.",
    ]
    assert _status(db) == "deduct_failed"


def test_the_one_result_form_refuses_an_order_that_already_has_a_result(db: Database) -> None:
    _closed_window(db)
    with db.session() as session:
        order = deductions.record_deduction_result(
            session, retailer_code="R001", cycle=THIS_WEEK, succeeded=True, clock=AFTER_DEDUCTION
        )
        assert order.status == "deducted"
    with db.session() as session, pytest.raises(deductions.DeductionRefused) as refused:
        deductions.record_deduction_result(
            session, retailer_code="R001", cycle=THIS_WEEK, succeeded=False, clock=AFTER_DEDUCTION
        )

    assert refused.value.params == {"code": "not_awaiting", "value": "deducted"}
    assert _status(db) == "deducted"


def test_two_deliveries_at_once_apply_each_result_once(any_db: Database) -> None:
    if any_db.url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time; the row lock is PostgreSQL's")
    _closed_window(any_db)
    start = threading.Barrier(2)
    reports: list[FeedReport] = []

    def deliver() -> None:
        start.wait()
        reports.append(_import(any_db, [FAILED]))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted((r.stored, r.duplicates, len(r.rejected)) for r in reports) == [
        (0, 1, 0),
        (1, 0, 0),
    ]
    assert len(_audits(any_db)) == 1
