"""The outbox sender against the Bot API stand-in (in-process, Telegram's limits on).

The clock starts at the fixture's Tuesday 10:30 and then runs in real time, so rows the
planner wrote "now" are due for the sender at once and retry delays really pass.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import select
from telegram import Bot
from telegram.ext import ApplicationBuilder

from bot.ratelimit import ChatRateLimiter
from bot.rendering import payload_of
from bot.sender import OutboxSender, keyboard, start_reminder_jobs
from retail import outbox
from retail.clock import FixedClock
from retail.db import Database
from retail.models import OutboxMessage, Retailer
from retail.models.orders import Order
from retail.outbox import ClaimedMessage, PushButton
from retail.reminders import ReminderPolicy, plan_reminders
from retail.reminders.buttons import buttons_for
from retail.schema import migrate
from retail.seed import seed_demo
from retail.settings import Settings
from standin import STANDIN_KEY, FloodLimits, StandinClient, create_app
from standin.limits import FloodGate

TOKEN = "123456:demo"
RETAILER, MANAGER = 10001, 20001
BUTTONS = [PushButton("知道了", "/affirm"), PushButton("已存款", "/payment_notice")]


class RunningClock:
    """Starts at ``start`` and moves with real time."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


@pytest.fixture
def running_clock(clock: FixedClock) -> RunningClock:
    """Tuesday 24 Nov 2026 10:30 in Shanghai, then real time."""
    return RunningClock(clock.now())


async def _serve(limits: FloodLimits) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(create_app(limits=limits, first_update_id=1000), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest_asyncio.fixture(loop_scope="function")
async def standin_url() -> AsyncIterator[str]:
    """A stand-in with Telegram's limits; the retailer and the manager are its users."""
    runner, url = await _serve(FloodLimits())
    async with StandinClient(url) as client:
        await client.add_user(RETAILER, first_name="Zhang")
        await client.add_user(MANAGER, first_name="Wang")
    yield url
    await runner.cleanup()


def _bot(url: str) -> Bot:
    return Bot(TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot")


def _settings(db: Database, **changes: object) -> Settings:
    base = Settings(
        database_url=db.url,
        sender_batch_size=10,
        outbox_poll_seconds=0.05,
        outbox_lease_seconds=30,
        outbox_retry_base_seconds=0.2,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _retailer_id(db: Database, code: str = "R001") -> int:
    with db.session() as session:
        found = session.scalar(select(Retailer.id).where(Retailer.code == code))
        assert found is not None
        return found


def _enqueue(db: Database, clock: RunningClock, count: int = 1, chat_id: int = RETAILER) -> None:
    retailer_id = _retailer_id(db)
    with db.session() as session:
        for n in range(count):
            outbox.enqueue(
                session,
                dedupe_key=f"R001:funding_first:2026-W48:test{n}",
                kind="funding_first",
                chat_id=chat_id,
                language="zh",
                text=f"张记烟酒您好,请存款 {n}",
                clock=clock,
                retailer_id=retailer_id,
                buttons=BUTTONS,
            )


def _first_reminder_due(db: Database, clock: RunningClock) -> datetime:
    """Close R001's open order in three hours, so its first funding reminder is due now."""
    now = clock.now()
    with db.session() as session:
        order = session.scalar(
            select(Order).where(Order.retailer_id == _retailer_id(db), Order.status == "open")
        )
        assert order is not None
        order.closes_at, order.deduct_at = now + timedelta(hours=3), now + timedelta(hours=5)
    return now


def _rows(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _unfinished(db: Database) -> int:
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage.status))
        return sum(1 for status in rows if status not in outbox.FINAL)


async def _drain(
    db: Database, url: str, clock: RunningClock, *, once: bool = False, **changes: object
) -> OutboxSender:
    """Run a real sender until every row is finished (``once``: until nothing is due now).

    The bot is not initialised (that would call getMe), so an unreachable URL fails the send.
    """
    bot = _bot(url)
    try:
        sender = OutboxSender(
            database=db, bot=bot, clock=clock, settings=_settings(db, **changes), worker="t"
        )
        done = asyncio.Event()

        async def watch() -> None:
            while _unfinished(db):
                await asyncio.sleep(0.1)
            done.set()

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.wait_for(sender.run(should_stop=done.is_set, until_idle=once), timeout=20)
        finally:
            watcher.cancel()
        return sender
    finally:
        await bot.shutdown()


async def test_a_reminder_arrives_with_its_buttons_and_its_message_id_is_recorded(
    db: Database, standin_url: str, running_clock: RunningClock
) -> None:
    _enqueue(db, running_clock)

    await _drain(db, standin_url, running_clock)

    async with StandinClient(standin_url) as client:
        [sent] = await client.sent_messages(RETAILER)
        tap = await client.tap(RETAILER, sent["message_id"], "/payment_notice")
    [row] = _rows(db)
    assert (sent["text"], row.status, row.telegram_message_id) == (
        "张记烟酒您好,请存款 0",
        "sent",
        sent["message_id"],
    )
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "知道了", "callback_data": "/affirm"},
                {"text": "已存款", "callback_data": "/payment_notice"},
            ]
        ]
    }
    assert tap.callback_query_id


