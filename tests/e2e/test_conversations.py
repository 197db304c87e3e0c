"""Retailer conversations end to end: stand-in, real bot, Rasa, action server, database, and
the outbox sender for what goes to the manager and back.

The e2e database is shared by the whole run: these tests compute what they expect from it at
the time they run, and put back what they change (reminder preferences).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from retail import access
from retail.clock import SystemClock
from retail.db import Database
from retail.i18n import format_money
from retail.models import DepositClaim, ManagerRequest, Product, ReminderPreference
from retail.settlement import settlement_status
from scripts import model
from scripts.stack import RASA, ROOT, Stack
from standin import StandinClient

pytestmark = pytest.mark.e2e

RETAILER, MANAGER = 10001, 20001
STORIES = [
    ROOT / "tests" / "stories" / "test_retailer_conversations_zh.yml",
    ROOT / "tests" / "stories" / "test_retailer_conversations_en.yml",
]


async def say(standin: StandinClient, user: int, text: str) -> dict[str, Any]:
    """Send ``text`` as ``user``; the bot's reply (one message) as the stand-in recorded it."""
    since = await standin.last_seq()
    await standin.send_text(user, text)
    [reply] = await standin.wait_for_messages(
        user, 1, since=since, timeout=30, methods={"sendMessage"}
    )
    return reply


def button(message: dict[str, Any], title: str) -> str:
    """The callback data of the one button under ``message`` whose title contains ``title``."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    [data] = [b["callback_data"] for row in rows for b in row if title in b["text"]]
    return str(data)


async def tap(
    standin: StandinClient, user: int, message: dict[str, Any], title: str
) -> dict[str, Any]:
    """Tap the button titled ``title`` under ``message``; the bot's answer to the tap."""
    data = button(message, title)
    since = await standin.last_seq()
    await standin.tap(user, message["message_id"], data)
    [reply] = await standin.wait_for_messages(
        user, 1, since=since, timeout=30, methods={"sendMessage"}
    )
    return reply


async def pushed(standin: StandinClient, user: int, since: int, containing: str) -> dict[str, Any]:
    """The first message pushed to ``user`` after ``since`` that contains ``containing``."""
    for count in range(1, 6):
        sent = await standin.wait_for_messages(
            user, count, since=since, timeout=30, methods={"sendMessage"}
        )
        found = [m for m in sent if containing in str(m.get("text") or "")]
        if found:
            return found[0]
    raise AssertionError(f"nothing containing {containing!r} reached {user}")


@pytest.fixture
def restore_preferences(e2e_database: Database) -> Iterator[None]:
    """Remove the reminder preferences a test saved (the demo starts without any)."""
    with e2e_database.session() as session:
        before = {row.retailer_id for row in session.scalars(select(ReminderPreference))}
    yield
    with e2e_database.session() as session:
        session.execute(
            delete(ReminderPreference).where(ReminderPreference.retailer_id.not_in(before))
        )


async def _add_people(standin: StandinClient) -> None:
    await standin.add_user(RETAILER, first_name="张伟", language_code="zh-hans")
    await standin.add_user(MANAGER, first_name="王建国", language_code="zh-hans")


async def test_a_discontinued_product_names_its_replacement_and_its_price(
    standin: StandinClient, e2e_database: Database
) -> None:
    await _add_people(standin)
    with e2e_database.session() as session:
        replacement = session.scalar(select(Product).where(Product.spec == "时尚宏声"))
        assert replacement is not None
        wholesale = format_money(replacement.wholesale_per_carton)
    reply = str((await say(standin, RETAILER, "盖红河还能订吗"))["text"])
    assert "红河(盖)已停产" in reply
    assert f"替代品规 时尚宏声:批发 {wholesale}/条" in reply


async def test_settlement_status_shows_the_bank_balance_due_deduction_and_shortfall(
    standin: StandinClient, e2e_database: Database
) -> None:
    await _add_people(standin)
    reply = str((await say(standin, RETAILER, "我账户还有多少钱"))["text"])
    with e2e_database.session() as session:
        status = settlement_status(
            session, access.principal_for(session, RETAILER), clock=SystemClock()
        )
    assert status.balance is not None
    assert f"余额:{format_money(status.balance)}(银行回报于" in reply
    assert f"本周订单应付:{format_money(status.amount_due)}" in reply
    assert "扣款时间:" in reply
    if status.is_short:
        assert f"还差 {format_money(status.shortfall)}" in reply
    else:
        assert "余额足够" in reply


async def test_a_policy_answer_is_personalised_for_the_retailer(standin: StandinClient) -> None:
    await _add_people(standin)
    reply = str((await say(standin, RETAILER, "订货时间是啥时候"))["text"])
    assert "订货日、订货时间与网上订货" in reply
    assert "您的订货日是周二" in reply and "订货时间为09:00-16:00" in reply


async def test_an_english_policy_answer_is_in_english(standin: StandinClient) -> None:
    await _add_people(standin)
    reply = str((await say(standin, 10002, "how do i spot fakes"))["text"])
    assert "fake" in reply.lower() and "批发" not in reply


