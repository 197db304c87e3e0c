"""Through the Bot API stand-in, the real bot, the real Rasa and action servers, and back."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from sqlalchemy import select

from retail.db import Database
from retail.models import InboundUpdate, Retailer, User
from scripts.stack import Stack
from standin import StandinClient
from tests.e2e.helpers import wholesale

pytestmark = pytest.mark.e2e


async def ask(standin: StandinClient, user_id: int, text: str, *, count: int = 1) -> list[str]:
    """Send ``text`` as ``user_id`` and return the texts of the bot's next ``count`` messages."""
    since = await standin.last_seq()
    await standin.send_text(user_id, text)
    sent = await standin.wait_for_messages(
        user_id, count, since=since, timeout=30, methods={"sendMessage"}
    )
    return [str(m.get("text") or "") for m in sent]


async def test_zh_price_question_is_answered_from_the_database(
    standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(10001, first_name="张伟", language_code="zh-hans")
    [reply] = await ask(standin, 10001, "芙蓉王硬多少钱一条")
    assert f"批发价:{wholesale(e2e_database, '芙蓉王(硬)')}/条" in reply


async def test_en_price_question_is_answered_in_english(
    standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(10002, first_name="Li", language_code="zh-hans")
    [reply] = await ask(standin, 10002, "how much is Liqun per carton?")
    assert f"Wholesale: {wholesale(e2e_database, '利群(新版)')} per carton" in reply


async def test_unbound_user_gets_binding_instructions_and_no_price(
    standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(99999, first_name="Stranger", language_code="zh-hans")
    [reply] = await ask(standin, 99999, "芙蓉王硬多少钱一条")
    assert "绑定" in reply
    assert wholesale(e2e_database, "芙蓉王(硬)") not in reply
    transcript = await standin.transcript(99999)
    assert transcript["reply_keyboard"] is not None


async def test_binding_by_own_contact_then_asking(
    standin: StandinClient, e2e_database: Database
) -> None:
    with e2e_database.session() as session:
        phone = session.scalar(
            select(User.phone).where(User.role == "retailer", User.telegram_user_id.is_(None))
        )
    await standin.add_user(30001, first_name="New", phone_number=phone, language_code="zh")
    since = await standin.last_seq()
    await standin.send_contact(30001, contact_user_id=40404, phone_number=phone)
    [refused] = await standin.wait_for_messages(30001, 1, since=since, timeout=30)
    assert "自己的手机号" in str(refused["text"])

    since = await standin.last_seq()
    await standin.send_contact(30001)
    [bound] = await standin.wait_for_messages(30001, 1, since=since, timeout=30)
    assert "绑定成功" in str(bound["text"])
    [price] = await ask(standin, 30001, "白沙多少钱")
    assert wholesale(e2e_database, "白沙(硬)") in price


async def test_binding_by_one_time_code(standin: StandinClient, e2e_database: Database) -> None:
    with e2e_database.session() as session:
        shop = session.scalar(select(Retailer).where(Retailer.code == "R005"))
        name = shop.owner or shop.name
    await standin.add_user(30002, first_name="Code", language_code="zh")
    [reply] = await ask(standin, 30002, "/start BIND5R05")
    assert "绑定成功" in reply and name in reply
    [again] = await ask(standin, 30003, "/start BIND5R05")
    assert "没有成功" in again


async def test_a_redelivered_update_is_answered_once(standin: StandinClient) -> None:
    await standin.add_user(10001, first_name="张伟")
    since = await standin.last_seq()
    sent = await standin.send_text(10001, "你好")
    await standin.wait_for_messages(10001, 1, since=since, timeout=30, methods={"sendMessage"})
    await standin.resend_update(sent.update_id)
    await asyncio.sleep(3)
    replies = await standin.sent_messages(10001, since=since)
    assert [m["method"] for m in replies if m["method"] == "sendMessage"] == ["sendMessage"]


async def test_when_the_action_server_is_down_the_user_is_told_and_answered_later(
    stack: Stack, standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(10002, first_name="Li")
    stack.stop_one("actions")
    try:
        [busy] = await ask(standin, 10002, "双喜多少钱一条")
        assert "稍后" in busy
        since = await standin.last_seq()
    finally:
        stack.wait_ready(stack.start_actions(), timeout=60)
    [late] = await standin.wait_for_messages(
        10002, 1, since=since, timeout=30, methods={"sendMessage"}
    )
    assert wholesale(e2e_database, "双喜(硬)") in str(late["text"])


def _process(stack: Stack, name: str) -> int:
    """The process group of the running process called ``name``."""
    [pid] = [p.popen.pid for p in stack.processes if p.name == name and p.popen.poll() is None]
    return pid


def _inbound(database: Database, user_id: int) -> list[tuple[str, int]]:
    with database.session() as session:
        rows = session.execute(
            select(InboundUpdate.status, InboundUpdate.attempts)
            .where(InboundUpdate.telegram_user_id == user_id)
            .order_by(InboundUpdate.update_id)
        ).all()
    return [(status, attempts) for status, attempts in rows]


async def test_a_bot_killed_between_claim_and_reply_answers_the_message_after_restart(
    stack: Stack, standin: StandinClient, e2e_database: Database
) -> None:
    """Rasa is frozen (SIGSTOP), so the bot claims the message and waits on Rasa; the bot is
    killed (SIGKILL) right there. Rasa thaws, a new bot starts, and the retry job answers the
    claimed message through the real Rasa and actions: one real answer, nothing twice.
    (The dead bot's request still reaches Rasa once it thaws: Rasa may run that turn twice,
    which is why every confirm is idempotent; the dead bot cannot send, so the user hears once.)"""
    await standin.add_user(10003, first_name="Liu", language_code="zh-hans")
    before = len(_inbound(e2e_database, 10003))
    since = await standin.last_seq()
    rasa = _process(stack, "rasa")
    os.killpg(rasa, signal.SIGSTOP)
    try:
        await standin.send_text(10003, "白沙硬多少钱一条")
        for _ in range(100):
            await asyncio.sleep(0.1)
            if len(_inbound(e2e_database, 10003)) > before:
                break
        await asyncio.sleep(0.5)
        assert _inbound(e2e_database, 10003)[before:] == [("received", 0)]
        os.killpg(_process(stack, "bot"), signal.SIGKILL)
    finally:
        os.killpg(rasa, signal.SIGCONT)
    stack.wait_ready(stack.start_bot(), timeout=60)
    # Retried once it is older than RASA_TIMEOUT + 5 s (25 s here): the first bot might still
    # have been waiting on Rasa, as far as anyone can tell from the row.
    [reply] = await standin.wait_for_messages(
        10003, 1, since=since, timeout=90, methods={"sendMessage"}
    )
    assert wholesale(e2e_database, "白沙(硬)") in str(reply["text"])
    await asyncio.sleep(5)  # two more runs of the retry job: nothing more is sent
    sent = await standin.sent_messages(10003, since=since)
    assert [m["method"] for m in sent if m["method"] == "sendMessage"] == ["sendMessage"]
    assert [status for status, _ in _inbound(e2e_database, 10003)[before:]] == ["answered"]
