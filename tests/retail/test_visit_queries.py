"""What managers ask about visits, the visit plan, a shop's status, and the export.

The demo seed holds saved visits to R001 (9 days ago), R002 (4 days ago) and R004 (20 days
ago, 白沙(精品) out of stock); R005 and R008 of M001's territory were never visited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from retail.access import principal_for
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.errors import ManagersOnly, VisitShopUnknown
from retail.visits import (
    NoteFacts,
    counterfeit_reports,
    draft_visit,
    export_rows,
    export_visits,
    follow_ups_due,
    last_visit,
    period_of,
    retailer_status,
    save_visit,
    shops_not_visited,
    stock_outs,
    visit_plan,
    visits_in_period,
)
from tests.retail.visit_facts import confirm_payload, note_facts, shop_id

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)


def _record(database: Database, clock: FixedClock, facts: Callable[[Session], NoteFacts]) -> None:
    with database.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, facts(session), clock=clock)
        save_visit(session, manager, draft.id, clock=clock, confirm_payload=confirm_payload)


def test_the_last_visit_to_a_shop_and_what_was_noted(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        manager = principal_for(session, 20001)
        retailer, visit = last_visit(session, manager, [shop_id(session, "R001")])
    assert retailer.code == "R001"
    assert visit is not None
    assert visit.visited_at.astimezone(SHANGHAI).date() == date(2026, 11, 15)
    assert [(s.spec, s.cartons) for s in visit.stock] == [("芙蓉王(硬)", 10), ("白沙(硬)", 8)]


def test_visits_in_a_period_are_only_the_territorys(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        mine = visits_in_period(
            session, principal_for(session, 20001), date(2026, 11, 1), date(2026, 11, 24)
        )
        theirs = visits_in_period(
            session, principal_for(session, 20002), date(2026, 11, 1), date(2026, 11, 24)
        )
    assert [v.retailer_code for v in mine] == ["R004", "R001", "R002"]
    assert theirs == []


def test_shops_not_visited_in_two_weeks_never_visited_first(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        rows = shops_not_visited(session, principal_for(session, 20001), days=14, clock=clock)
    assert [(row.retailer.code, row.days_since) for row in rows] == [
        ("R005", None),
        ("R008", None),
        ("R004", 20),
    ]


def test_follow_ups_due_stock_outs_and_suspected_fakes(db: Database, clock: FixedClock) -> None:
    text = "今天去了周记商店 利群断货 发现疑似假烟 硬中华两条 已拍照交专卖 老板想加量 明天帮她问问"
    _record(
        db,
        clock,
        lambda session: note_facts(
            session,
            text,
            sent_at=NOW,
            shops=("R005",),
            tags=("stock_out", "counterfeit", "follow_up"),
            stock_outs=("利群(新版)",),
            remarks=(("counterfeit", "发现疑似假烟"),),
            follow_ups=((date(2026, 11, 25), "老板想加量 明天帮她问问"),),
        ),
    )
    with db.session() as session:
        manager = principal_for(session, 20001)
        assert follow_ups_due(session, manager, clock=clock) == []
        due = follow_ups_due(session, manager, clock=clock, within_days=1)
        outs = stock_outs(session, manager, clock=clock)
        fakes = counterfeit_reports(session, manager, clock=clock)
        other = principal_for(session, 20002)
        assert stock_outs(session, other, clock=clock) == []
        assert counterfeit_reports(session, other, clock=clock) == []
    assert [(f.retailer.code, f.due_on) for f in due] == [("R005", date(2026, 11, 25))]
    assert [(s.retailer.code, s.product.spec if s.product else None) for s in outs] == [
        ("R005", "利群(新版)")
    ]
    assert [s.retailer.code for s in fakes] == ["R005"]


def test_next_weeks_plan_puts_overdue_then_key_shops_first(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        plan = visit_plan(session, principal_for(session, 20001), clock=clock)
    codes = [item.retailer.code for item in plan]
    assert set(codes) == {"R001", "R002", "R004", "R005", "R008"}
    overdue = [item.retailer.code for item in plan if item.overdue]
    assert codes[: len(overdue)] == overdue
    assert set(overdue) == {"R001", "R004", "R005", "R008"}
    r002 = next(item for item in plan if item.retailer.code == "R002")
    assert r002.key and not r002.overdue


def test_a_managers_view_of_a_shop_in_their_territory_only(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        r001 = [shop_id(session, "R001")]
        status = retailer_status(session, principal_for(session, 20001), r001, clock=clock)
        assert status.retailer.code == "R001"
        assert status.order_state == "open"
        assert ("芙蓉王(硬)", "Furongwang (Hard)", 5) in status.order_lines
        assert status.settlement.balance is not None
        assert status.last_visit is not None
        with pytest.raises(VisitShopUnknown):
            retailer_status(session, principal_for(session, 20002), r001, clock=clock)
        with pytest.raises(ManagersOnly):
            retailer_status(session, principal_for(session, 10001), r001, clock=clock)


def test_a_question_without_a_period_looks_at_the_last_week(clock: FixedClock) -> None:
    assert period_of(None, None, clock=clock) == (date(2026, 11, 18), date(2026, 11, 24))
    assert period_of(date(2026, 11, 1), date(2026, 11, 2), clock=clock) == (
        date(2026, 11, 1),
        date(2026, 11, 2),
    )


def test_default_spans_of_the_territory_questions(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        manager = principal_for(session, 20001)
        assert shops_not_visited(session, manager, clock=clock) == shops_not_visited(
            session, manager, clock=clock, days=14
        )
        # The demo's R004 stock-out is 20 days old: outside the default 14 days, inside 30.
        assert stock_outs(session, manager, clock=clock) == []
        assert [s.retailer.code for s in stock_outs(session, manager, clock=clock, days=30)] == [
            "R004"
        ]


def test_sightings_of_a_named_period_are_those_of_its_days(db: Database, clock: FixedClock) -> None:
    # 上个月哪些店断货了 means that month's days, not the default span back from today.
    with db.session() as session:
        manager = principal_for(session, 20001)
        [seen] = stock_outs(session, manager, clock=clock, days=30)
        day = seen.visited_at.astimezone(SHANGHAI).date()
        assert day == date(2026, 11, 4)
        inside = stock_outs(session, manager, clock=clock, start=day, end=day)
        assert [s.retailer.code for s in inside] == ["R004"]
        month = stock_outs(session, manager, clock=clock, start=date(2026, 11, 1), end=NOW.date())
        assert [s.retailer.code for s in month] == ["R004"]
        assert (
            stock_outs(
                session, manager, clock=clock, start=date(2026, 10, 1), end=date(2026, 10, 31)
            )
            == []
        )
        assert (
            stock_outs(session, manager, clock=clock, start=date(2026, 11, 5), end=NOW.date()) == []
        )
        assert (
            counterfeit_reports(
                session, manager, clock=clock, start=date(2026, 10, 1), end=date(2026, 10, 31)
            )
            == []
        )


def test_export_writes_csv_and_xlsx_with_the_raw_text(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    with db.session() as session:
        manager = principal_for(session, 20001)
        header, rows = export_rows(
            session, manager, date(2026, 11, 1), date(2026, 11, 30), language="zh"
        )
        csv_count = export_visits(
            session,
            manager,
            date(2026, 11, 1),
            date(2026, 11, 30),
            language="zh",
            path=tmp_path / "visits.csv",
        )
        xlsx_count = export_visits(
            session,
            manager,
            date(2026, 11, 1),
            date(2026, 11, 30),
            language="en",
            path=tmp_path / "visits.xlsx",
        )
    assert csv_count == xlsx_count == len(rows) == 3
    assert header[0] == "拜访时间"
    text = (tmp_path / "visits.csv").read_bytes().decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == header
    assert parsed[1][-1] == "陈氏百货 白沙精品断货 硬芙六条 建议勤订少订"
    sheet = load_workbook(tmp_path / "visits.xlsx").active
    assert sheet is not None
    assert sheet.cell(row=1, column=1).value == "Visited at"
    assert sheet.max_row == 4
