"""Inbound limits per Telegram user, and a message the bot died on answered after a restart.

The limiter on its own with a hand-moved clock, then the real bot process against the Bot API
stand-in, with Rasa unreachable as in test_bot_process.py: a bound user hears "try again
shortly" for each message the bot takes, which is what these tests count.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.inbound import InboundLimiter, Verdict
from retail.db import Database
from retail.i18n import t
from retail.models import InboundUpdate
from scripts.stack import Stack
from standin import StandinClient
from tests.bot.stacks import bot_stack

BURST = 3


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the limiter ----------------------------------------------------------------------------


def test_a_burst_then_one_notice_then_silence() -> None:
    ticks = Ticks()
    limiter = InboundLimiter(burst=BURST, per_minute=6, now=ticks)

    verdicts = [limiter.check(7) for _ in range(30)]

    assert verdicts == [Verdict.ADMIT] * 3 + [Verdict.NOTIFY] + [Verdict.DROP] * 26
    assert limiter.check(8) is Verdict.ADMIT  # another user has their own allowance


def test_the_allowance_comes_back_at_the_rate_and_the_notice_once_a_minute() -> None:
    ticks = Ticks()
    limiter = InboundLimiter(burst=BURST, per_minute=6, now=ticks)
    for _ in range(5):
        limiter.check(7)

    ticks.now += 10  # 6 a minute: one message every 10 s
    assert [limiter.check(7), limiter.check(7)] == [Verdict.ADMIT, Verdict.DROP]
    ticks.now += 50  # a full bucket again, and a minute after the notice: told again
    assert [limiter.check(7) for _ in range(4)] == [Verdict.ADMIT] * 3 + [Verdict.NOTIFY]


def test_idle_users_are_forgotten() -> None:
    ticks = Ticks()
    limiter = InboundLimiter(burst=BURST, per_minute=6, now=ticks)
    for user in range(100):
        limiter.check(user)
    ticks.now += 29
    limiter.check(5)
    assert len(limiter) == 100

    ticks.now += 31  # 60 s after the first 100: their buckets are full again
    limiter.check(1000)

    assert len(limiter) == 2  # user 5 (seen 31 s ago) and user 1000


@pytest.mark.parametrize(("burst", "per_minute"), [(0, 10.0), (3, 0.0)])
def test_a_limiter_needs_a_burst_and_a_rate(burst: int, per_minute: float) -> None:
    with pytest.raises(ValueError):
        InboundLimiter(burst=burst, per_minute=per_minute)


# --- the bot process ------------------------------------------------------------------------


def _stack(work: Path, **env: str) -> Stack:
    """Stand-in and bot on a seeded SQLite database; Rasa at a closed port unless moved."""
    return bot_stack(work, **env)


def _rows(stack: Stack, user_id: int) -> list[tuple[str, int]]:
    database = Database(stack.env["DATABASE_URL"])
    with database.session() as session:
        rows = session.execute(
            select(InboundUpdate.status, InboundUpdate.attempts)
            .where(InboundUpdate.telegram_user_id == user_id)
            .order_by(InboundUpdate.update_id)
        ).all()
    database.dispose()
    return [(status, attempts) for status, attempts in rows]


async def _texts(client: StandinClient, user_id: int, since: int) -> list[str]:
    sent = await client.sent_messages(user_id, since=since)
    return [str(m["text"]) for m in sent if m["method"] == "sendMessage"]


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A bot allowing 3 messages at once and 1 a minute after that."""
    stack = _stack(
        tmp_path_factory.mktemp("inbound"), INBOUND_BURST=str(BURST), INBOUND_PER_MINUTE="1"
    )
    try:
        stack.wait_ready(stack.start_standin(), timeout=30)
        stack.wait_ready(stack.start_bot(), timeout=60)
        yield stack
    finally:
        stack.stop()


async def test_a_user_flooding_gets_a_burst_of_answers_and_one_slow_down(limited: Stack) -> None:
    async with StandinClient(limited.standin_url) as client:
        await client.add_user(10001, first_name="张伟")
        since = await client.last_seq()
        for n in range(30):  # as fast as the stand-in takes them: well under a second
            await client.send_text(10001, f"芙蓉王硬多少钱一条 {n}")
        await client.wait_for_messages(
            10001, BURST + 1, since=since, timeout=30, methods={"sendMessage"}
        )
        await asyncio.sleep(3)  # nothing more comes
        texts = await _texts(client, 10001, since)

    busy, slow = t("zh", "error.backend_down"), t("zh", "error.slow_down")
    assert texts == [busy] * BURST + [slow]
    statuses = [status for status, _ in _rows(limited, 10001)]
    assert statuses == ["failed"] * BURST + ["throttled"] * (30 - BURST)


async def test_a_stranger_gets_one_welcome_a_minute(limited: Stack) -> None:
    async with StandinClient(limited.standin_url) as client:
        await client.add_user(88003, first_name="Tom", language_code="en")
        since = await client.last_seq()
        for n in range(5):
            await client.send_text(88003, f"hello {n}")
        await client.wait_for_messages(88003, 1, since=since, timeout=20, methods={"sendMessage"})
        await asyncio.sleep(2)
        texts = await _texts(client, 88003, since)

    assert texts == [t("en", "bind.welcome")]
    assert [status for status, _ in _rows(limited, 88003)] == ["answered"] + ["ignored"] * 4


async def test_a_bot_killed_between_claim_and_reply_answers_after_restart(
    tmp_path: Path,
) -> None:
    """The first bot's Rasa accepts the connection and never answers (a port that listens and
    is never read), so the bot is caught holding a claimed message; it is killed there. The
    restarted bot (Rasa now unreachable, as in test_bot_process.py) takes the message over and
    the user hears exactly once that it is saved and will be answered."""
    stack = _stack(
        tmp_path,
        RASA_TIMEOUT="60",
        RETRY_FAILED_EVERY_SECONDS="1",
        UNANSWERED_RETRY_AFTER_SECONDS="1",  # the bot still waits RASA_TIMEOUT + 5 s
    )
    silent_rasa: socket.socket | None = None
    try:
        stack.wait_ready(stack.start_standin(), timeout=30)
        first = stack.start_bot()
        stack.wait_ready(first, timeout=60)  # before Rasa listens: /healthz would wait for it
        silent_rasa = socket.create_server(("127.0.0.1", stack.ports.rasa), backlog=16)
        async with StandinClient(stack.standin_url) as client:
            await client.add_user(10002, first_name="李姐")
            since = await client.last_seq()
            await client.send_text(10002, "我账户还有多少钱")
            for _ in range(100):  # claimed: the bot is about to ask Rasa, which keeps it
                await asyncio.sleep(0.2)
                if _rows(stack, 10002):
                    break
            await asyncio.sleep(1)
            assert _rows(stack, 10002) == [("received", 0)]
            assert await _texts(client, 10002, since) == []
            first.popen.kill()
            first.popen.wait(timeout=10)
            silent_rasa.close()

            stack.env["RASA_TIMEOUT"] = "3"
            stack.wait_ready(stack.start_bot(), timeout=60)
            await client.wait_for_messages(
                10002, 1, since=since, timeout=40, methods={"sendMessage"}
            )
            await asyncio.sleep(3)  # three more runs of the retry job: nothing more is sent
            texts = await _texts(client, 10002, since)
    finally:
        if silent_rasa is not None:
            silent_rasa.close()
        stack.stop()

    assert texts == [t("zh", "error.backend_down")]
    [(status, attempts)] = _rows(stack, 10002)
    assert status == "failed" and attempts >= 1  # and retried every second since, silently
