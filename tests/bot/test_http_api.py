"""The HTTP API on a real aiohttp server: the balance and deduction feed endpoints and the
staff figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest_asyncio
from aiohttp import web
from sqlalchemy import func, select

from bot.http_api import create_http_app
from bot.rasa_client import RasaClient
from bot.services import Services
from retail import outbox
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.models import BalanceSnapshot, Order, Retailer, SettlementAccount
from retail.settings import Settings
from retail.settlement import feeds

FEED_BANKS = "bank-a=农村商业银行;bank-b=工商银行"
ROW = {"retailer_code": "R001", "balance": "3100.00", "reported_at": "2026-11-24T09:30:00+08:00"}


@dataclass
class Api:
    """A running HTTP API, a client session, and a token of feed "bank-a"."""

    url: str
    http: aiohttp.ClientSession
    token: str

    async def post(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.post(self.url + path, **kwargs) as response:
            return response.status, await response.json()

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, str]:
        async with self.http.get(self.url + path, **kwargs) as response:
            return response.status, response.content_type, await response.text()


async def _serve(db: Database, clock: FixedClock, settings: Settings) -> AsyncIterator[Api]:
    with db.session() as session:
        token = feeds.issue_feed_token(session, feed="bank-a", clock=clock)
    svc = Services(settings, db, RasaClient("http://127.0.0.1:9", timeout=1), clock)
    runner = web.AppRunner(create_http_app(svc), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as http:
        yield Api(f"http://{host}:{port}", http, token)
    await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="function")
async def api(db: Database, clock: FixedClock) -> AsyncIterator[Api]:
    settings = Settings(database_url=db.url, feed_banks=FEED_BANKS)
    async for running in _serve(db, clock, settings):
        yield running


@pytest_asyncio.fixture(loop_scope="function")
async def guarded(db: Database, clock: FixedClock) -> AsyncIterator[Api]:
    settings = Settings(database_url=db.url, staff_token="s3cret", feed_banks=FEED_BANKS)
    async for running in _serve(db, clock, settings):
        yield running


def _snapshots(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(BalanceSnapshot)) or 0)


async def test_feed_without_or_with_a_wrong_token_is_refused(api: Api, db: Database) -> None:
    before = _snapshots(db)
    body = {"rows": [ROW]}

    missing = await api.post("/api/feeds/bank-a/balances", json=body)
    wrong = await api.post(
        "/api/feeds/bank-a/balances", json=body, headers={"Authorization": "Bearer nope"}
    )
    other_feed = await api.post(
        "/api/feeds/bank-b/balances",
        json=body,
        headers={"Authorization": f"Bearer {api.token}"},
    )

    assert [status for status, _ in (missing, wrong, other_feed)] == [401, 401, 401]
    assert missing[1] == {"error": "unauthorized"}
    assert _snapshots(db) == before


async def test_the_same_snapshot_posted_twice_is_stored_once(api: Api, db: Database) -> None:
    before = _snapshots(db)
    auth = {"Authorization": f"Bearer {api.token}"}
    body = {"rows": [{**ROW, "snapshot_id": "2026-11-24-0001"}]}

    first = await api.post("/api/feeds/bank-a/balances", json=body, headers=auth)
    again = await api.post("/api/feeds/bank-a/balances", json=body, headers=auth)

    assert first == (
        200,
        {
            "received": 1,
            "stored": 1,
            "duplicates": 0,
            "rejected": [],
            "summary": "共 1 行:新存入 1 行,重复 0 行,拒收 0 行。",
        },
    )
    assert (again[1]["stored"], again[1]["duplicates"]) == (0, 1)
    assert _snapshots(db) == before + 1


async def test_malformed_rows_are_reported_and_good_ones_kept(api: Api, db: Database) -> None:
    auth = {"Authorization": f"Bearer {api.token}"}
    rows = [ROW, {**ROW, "balance": "12.345"}, {"retailer_code": "R002", "balance": "1"}]

    status, report = await api.post(
        "/api/feeds/bank-a/balances?lang=en", json={"rows": rows}, headers=auth
    )

    assert (status, report["stored"]) == (200, 1)
    assert report["rejected"] == [
        {
            "row": 2,
            "field": "balance",
            "code": "bad_amount",
            "message": 'Row 2: balance "12.345" is not a valid amount '
            "(not negative, at most two decimals).",
        },
        {
            "row": 3,
            "field": "reported_at",
            "code": "missing",
            "message": 'Row 3: "reported_at" is missing.',
        },
    ]


async def test_a_csv_body_is_accepted_and_an_unreadable_one_refused(api: Api) -> None:
    auth = {"Authorization": f"Bearer {api.token}"}
    csv_text = "retailer_code,balance,reported_at\nR002,9000.00,2026-11-24T09:00\n"

    ok = await api.post(
        "/api/feeds/bank-a/balances",
        data=csv_text.encode(),
        headers={**auth, "Content-Type": "text/csv"},
    )
    broken = await api.post(
        "/api/feeds/bank-a/balances",
        data=b"{not json",
        headers={**auth, "Content-Type": "application/json"},
    )

    assert (ok[0], ok[1]["stored"]) == (200, 1)
    assert (broken[0], broken[1]["error"]) == (400, "invalid_body")


DEDUCTION = {
    "retailer_code": "R001",
    "cycle": "2026-W48",
    "outcome": "failed",
    "amount": "3059.00",
    "reported_at": "2026-11-23T18:02:00+08:00",
    "result_id": "D-0001",
}


def _deduction_due(db: Database) -> None:
    """R001's order window closed yesterday (Monday 23 Nov, 16:00); deduction at 18:00."""
    with db.session() as session:
        order = session.scalar(
            select(Order)
            .join(Retailer, Retailer.id == Order.retailer_id)
            .where(Retailer.code == "R001", Order.cycle == "2026-W48")
        )
        assert order is not None
        order.opens_at = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
        order.closes_at = datetime(2026, 11, 23, 16, tzinfo=SHANGHAI)
        order.deduct_at = datetime(2026, 11, 23, 18, tzinfo=SHANGHAI)


