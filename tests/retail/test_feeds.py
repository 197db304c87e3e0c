"""Bank balance feeds: idempotent snapshots, per-row rejection reports, CSV, feed tokens."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from retail.balances import latest_balance
from retail.clock import FixedClock
from retail.db import Database
from retail.errors import RecordNotFound
from retail.models import BalanceSnapshot, Retailer
from retail.models.settlement import FeedToken
from retail.settlement import deductions, feeds

GOOD = {"retailer_code": "R001", "balance": "3100.50", "reported_at": "2026-11-24T09:30:00+08:00"}


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(BalanceSnapshot)) or 0)


def test_a_snapshot_sent_twice_is_stored_once(any_db: Database, clock: FixedClock) -> None:
    before = _count(any_db)
    rows = [{**GOOD, "snapshot_id": "B-1"}, {**GOOD, "snapshot_id": "B-1"}]
    with any_db.session() as session:
        first = feeds.import_balances(session, rows, feed="bank-a", clock=clock)
    with any_db.session() as session:
        again = feeds.import_balances(session, rows[:1], feed="bank-a", clock=clock)
        r001 = session.scalar(select(Retailer.id).where(Retailer.code == "R001"))
        assert r001 is not None
        newest = latest_balance(session, r001)

    assert (first.received, first.stored, first.duplicates, first.rejected) == (2, 1, 1, [])
    assert (again.stored, again.duplicates) == (0, 1)
    assert _count(any_db) == before + 1
    assert newest is not None and newest.balance == Decimal("3100.50")


def test_without_a_snapshot_id_the_content_identifies_the_snapshot(
    db: Database, clock: FixedClock
) -> None:
    same_moment_utc = {**GOOD, "reported_at": "2026-11-24T01:30:00Z"}
    other_balance = {**GOOD, "balance": "3200"}
    with db.session() as session:
        report = feeds.import_balances(
            session, [GOOD, same_moment_utc, other_balance], feed="bank-a", clock=clock
        )

    assert (report.stored, report.duplicates) == (2, 1)


def test_malformed_rows_are_rejected_one_by_one_and_the_rest_is_stored(
    db: Database, clock: FixedClock
) -> None:
    rows = [
        GOOD,
        {"balance": "100", "reported_at": "2026-11-24T09:00"},
        {**GOOD, "balance": "1,200.00"},
        {**GOOD, "balance": "-5"},
        {**GOOD, "reported_at": "yesterday"},
        {**GOOD, "reported_at": "2026-11-25T09:00"},
        {**GOOD, "retailer_code": "R999"},
        {**GOOD, "snapshot_id": "has spaces"},
    ]
    with db.session() as session:
        report = feeds.import_balances(session, rows, feed="bank-a", clock=clock)

    assert (report.received, report.stored) == (8, 1)
    assert [(p.row, p.code, p.field) for p in report.rejected] == [
        (2, "missing", "retailer_code"),
        (3, "bad_amount", "balance"),
        (4, "bad_amount", "balance"),
        (5, "bad_time", "reported_at"),
        (6, "future_time", "reported_at"),
        (7, "unknown_retailer", "retailer_code"),
        (8, "bad_key", "snapshot_id"),
    ]
    assert report.rejected[5].message("zh") == "第 7 行:找不到零售户 R999 或其结算账户。"
    assert report.rejected[1].message("en") == (
        'Row 3: balance "1,200.00" is not a valid amount (not negative, at most two decimals).'
    )
    assert report.summary("zh") == "共 8 行:新存入 1 行,重复 0 行,拒收 7 行。"


def test_csv_import_reports_rejected_rows_by_line_number(db: Database, clock: FixedClock) -> None:
    text = (
        "retailer_code,balance,reported_at,snapshot_id\n"
        "R001,3100.00,2026-11-24 09:30,B-7\n"
        "\n"
        "R002,abc,2026-11-24 09:30,B-8\n"
        "R003,5600.00,2026-11-24 09:30,B-9\n"
    )
    with db.session() as session:
        report = feeds.import_balances_csv(session, text, feed="bank-a", clock=clock)
    with db.session() as session:
        twice = feeds.import_balances_csv(session, text, feed="bank-a", clock=clock)

    assert (report.received, report.stored, [(p.row, p.code) for p in report.rejected]) == (
        3,
        2,
        [(4, "bad_amount")],
    )
    assert (twice.stored, twice.duplicates) == (0, 2)


def test_csv_without_the_expected_header_is_refused(db: Database, clock: FixedClock) -> None:
    with db.session() as session, pytest.raises(feeds.FeedError) as refused:
        feeds.import_balances_csv(session, "R001,3100,2026-11-24\n", feed="bank-a", clock=clock)
    assert refused.value.message("en").startswith("Cannot read the data")


def test_a_feed_token_works_for_its_feed_only_and_is_stored_hashed(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        token = feeds.issue_feed_token(session, feed="bank-a", clock=clock)
    with db.session() as session:
        own = feeds.authenticate_feed(session, feed="bank-a", token=token, clock=clock)
        other = feeds.authenticate_feed(session, feed="bank-b", token=token, clock=clock)
        wrong = feeds.authenticate_feed(session, feed="bank-a", token=token + "x", clock=clock)
        stored = session.scalars(select(FeedToken.token_hash)).all()
    with db.session() as session:
        feeds.revoke_feed_tokens(session, feed="bank-a", clock=clock)
    with db.session() as session:
        revoked = feeds.authenticate_feed(session, feed="bank-a", token=token, clock=clock)

    assert (own, other, wrong, revoked) == (True, False, False, False)
    assert token not in stored and len(stored[0]) == 64


def test_a_deduction_result_for_an_unknown_order_is_refused(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session, pytest.raises(RecordNotFound):
        deductions.record_deduction_result(
            session, retailer_code="R001", cycle="1999-W01", succeeded=False, clock=clock
        )
