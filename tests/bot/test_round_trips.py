"""Issue 16, item 4: the bot's own database round trips per message. A bound user's text that
Rasa answers costs the bot two transactions (admission before Rasa, the outcome after it), not
the five it used to; a button tap the same; a re-delivered update one and no Rasa call.

The bot is the real one (``bot.app.build_application``: its handlers, rate limiter and PTB
client) talking to the in-process Bot API stand-in, on the demo data in SQLite and PostgreSQL.
What is counted is the bot's own engine (SQLAlchemy's ``begin`` event: one per transaction).
Rasa here is a stub behind the real RasaClient that checks the bot's signature and answers in
the language the bot signed: these tests are about the bot's side only; the real Rasa path is
tests/e2e/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import web
from sqlalchemy import event, select
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.rasa_client import RasaClient
from bot.services import SERVICES, Services
from retail.clock import FixedClock
from retail.db import Database
from retail.models import InboundUpdate, User
from retail.settings import Settings
from standin import StandinClient, create_app
from trust import verify

SECRET = "round-trip-secret"
RETAILER = 10001
ANSWERS = {"zh": "芙蓉王(硬)批发价 ¥230.00/条", "en": "Furongwang (hard): ¥230.00 a carton"}


@dataclass
class SignedRasa:
    """Rasa's REST webhook as far as the bot can tell: refuses what the bot did not sign,
    answers in the language the bot signed, with one button so a tap can follow."""

    bodies: list[dict[str, Any]] = field(default_factory=list)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        verdict = verify(SECRET, body["metadata"], sender=body["sender"], text=body["message"])
        if not verdict.ok:
            return web.json_response({"reason": verdict.reason}, status=401)
        self.bodies.append(body)
        answer = ANSWERS[body["metadata"]["language"]]
        return web.json_response([{"text": answer, "buttons": [{"title": "OK", "payload": "/ok"}]}])


@dataclass
class Running:
    """The bot, its database, the stand-in and the Rasa stub of one test."""

    application: Application[Any, Any, Any, Any, Any, Any]
    database: Database
    standin: StandinClient
    rasa: SignedRasa
    transactions: list[int]

    async def next_update(self) -> Update:
        updates = await self.application.bot.get_updates(timeout=0)
        assert len(updates) == 1
        await self.application.bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
        return updates[0]

    async def handle(self, update: Update) -> int:
        """Process ``update`` as the running bot would; the transactions it took."""
        before = len(self.transactions)
        await self.application.process_update(update)
        return len(self.transactions) - before


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest_asyncio.fixture(loop_scope="function")
async def running(any_db: Database, clock: FixedClock) -> AsyncIterator[Running]:
    standin_runner, standin_url = await _serve(create_app(first_update_id=700))
    stub = SignedRasa()
    rasa_app = web.Application()
    rasa_app.router.add_post("/webhooks/rest/webhook", stub.webhook)
    rasa_runner, rasa_url = await _serve(rasa_app)
    settings = Settings(telegram_api_url=standin_url, rasa_url=rasa_url, bot_signing_secret=SECRET)
    rasa = RasaClient(rasa_url, timeout=5, secret=SECRET)
    await rasa.start()
    transactions: list[int] = []
    event.listen(any_db.engine, "begin", lambda _connection: transactions.append(1))
    application = build_application(settings)
    application.bot_data[SERVICES] = Services(settings, any_db, rasa, clock)
    await application.initialize()
    try:
        async with StandinClient(standin_url) as client:
            await client.add_user(RETAILER, first_name="张伟", language_code="zh")
            yield Running(application, any_db, client, stub, transactions)
    finally:
        await application.shutdown()
        await rasa.close()
        await rasa_runner.cleanup()
        await standin_runner.cleanup()


def _status(database: Database, update_id: int) -> str:
    with database.session() as session:
        row = session.get(InboundUpdate, update_id)
        assert row is not None
        return row.status


def _saved_language(database: Database, telegram_user_id: int) -> str:
    with database.session() as session:
        user = session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))
        assert user is not None
        return user.language


async def _replies(client: StandinClient) -> list[str]:
    sent = await client.sent_messages(RETAILER)
    return [str(m["text"]) for m in sent if m["method"] == "sendMessage"]


async def test_a_bound_users_text_answered_by_rasa_takes_two_transactions(
    running: Running,
) -> None:
    await running.standin.send_text(RETAILER, "how much is Furongwang hard")
    update = await running.next_update()

    transactions = await running.handle(update)

    assert transactions <= 2
    assert await _replies(running.standin) == [ANSWERS["en"]]
    assert [b["metadata"]["language"] for b in running.rasa.bodies] == ["en"]
    assert _status(running.database, update.update_id) == "answered"
    assert _saved_language(running.database, RETAILER) == "en"  # remembered on the way in


async def test_a_button_tap_takes_two_transactions_and_keeps_the_saved_language(
    running: Running,
) -> None:
    await running.standin.send_text(RETAILER, "芙蓉王硬多少钱一条")
    await running.handle(await running.next_update())
    sent = await running.standin.sent_messages(RETAILER)
    offer = next(m for m in sent if m["method"] == "sendMessage")
    await running.standin.tap(RETAILER, int(offer["message_id"]), "/ok")
    tap = await running.next_update()

    transactions = await running.handle(tap)

    assert transactions <= 2
    assert [(b["message"], b["metadata"]["language"]) for b in running.rasa.bodies] == [
        ("芙蓉王硬多少钱一条", "zh"),
        ("/ok", "zh"),
    ]
    assert _status(running.database, tap.update_id) == "answered"


async def test_a_redelivered_update_takes_one_transaction_and_never_reaches_rasa(
    running: Running,
) -> None:
    await running.standin.send_text(RETAILER, "芙蓉王硬多少钱一条")
    update = await running.next_update()
    await running.handle(update)

    transactions = await running.handle(update)

    assert (transactions, len(running.rasa.bodies)) == (1, 1)
    assert await _replies(running.standin) == [ANSWERS["zh"]]
