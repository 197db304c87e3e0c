"""A bank feed reports only on its own bank's settlement accounts (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from retail.clock import FixedClock
from retail.db import Database
from retail.models import BalanceSnapshot, Retailer, SettlementAccount
from retail.settlement import deductions, feeds

ROW = {"retailer_code": "R001", "balance": "3100.50", "reported_at": "2026-11-24T09:30:00+08:00"}


def _bank_of(db: Database, code: str, bank: str) -> None:
    with db.session() as session:
        retailer_id = session.scalar(select(Retailer.id).where(Retailer.code == code))
        account = session.scalar(
            select(SettlementAccount).where(SettlementAccount.retailer_id == retailer_id)
        )
        assert account is not None
        account.bank = bank


def _snapshots(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(BalanceSnapshot)) or 0)


def test_feed_banks_reads_pairs_and_skips_malformed_ones() -> None:
    mapping = feeds.feed_banks(
        " bank-a = 农村商业银行 ; Bad Name=x; bank-b=; nothing ;bank-c=工商银行"
    )
    assert mapping == {"bank-a": "农村商业银行", "bank-c": "工商银行"}


def test_rows_about_another_banks_accounts_are_rejected_and_not_stored(
    any_db: Database, clock: FixedClock
) -> None:
    _bank_of(any_db, "R002", "工商银行")
    before = _snapshots(any_db)
    rows = [ROW, {**ROW, "retailer_code": "R002"}, {**ROW, "retailer_code": "R999"}]

    with any_db.session() as session:
        report = feeds.import_within_bank(
            session,
            rows,
            importer=feeds.import_balances,
            required=feeds.FIELDS,
            feed="bank-a",
            bank="农村商业银行",
            clock=clock,
        )

    assert (report.received, report.stored) == (3, 1)
    assert [(p.row, p.code) for p in report.rejected] == [
        (2, "other_bank"),
        (3, "unknown_retailer"),
    ]
    assert _snapshots(any_db) == before + 1


def test_csv_rows_keep_their_line_numbers_when_scoped(any_db: Database, clock: FixedClock) -> None:
    _bank_of(any_db, "R001", "工商银行")
    csv_text = (
        "retailer_code,cycle,outcome,amount,reported_at\n"
        "\n"
        "R001,2026-W48,failed,3059.00,2026-11-23T18:02\n"
    )

    with any_db.session() as session:
        report = feeds.import_within_bank(
            session,
            csv_text,
            importer=deductions.import_deductions,
            required=deductions.FIELDS,
            feed="bank-a",
            bank="农村商业银行",
            clock=clock,
        )

    assert (report.received, report.stored) == (1, 0)
    assert [(p.row, p.code, p.field) for p in report.rejected] == [
        (3, "other_bank", "retailer_code")
    ]


def test_a_feed_with_no_bank_may_not_report_on_any_account(
    any_db: Database, clock: FixedClock
) -> None:
    before = _snapshots(any_db)
    with any_db.session() as session:
        report = feeds.import_within_bank(
            session,
            [ROW],
            importer=feeds.import_balances,
            required=feeds.FIELDS,
            feed="bank-z",
            bank=None,
            clock=clock,
        )
    assert ([p.code for p in report.rejected], report.stored) == (["other_bank"], 0)
    assert _snapshots(any_db) == before