# What each reminder's buttons sent to Rasa when retail stored Rasa payloads in the row.
PAYLOADS_BEFORE = {
    "funding_first": ["/affirm", "/payment_notice"],
    "funding_last": ["/affirm", "/payment_notice"],
    "order_open": ["/order_show", "/affirm"],
    "order_open_funding": ["/affirm", "/payment_notice"],
    "manager_reminder": ["/affirm", "/payment_notice"],
    "deduct_failed": ["/contact_manager", "/affirm"],
}


def _callback_data(buttons: list[PushButton]) -> list[str]:
    """The callback data of each button the sender renders; a tap sends it on to Rasa."""
    message = ClaimedMessage(
        id=1, kind="k", chat_id=RETAILER, language="zh", text="t", buttons=buttons
    )
    rendered = keyboard(message)
    assert rendered is not None
    return [str(b.callback_data) for row in rendered.inline_keyboard for b in row]


@pytest.mark.parametrize("kind", sorted(PAYLOADS_BEFORE))
def test_each_reminders_buttons_reach_rasa_as_the_same_payloads_as_before(kind: str) -> None:
    stored = list(buttons_for("zh", kind))

    assert _callback_data(stored) == PAYLOADS_BEFORE[kind]


def test_buttons_queued_with_rasa_payloads_are_rendered_unchanged() -> None:
    legacy = [
        PushButton("知道了", "/affirm"),
        PushButton("确认", '/visit_confirm{"ref":"7"}'),
        PushButton("回复", '/manager_reply{"ref":"3:later"}'),
    ]

    assert _callback_data(legacy) == [
        "/affirm",
        '/visit_confirm{"ref":"7"}',
        '/manager_reply{"ref":"3:later"}',
    ]


async def test_a_planned_reminders_buttons_reach_rasa_as_before_through_the_sender(
    db: Database, standin_url: str, running_clock: RunningClock
) -> None:
    now = _first_reminder_due(db, running_clock)
    with db.session() as session:
        plan_reminders(session, clock=FixedClock(now), policy=ReminderPolicy(order_open=False))
    [queued] = _rows(db)

    await _drain(db, standin_url, running_clock)

    async with StandinClient(standin_url) as client:
        [sent] = await client.sent_messages(RETAILER)
        tap = await client.tap(RETAILER, sent["message_id"], "/payment_notice")
    callback_data = [b["callback_data"] for b in sent["reply_markup"]["inline_keyboard"][0]]
    assert [b["payload"] for b in queued.buttons] == ["ack", "deposited"]
    assert [payload_of(data, {}) for data in callback_data] == ["/affirm", "/payment_notice"]
    assert tap.callback_query_id


async def test_a_429_is_honoured_by_waiting_retry_after_and_nothing_is_sent_twice(
    db: Database, standin_url: str, running_clock: RunningClock
) -> None:
    _enqueue(db, running_clock, count=3)

    # The sender is told it may write 50 times a second to one chat; the stand-in, like
    # Telegram, allows one a second and answers 429 with retry_after.
    sender = await _drain(db, standin_url, running_clock, chat_rate_per_second=50.0)

    async with StandinClient(standin_url) as client:
        sent = await client.sent_messages(RETAILER)
        stats = await client.stats()
    times = [m["time"] for m in sent]
    assert sorted(m["text"] for m in sent) == [f"张记烟酒您好,请存款 {n}" for n in range(3)]
    assert 1 <= stats["too_many_requests"] <= 3
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.9
    assert sender.stats.throttled == stats["too_many_requests"]
    assert [r.status for r in _rows(db)] == ["sent"] * 3
    assert sum(r.throttled for r in _rows(db)) == stats["too_many_requests"]