def _r001_status(db: Database) -> str:
    with db.session() as session:
        status = session.scalar(
            select(Order.status)
            .join(Retailer, Retailer.id == Order.retailer_id)
            .where(Retailer.code == "R001", Order.cycle == "2026-W48")
        )
        return str(status)


async def test_deduction_results_without_the_feeds_token_are_refused(
    api: Api, db: Database
) -> None:
    _deduction_due(db)
    body = {"rows": [DEDUCTION]}

    missing = await api.post("/api/feeds/bank-a/deductions", json=body)
    wrong = await api.post(
        "/api/feeds/bank-a/deductions", json=body, headers={"Authorization": "Bearer nope"}
    )
    other_feed = await api.post(
        "/api/feeds/bank-b/deductions",
        json=body,
        headers={"Authorization": f"Bearer {api.token}"},
    )

    assert [status for status, _ in (missing, wrong, other_feed)] == [401, 401, 401]
    assert missing[1] == {"error": "unauthorized"}
    assert _r001_status(db) == "open"


async def test_a_failed_deduction_posted_twice_marks_the_order_once(api: Api, db: Database) -> None:
    _deduction_due(db)
    auth = {"Authorization": f"Bearer {api.token}"}
    body = {"rows": [DEDUCTION]}

    first = await api.post("/api/feeds/bank-a/deductions?lang=en", json=body, headers=auth)
    again = await api.post("/api/feeds/bank-a/deductions?lang=en", json=body, headers=auth)

    assert first == (
        200,
        {
            "received": 1,
            "stored": 1,
            "duplicates": 0,
            "rejected": [],
            "summary": "1 rows: 1 stored, 0 duplicates, 0 rejected.",
        },
    )
    assert (again[1]["stored"], again[1]["duplicates"]) == (0, 1)
    assert _r001_status(db) == "deduct_failed"


async def test_deduction_rows_that_cannot_apply_are_reported_in_csv_too(
    api: Api, db: Database
) -> None:
    _deduction_due(db)
    auth = {"Authorization": f"Bearer {api.token}"}
    csv_text = (
        "retailer_code,cycle,outcome,amount,reported_at\n"
        "R001,2026-W47,failed,100.00,2026-11-23T18:02\n"
        "R001,2026-W48,succeeded,3059.00,2026-11-23T18:02\n"
    )

    status, report = await api.post(
        "/api/feeds/bank-a/deductions",
        data=csv_text.encode(),
        headers={**auth, "Content-Type": "text/csv"},
    )

    assert (status, report["stored"]) == (200, 1)
    assert report["rejected"] == [
        {
            "row": 2,
            "field": "outcome",
            "code": "not_awaiting",
            "message": "第 2 行:该订单不在待扣款状态(当前状态 deducted),结果未采用。",
        }
    ]
    assert _r001_status(db) == "deducted"


def _delivery_history(db: Database, clock: FixedClock) -> None:
    """Three messages today: one delivered, one blocked, one failed for good."""
    with db.session() as session:
        ids = [
            outbox.enqueue(
                session,
                dedupe_key=f"R001:manager_reminder:2026-W48:{n}",
                kind="manager_reminder",
                chat_id=10001,
                language="zh",
                text="请存款",
                clock=clock,
            ).id
            for n in range(3)
        ]
        outbox.mark_sent(session, ids[0], telegram_message_id=5, clock=clock)
        outbox.mark_blocked(session, ids[1], error="403", clock=clock)
        outbox.mark_failed(
            session,
            ids[2],
            error="400",
            clock=clock,
            retry_base=timedelta(seconds=1),
            max_attempts=1,
        )


