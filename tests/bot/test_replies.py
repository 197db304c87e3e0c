"""At-least-once replies: what happens to a claimed message when its reply cannot go out, and
which messages the retry job sends to Rasa again (never one still in flight).

The real PTB client talks to an in-process Bot API stand-in (or to a closed port, for a
network failure); Rasa is the recording double of test_message_time.py, which answers or is
down on demand, because what counts here is how often it is asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest_asyncio
from aiohttp import web
from telegram import Bot

from bot.handlers import converse, retry_failed
from bot.processor import in_flight
from bot.rasa_client import RasaReply, RasaUnavailable
from bot.services import SERVICES, Services
from retail import inbox
from retail.clock import FixedClock
from retail.db import Database
from retail.i18n import t
from retail.models import InboundUpdate
from retail.settings import Settings
from standin import StandinClient, create_app

TOKEN = "123456:replies"
RETAILER = 10001
ANSWER = "芙蓉王(硬)批发价 ¥230.00/条"


class RecordingRasa:
    """A Rasa client that records what it is sent; answers ANSWER, or is down."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.down = False

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaReply]:
        self.sent.append((sender, text, metadata))
        if self.down:
            raise RasaUnavailable("connection refused")
        return [RasaReply(ANSWER)]


@pytest_asyncio.fixture(loop_scope="function")
async def standin() -> AsyncIterator[tuple[str, StandinClient]]:
    """An in-process stand-in on a free port where the retailer has written to the bot."""
    runner = web.AppRunner(create_app(first_update_id=500), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}"
    async with StandinClient(url) as client:
        await client.add_user(RETAILER, first_name="张伟", language_code="zh")
        await client.send_text(RETAILER, "芙蓉王硬多少钱一条")
        yield url, client
    await runner.cleanup()