async def test_a_blocked_user_is_marked_and_their_manager_told(
    db: Database, standin_url: str, running_clock: RunningClock
) -> None:
    async with StandinClient(standin_url) as client:
        await client.add_user(RETAILER, blocked=True)
    _enqueue(db, running_clock)

    sender = await _drain(db, standin_url, running_clock)

    async with StandinClient(standin_url) as client:
        to_retailer = await client.sent_messages(RETAILER)
        [to_manager] = await client.sent_messages(MANAGER)
    rows = _rows(db)
    assert (to_retailer, sender.stats.blocked) == ([], 1)
    assert [(r.kind, r.status) for r in rows] == [
        ("funding_first", "blocked"),
        ("manager_unreachable", "sent"),
    ]
    assert rows[0].last_error == "403: Forbidden: bot was blocked by the user"
    assert to_manager["text"] == "张记烟酒(R001)已屏蔽机器人,提醒「存款提醒」无法送达,请电话联系。"


async def test_a_network_error_is_retried_after_a_backoff(
    db: Database, standin_url: str, running_clock: RunningClock
) -> None:
    _enqueue(db, running_clock)
    closed_runner, closed_url = await _serve(FloodLimits())
    await closed_runner.cleanup()  # nothing listens there any more

    await _drain(db, closed_url, running_clock, once=True)
    [failed] = _rows(db)
    await asyncio.sleep(0.25)
    await _drain(db, standin_url, running_clock)

    [row] = _rows(db)
    assert (failed.status, failed.attempts, failed.last_error[:12]) == (
        "pending",
        1,
        "NetworkError",
    )
    assert failed.not_before >= running_clock.now() - timedelta(seconds=1)
    assert (row.status, row.attempts) == ("sent", 1)


async def test_in_the_bot_the_planner_and_sender_jobs_deliver_a_due_reminder(
    db: Database, standin_url: str, running_clock: RunningClock
) -> None:
    _first_reminder_due(db, running_clock)
    settings = _settings(db, reminder_plan_every_seconds=0.2, reminder_order_open=False)
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{standin_url}/bot")
        .base_file_url(f"{standin_url}/file/bot")
        .rate_limiter(ChatRateLimiter(overall_per_second=30, chat_per_second=1))
        .build()
    )
    async with StandinClient(standin_url) as client, application:
        await application.start()
        start_reminder_jobs(application, database=db, clock=running_clock, settings=settings)
        [sent] = await client.wait_for_messages(RETAILER, 1, timeout=10)
        await application.stop()

    assert sent["text"].startswith("张记烟酒您好,本周订单 ¥3,059.00")
    assert [(r.kind, r.status) for r in _rows(db)] == [("funding_first", "sent")]


@pytest.mark.postgres
async def test_two_senders_on_postgresql_deliver_each_message_once(
    postgres_url: str, standin_url: str, running_clock: RunningClock
) -> None:
    migrate(postgres_url)
    database = Database(postgres_url)
    chats = list(range(30_001, 30_061))
    async with StandinClient(standin_url) as client:
        for chat in chats:
            await client.add_user(chat)
    with database.session() as session:
        seed_demo(session, running_clock)
        outbox.enqueue_many(
            session,
            [
                outbox.NewMessage(
                    dedupe_key=f"T:{chat}",
                    kind="funding_first",
                    chat_id=chat,
                    language="zh",
                    text=f"提醒 {chat}",
                )
                for chat in chats
            ],
            clock=running_clock,
        )
    try:
        # Each sender paces itself at 20/s, 40/s together: the stand-in answers some 429s.
        await asyncio.gather(
            _drain(database, standin_url, running_clock, sender_rate_per_second=20.0),
            _drain(database, standin_url, running_clock, sender_rate_per_second=20.0),
        )
        async with StandinClient(standin_url) as client:
            sent = await client.sent_messages()
        with database.session() as session:
            statuses = Counter(session.scalars(select(OutboxMessage.status)))
    finally:
        database.dispose()

    assert Counter(m["chat_id"] for m in sent) == Counter(chats)
    assert statuses == Counter({"sent": len(chats)})


