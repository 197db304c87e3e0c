"""The real bot process against the Bot API stand-in, in polling and webhook mode, with Rasa
unreachable: binding replies need no Rasa, and a bound user is told to try again shortly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from retail.db import Database
from retail.models import InboundUpdate
from scripts.stack import Stack, free_port
from standin import StandinClient
from tests.bot.stacks import bot_stack


@pytest.fixture(scope="module", params=["polling", "webhook"])
def bot_only(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Stand-in and bot (no Rasa: RASA_URL points at a closed port), on a seeded database."""
    work = tmp_path_factory.mktemp(f"bot-{request.param}")
    env: dict[str, str] = {}
    if request.param == "webhook":
        hook = free_port()
        env |= {
            "BOT_MODE": "webhook",
            "WEBHOOK_URL": f"http://127.0.0.1:{hook}/telegram",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(hook),
            "WEBHOOK_SECRET": "s3cret-token",
        }
    stack = bot_stack(work, **env)
    try:
        stack.wait_ready(stack.start_standin(), timeout=30)
        stack.wait_ready(stack.start_bot(), timeout=60)
        yield stack
    finally:
        stack.stop()


async def _reply(client: StandinClient, user_id: int, text: str) -> str:
    since = await client.last_seq()
    await client.send_text(user_id, text)
    [message] = await client.wait_for_messages(
        user_id, 1, since=since, timeout=20, methods={"sendMessage"}
    )
    return str(message["text"])


async def test_an_unbound_user_is_told_how_to_bind_in_their_language(bot_only: Stack) -> None:
    async with StandinClient(bot_only.standin_url) as client:
        await client.add_user(88001, first_name="Tom", language_code="en")
        english = await _reply(client, 88001, "hello")
        await client.add_user(88002, first_name="小王", language_code="zh-hans")
        chinese = await _reply(client, 88002, "你好")
    assert "link your account" in english
    assert "绑定身份" in chinese


async def test_a_bound_user_hears_try_again_when_rasa_is_down(bot_only: Stack) -> None:
    async with StandinClient(bot_only.standin_url) as client:
        await client.add_user(10001, first_name="张伟")
        reply = await _reply(client, 10001, "芙蓉王硬多少钱一条")
    assert "稍后再试" in reply
    database = Database(bot_only.env["DATABASE_URL"])
    with database.session() as session:
        statuses = session.scalars(
            select(InboundUpdate.status).where(InboundUpdate.telegram_user_id == 10001)
        ).all()
    database.dispose()
    assert "failed" in statuses


async def test_start_for_a_bound_user_says_already_linked(bot_only: Stack) -> None:
    async with StandinClient(bot_only.standin_url) as client:
        await client.add_user(10002, first_name="李姐")
        reply = await _reply(client, 10002, "/start")
    assert "已经绑定" in reply