def _bot(url: str) -> Bot:
    return Bot(TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot")


def _context(bot: Bot, rasa: RecordingRasa, db: Database, clock: FixedClock) -> Any:
    svc = Services(settings=Settings(), database=db, rasa=rasa, clock=clock)  # type: ignore[arg-type]
    return SimpleNamespace(application=SimpleNamespace(bot_data={SERVICES: svc}), bot=bot)


def _claim(
    db: Database,
    clock: FixedClock,
    update_id: int,
    text: str = "芙蓉王多少钱",
    *,
    written_at: datetime | None = None,
    tap: bool = False,
) -> None:
    with db.session() as session:
        assert inbox.claim_update(
            session,
            update_id=update_id,
            telegram_user_id=RETAILER,
            chat_id=RETAILER,
            text=text,
            language="zh",
            clock=clock,
            written_at=written_at,
            tap=tap,
        )


def _row(db: Database, update_id: int) -> tuple[str, int]:
    with db.session() as session:
        row = session.get(InboundUpdate, update_id)
        assert row is not None
        return row.status, row.attempts


async def _texts(client: StandinClient) -> list[str]:
    sent = await client.sent_messages(RETAILER)
    return [str(m["text"]) for m in sent if m["method"] == "sendMessage"]


async def _converse(context: Any, update_id: int) -> bool:
    return await converse(
        context,
        update_id=update_id,
        user_id=RETAILER,
        chat_id=RETAILER,
        text="芙蓉王多少钱",
        language="zh",
    )


async def test_a_reply_to_a_user_who_blocked_the_bot_ends_the_retries(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    url, client = standin
    rasa = RecordingRasa()
    await client.add_user(RETAILER, blocked=True)
    async with _bot(url) as bot:
        context = _context(bot, rasa, db, clock)
        _claim(db, clock, 1)
        await _converse(context, 1)
        clock.advance(timedelta(minutes=2))
        await retry_failed(context)

    assert _row(db, 1) == ("undeliverable", 0)
    assert len(rasa.sent) == 1  # the action ran once, and is not run again for nothing


async def test_a_network_error_on_send_leaves_the_message_for_the_retry(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    url, client = standin
    rasa = RecordingRasa()
    _claim(db, clock, 2)
    unreachable = Bot(TOKEN, base_url="http://127.0.0.1:9/bot")  # nothing listens on port 9

    assert await _converse(_context(unreachable, rasa, db, clock), 2)
    assert _row(db, 2) == ("failed", 1)

    clock.advance(timedelta(seconds=20))
    async with _bot(url) as bot:
        await retry_failed(_context(bot, rasa, db, clock))

    assert _row(db, 2) == ("answered", 1)
    assert await _texts(client) == [ANSWER]
    assert len(rasa.sent) == 2


async def test_the_retry_never_takes_a_message_still_in_flight(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    url, client = standin
    rasa = RecordingRasa()
    _claim(db, clock, 3)
    clock.advance(timedelta(minutes=5))  # long past the unanswered threshold
    async with _bot(url) as bot:
        context = _context(bot, rasa, db, clock)
        with in_flight(context.application.bot_data).holding(3):
            await retry_failed(context)
            assert (rasa.sent, _row(db, 3)) == ([], ("received", 0))
        await retry_failed(context)

    assert _row(db, 3)[0] == "answered"
    assert await _texts(client) == [ANSWER]


async def test_a_message_the_bot_never_answered_is_answered_with_its_own_time(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    url, client = standin
    rasa = RecordingRasa()
    _claim(db, clock, 4)
    received = clock.now()
    async with _bot(url) as bot:
        context = _context(bot, rasa, db, clock)
        clock.advance(timedelta(seconds=30))
        await retry_failed(context)  # too young: the first attempt may still be running
        assert rasa.sent == []
        clock.advance(timedelta(seconds=31))
        await retry_failed(context)

    [(_, text, metadata)] = rasa.sent
    sent_at = datetime.fromisoformat(metadata["message_time"])
    assert (text, sent_at) == ("芙蓉王多少钱", received)
    assert await _texts(client) == [ANSWER]


async def test_after_a_crash_with_rasa_down_the_user_hears_once_that_it_is_saved(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    url, client = standin
    rasa = RecordingRasa()
    rasa.down = True
    _claim(db, clock, 5)
    clock.advance(timedelta(minutes=2))
    async with _bot(url) as bot:
        context = _context(bot, rasa, db, clock)
        await retry_failed(context)
        clock.advance(timedelta(seconds=20))
        await retry_failed(context)

    assert _row(db, 5) == ("failed", 2)
    assert await _texts(client) == [t("zh", "error.backend_down")]


async def test_what_rasa_should_not_read_is_not_retried(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    url, _ = standin
    rasa = RecordingRasa()
    _claim(db, clock, 6, text="")  # a voice note that died before its transcript
    _claim(db, clock, 7, text="p:0123456789abcdef", tap=True)  # a button a restart forgot
    _claim(db, clock, 8, text="/order_show", tap=True)  # a button whose payload is its data
    clock.advance(timedelta(minutes=2))
    async with _bot(url) as bot:
        await retry_failed(_context(bot, rasa, db, clock))

    assert [_row(db, i)[0] for i in (6, 7, 8)] == ["ignored", "ignored", "answered"]
    assert [text for _, text, _ in rasa.sent] == ["/order_show"]


async def test_a_retry_sends_when_the_user_wrote_not_when_the_bot_claimed(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    """A typed yes confirms only an offer shown before it was written: after an outage the
    claim can be minutes later than the writing, and the retry must not move the yes."""
    url, _ = standin
    rasa = RecordingRasa()
    written = clock.now() - timedelta(minutes=3)  # queued at Telegram while the bot was down
    _claim(db, clock, 5, "确认", written_at=written)
    clock.advance(timedelta(minutes=1))
    async with _bot(url) as bot:
        await retry_failed(_context(bot, rasa, db, clock))

    [(_, text, metadata)] = rasa.sent
    assert (text, datetime.fromisoformat(metadata["message_time"])) == ("确认", written)


async def test_a_retried_text_that_looks_like_a_stored_button_key_stays_text(
    standin: tuple[str, StandinClient], db: Database, clock: FixedClock
) -> None:
    url, _ = standin
    rasa = RecordingRasa()
    _claim(db, clock, 6, "p:456")  # typed, the same characters as a stored key
    _claim(db, clock, 7, "p:456", tap=True)
    clock.advance(timedelta(minutes=1))
    async with _bot(url) as bot:
        context = _context(bot, rasa, db, clock)
        services = context.application.bot_data[SERVICES]
        services.button_payloads["p:456"] = '/affirm{"plan":"9"}'
        await retry_failed(context)

    assert [(text, "message_time" in metadata) for _, text, metadata in rasa.sent] == [
        ("p:456", True),
        ('/affirm{"plan":"9"}', False),
    ]