class WarpTime:
    """Time that runs ``factor`` times faster than real time: the business clock of the outbox
    (leases, ``not_before``), the senders' pacing and sleeps, and the stand-in's flood windows
    all read it, so a 25-second ``retry_after`` passes in 2.5 real seconds and every party
    still sees the same 25 seconds."""

    def __init__(self, start: datetime, factor: float) -> None:
        self._start = start
        self._began = time.monotonic()
        self.factor = factor

    def monotonic(self) -> float:
        return (time.monotonic() - self._began) * self.factor

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.factor)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())


class SlowChatGate:
    """The stand-in's flood gate with Telegram's limits, except that ``slow_chat`` takes one
    message in any 25 s: a second one within that gets 429 with retry_after 25. (Were every
    chat that slow, a duplicate would be refused too, and the test could not see it.)"""

    def __init__(self, slow_chat: int, *, clock: Callable[[], float]) -> None:
        self.slow_chat = slow_chat
        self._usual = FloodGate(FloodLimits(), clock=clock)
        self._slow = FloodGate(FloodLimits(chat_per_second=1 / 25), clock=clock)

    def admit(self, chat_id: int) -> int | None:
        gate = self._slow if chat_id == self.slow_chat else self._usual
        return gate.admit(chat_id)


@pytest.mark.postgres
async def test_a_sender_waiting_out_a_long_429_keeps_its_rows_and_each_is_sent_once(
    postgres_url: str,
) -> None:
    """Sender A holds ten rows and meets a 429 with retry_after=25 on the second message to
    one chat, so it pauses every send for 25 s: longer than its 10-second lease. Sender B polls
    the same outbox all along. Before leases were renewed, B took over A's waiting rows after
    10 s and sent them, and A sent those already in flight again after its pause."""
    warp = WarpTime(datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc), factor=10)
    twice, others = 40_001, list(range(40_002, 40_010))
    app = create_app(first_update_id=1000)
    app[STANDIN_KEY].gate = SlowChatGate(twice, clock=warp.monotonic)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}"
    migrate(postgres_url)
    database = Database(postgres_url)
    async with StandinClient(url) as client:
        for chat in (twice, *others):
            await client.add_user(chat)
    with database.session() as session:
        seed_demo(session, FixedClock(warp.now()))
        outbox.enqueue_many(
            session,
            [
                outbox.NewMessage(
                    dedupe_key=f"W:{n}:{chat}",
                    kind="funding_first",
                    chat_id=chat,
                    language="zh",
                    text=f"提醒 {n} {chat}",
                )
                for n, chat in enumerate([twice, twice, *others])
            ],
            clock=warp,
        )
    settings = _settings(
        database, outbox_lease_seconds=10, chat_rate_per_second=50.0, outbox_poll_seconds=0.1
    )
    done = asyncio.Event()
    bots = [_bot(url), _bot(url)]
    senders = [
        OutboxSender(
            database=database, bot=bot, clock=warp, settings=settings, worker=name, timer=warp
        )
        for bot, name in zip(bots, ("A", "B"), strict=True)
    ]

    async def watch() -> None:
        while _unfinished(database):
            await asyncio.sleep(0.05)
        done.set()

    try:
        first = asyncio.create_task(senders[0].run(should_stop=done.is_set))
        async with StandinClient(url) as client:
            while not (await client.stats())["too_many_requests"]:
                await asyncio.sleep(0.01)
            throttled_at = warp.monotonic()
            second = asyncio.create_task(senders[1].run(should_stop=done.is_set))
            await asyncio.wait_for(asyncio.gather(first, second, watch()), timeout=30)
            sent = await client.sent_messages()
            stats = await client.stats()
        with database.session() as session:
            rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        done.set()
        for bot in bots:
            await bot.shutdown()
        database.dispose()
        await runner.cleanup()

    assert Counter(m["chat_id"] for m in sent) == Counter([twice, twice, *others])
    assert [r.status for r in rows] == ["sent"] * 10
    assert rows[1].last_error in {"429: retry after 25 s", "429: retry after 24 s"}
    assert stats["too_many_requests"] == 1
    assert warp.monotonic() - throttled_at >= 24  # A really waited out the 429
    assert (senders[0].stats.lost_claims, senders[1].stats.lost_claims) == (0, 0)