async def test_a_question_goes_to_the_manager_and_the_written_reply_comes_back(
    standin: StandinClient, e2e_database: Database
) -> None:
    await _add_people(standin)
    question = "电子烟归你们管吗"
    offer = await say(standin, RETAILER, question)
    assert "没有把握" in str(offer["text"])

    manager_since = await standin.last_seq()
    sent = await tap(standin, RETAILER, offer, "把问题转给王经理")
    assert "已把您的问题转给王经理" in str(sent["text"])

    notice = await pushed(standin, MANAGER, manager_since, question)
    assert "张记烟酒" in str(notice["text"]) and "R001" in str(notice["text"])
    prompt = await tap(standin, MANAGER, notice, "写回复")
    assert "请输入给张记烟酒(R001)的回复" in str(prompt["text"])

    answer = "电子烟不归我们公司经营,具体可以问专卖管理员。"
    retailer_since = await standin.last_seq()
    done = await say(standin, MANAGER, answer)
    assert "已回复张记烟酒" in str(done["text"])

    delivered = await pushed(standin, RETAILER, retailer_since, answer)
    assert "王经理回复了您的问题「电子烟归你们管吗」" in str(delivered["text"])
    with e2e_database.session() as session:
        request = session.scalar(
            select(ManagerRequest)
            .where(ManagerRequest.text == question)
            .order_by(ManagerRequest.id.desc())
        )
        assert request is not None
        assert (request.kind, request.status, request.answer) == ("question", "answered", answer)


async def test_a_complaint_is_answered_with_one_tap_and_its_status_shown(
    standin: StandinClient, e2e_database: Database
) -> None:
    await _add_people(standin)
    complaint = "今天送来的货少了一条芙蓉王"
    offer = await say(standin, RETAILER, complaint)
    assert "确认提交吗" in str(offer["text"])
    manager_since = await standin.last_seq()
    logged = await tap(standin, RETAILER, offer, "提交投诉")
    assert "已登记您的投诉" in str(logged["text"])

    notice = await pushed(standin, MANAGER, manager_since, complaint)
    retailer_since = await standin.last_seq()
    confirmed = await tap(standin, MANAGER, notice, "已处理完毕")
    assert "已回复张记烟酒" in str(confirmed["text"]) and "已解决" in str(confirmed["text"])
    delivered = await pushed(standin, RETAILER, retailer_since, "已经处理完毕")
    assert "当前状态:已解决" in str(delivered["text"])

    status = str((await say(standin, RETAILER, "我的投诉处理得怎么样了"))["text"])
    assert complaint[:10] in status and "已解决" in status


async def test_a_deposit_claim_is_recorded_once_on_a_typed_yes_and_reaches_the_manager(
    standin: StandinClient, e2e_database: Database
) -> None:
    """Nothing is recorded by the offer itself; a typed 好的 confirms the offer shown (one rule
    for typed yes, actions/offers.py), and the button tapped afterwards records nothing more."""
    await _add_people(standin)
    with e2e_database.session() as session:
        claims_before = len(session.scalars(select(DepositClaim)).all())
    offer = await say(standin, RETAILER, "刚存了1500")
    assert "¥1,500.00" in str(offer["text"])
    with e2e_database.session() as session:
        assert len(session.scalars(select(DepositClaim)).all()) == claims_before
    manager_since = await standin.last_seq()
    typed_yes = await say(standin, RETAILER, "好的")
    assert "已记录:您报告存入 ¥1,500.00" in str(typed_yes["text"])
    await pushed(standin, MANAGER, manager_since, "报告已存入 ¥1,500.00")
    again = await tap(standin, RETAILER, offer, "确认已存入")
    assert "已经记录过了,不会重复记录" in str(again["text"])
    with e2e_database.session() as session:
        claims = session.scalars(select(DepositClaim).order_by(DepositClaim.id)).all()
        assert len(claims) == claims_before + 1 and claims[-1].amount == 1500


async def test_a_reminder_preference_is_saved_on_the_tap_and_repeated_back(
    standin: StandinClient, e2e_database: Database, restore_preferences: None
) -> None:
    await _add_people(standin)
    offer = await say(standin, RETAILER, "每周三上午提醒我就行")
    assert "只在 周三 提醒" in str(offer["text"])
    saved = str((await tap(standin, RETAILER, offer, "保存"))["text"])
    assert "已保存" in saved and "提醒日:周三" in saved and "提醒时间:09:00 左右" in saved
    with e2e_database.session() as session:
        retailer_id = access.principal_for(session, RETAILER).retailer_id
        row = session.get(ReminderPreference, retailer_id)
        assert row is not None and row.preferred_weekdays == [2]


@pytest.mark.parametrize("stories", STORIES, ids=["zh", "en"])
def test_the_conversation_test_stories_pass(stack: Stack, stories: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(RASA),
            "test",
            "core",
            "--stories",
            str(stories),
            "--model",
            str(model.MODEL),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