async def test_staff_figures_count_todays_deliveries(
    api: Api, db: Database, clock: FixedClock
) -> None:
    _delivery_history(db, clock)

    async with api.http.get(api.url + "/staff/reminders/figures?days=3") as response:
        status, figures = response.status, await response.json()

    assert status == 200
    assert [day["date"] for day in figures["days"]] == ["2026-11-22", "2026-11-23", "2026-11-24"]
    assert figures["days"][-1] == {
        "date": "2026-11-24",
        "sent": 1,
        "failed": 1,
        "blocked": 1,
        "throttled": 0,
        "interrupted": 0,
        "funded_after_reminder": 0,
        "sent_by_kind": {"manager_reminder": 1},
    }
    assert figures["totals"]["sent"] == 1
    assert figures["backlog"] == {"pending": 0, "claimed": 0, "sending": 0}


async def test_staff_page_is_self_contained_html_with_a_chart(
    api: Api, db: Database, clock: FixedClock
) -> None:
    _delivery_history(db, clock)

    status, content_type, page = await api.get("/staff/reminders?lang=en")

    assert (status, content_type) == (200, "text/html")
    assert "<svg" in page and "Reminder delivery" in page
    assert "<script" not in page and "src=" not in page and "https://" not in page


async def test_staff_views_need_the_staff_token_when_one_is_set(guarded: Api) -> None:
    without = await guarded.get("/staff/reminders/figures")
    wrong = await guarded.get("/staff/reminders", headers={"Authorization": "Bearer x"})
    bearer = await guarded.get(
        "/staff/reminders/figures", headers={"Authorization": "Bearer s3cret"}
    )
    query = await guarded.get("/staff/reminders?token=s3cret")

    assert [r[0] for r in (without, wrong, bearer, query)] == [401, 401, 200, 200]


def _move_to_another_bank(db: Database, code: str, bank: str = "工商银行") -> None:
    """``code``'s settlement account is at ``bank`` from now on (the demo has one bank)."""
    with db.session() as session:
        retailer_id = session.scalar(select(Retailer.id).where(Retailer.code == code))
        account = session.scalar(
            select(SettlementAccount).where(SettlementAccount.retailer_id == retailer_id)
        )
        assert account is not None
        account.bank = bank


def _snapshots_of(db: Database, code: str) -> int:
    with db.session() as session:
        query = (
            select(func.count())
            .select_from(BalanceSnapshot)
            .join(SettlementAccount, SettlementAccount.id == BalanceSnapshot.account_id)
            .join(Retailer, Retailer.id == SettlementAccount.retailer_id)
            .where(Retailer.code == code)
        )
        return int(session.scalar(query) or 0)


async def test_a_feed_cannot_post_balances_for_another_banks_account(
    api: Api, db: Database
) -> None:
    _move_to_another_bank(db, "R002")
    before = _snapshots_of(db, "R002")
    auth = {"Authorization": f"Bearer {api.token}"}
    rows = [ROW, {**ROW, "retailer_code": "R002", "balance": "99999.00"}]

    status, report = await api.post(
        "/api/feeds/bank-a/balances?lang=en", json={"rows": rows}, headers=auth
    )

    assert status == 200
    assert (report["received"], report["stored"], report["duplicates"]) == (2, 1, 0)
    assert report["rejected"] == [
        {
            "row": 2,
            "field": "retailer_code",
            "code": "other_bank",
            "message": "Row 2: retailer R002 banks elsewhere; this feed may not report on that "
            "account, nothing was written.",
        }
    ]
    assert _snapshots_of(db, "R002") == before


async def test_a_feed_cannot_post_a_deduction_result_for_another_banks_shop(
    api: Api, db: Database
) -> None:
    _deduction_due(db)
    _move_to_another_bank(db, "R001")
    auth = {"Authorization": f"Bearer {api.token}"}
    csv_text = (
        "retailer_code,cycle,outcome,amount,reported_at\n"
        "R001,2026-W48,failed,3059.00,2026-11-23T18:02\n"
    )

    status, report = await api.post(
        "/api/feeds/bank-a/deductions",
        data=csv_text.encode(),
        headers={**auth, "Content-Type": "text/csv"},
    )

    assert (status, report["received"], report["stored"]) == (200, 1, 0)
    assert [(p["row"], p["code"]) for p in report["rejected"]] == [(2, "other_bank")]
    assert _r001_status(db) == "open"


async def test_a_feed_without_a_bank_has_every_known_shops_row_rejected(
    db: Database, clock: FixedClock
) -> None:
    async for api in _serve(db, clock, Settings(database_url=db.url)):
        before = _snapshots(db)
        status, report = await api.post(
            "/api/feeds/bank-a/balances",
            json={"rows": [ROW]},
            headers={"Authorization": f"Bearer {api.token}"},
        )
    assert (status, report["stored"], [p["code"] for p in report["rejected"]]) == (
        200,
        0,
        ["other_bank"],
    )
    assert _snapshots(db) == before
