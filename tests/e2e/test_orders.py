"""Orders end to end: the stand-in, the real bot, Rasa, the action server and the database.

The e2e database is shared by every test of the run, so each test here puts the orders it
touches back exactly as they were (lines, windows), whatever happens.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from retail.db import Database
from retail.models import OrderAudit
from scripts import model
from scripts.stack import RASA, ROOT
from standin import StandinClient
from tests.e2e.helpers import current_order_of, quantities

pytestmark = pytest.mark.e2e

STORIES = ROOT / "tests" / "stories" / "test_orders.yml"


async def say(standin: StandinClient, user: int, text: str) -> dict[str, Any]:
    """Send ``text`` as ``user``; the bot's reply (one message) as the stand-in recorded it."""
    since = await standin.last_seq()
    await standin.send_text(user, text)
    [reply] = await standin.wait_for_messages(
        user, 1, since=since, timeout=30, methods={"sendMessage"}
    )
    return reply


async def tap(standin: StandinClient, user: int, message: dict[str, Any], title: str) -> str:
    """Tap the inline button whose title contains ``title``; the text of the bot's answer."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    [data] = [b["callback_data"] for row in rows for b in row if title in b["text"]]
    since = await standin.last_seq()
    await standin.tap(user, message["message_id"], data)
    [reply] = await standin.wait_for_messages(
        user, 1, since=since, timeout=30, methods={"sendMessage"}
    )
    return str(reply.get("text") or "")


async def test_a_multi_line_change_is_confirmed_with_a_tap_and_lands_in_the_database(
    standin: StandinClient, e2e_database: Database, restore_orders: None
) -> None:
    await standin.add_user(10001, first_name="张伟", language_code="zh-hans")
    before = quantities(e2e_database, 10001)

    proposal = await say(standin, 10001, "白沙改成3条,芙蓉王再加2条")
    text = str(proposal["text"])
    assert f"• 白沙(硬):{before['白沙(硬)']} → 3 条" in text
    assert f"• 芙蓉王(硬):{before['芙蓉王(硬)']} → {before['芙蓉王(硬)'] + 2} 条" in text
    assert "订单合计:" in text
    assert quantities(e2e_database, 10001) == before  # nothing written before the tap

    applied = await tap(standin, 10001, proposal, "确认")
    assert applied.startswith("✅ 订单已修改")
    after = quantities(e2e_database, 10001)
    assert after == {**before, "白沙(硬)": 3, "芙蓉王(硬)": before["芙蓉王(硬)"] + 2}
    with e2e_database.session() as session:
        order_id = current_order_of(session, 10001).id
        audit = session.scalars(
            select(OrderAudit).where(OrderAudit.order_id == order_id).order_by(OrderAudit.id)
        ).all()
    assert [(row.old_quantity, row.new_quantity) for row in audit[-2:]] == [
        (before["白沙(硬)"], 3),
        (before["芙蓉王(硬)"], before["芙蓉王(硬)"] + 2),
    ]
    assert all(row.source_message.startswith("tg:") for row in audit[-2:])

    shown = await say(standin, 10001, "看看我这周的订单")
    assert "• 白沙(硬):3 条" in str(shown["text"])


async def test_a_quota_rejection_is_explained_and_cancel_changes_nothing(
    standin: StandinClient, e2e_database: Database, restore_orders: None
) -> None:
    await standin.add_user(10001, first_name="张伟", language_code="zh-hans")
    before = quantities(e2e_database, 10001)

    proposal = await say(standin, 10001, "硬中华加5条,双喜加1条")
    text = str(proposal["text"])
    assert "• 中华(硬):控量品规,您是 3 星级,每单最多 5 条" in text
    assert f"• 双喜(硬):{before['双喜(硬)']} → {before['双喜(硬)'] + 1} 条" in text

    cancelled = await tap(standin, 10001, proposal, "取消")
    assert cancelled == "好的,已取消这次修改,订单没有变动。"
    assert quantities(e2e_database, 10001) == before


async def test_an_english_change_is_confirmed_by_typing_yes(
    standin: StandinClient, e2e_database: Database, restore_orders: None
) -> None:
    await standin.add_user(10002, first_name="Li", language_code="en")
    before = quantities(e2e_database, 10002)

    proposal = await say(standin, 10002, "add 2 cartons of Liqun")
    assert f"Liqun (New Edition) (利群(新版)): {before['利群(新版)']} →" in str(proposal["text"])

    applied = await say(standin, 10002, "yes")
    assert str(applied["text"]).startswith("✅ Your order is updated:")
    assert quantities(e2e_database, 10002)["利群(新版)"] == before["利群(新版)"] + 2


async def test_a_closed_window_refuses_the_change_and_says_when_it_opens(
    standin: StandinClient, e2e_database: Database, restore_orders: None
) -> None:
    await standin.add_user(10002, first_name="Li", language_code="zh-hans")
    with e2e_database.session() as session:
        order = current_order_of(session, 10002)
        order.closes_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    before = quantities(e2e_database, 10002)

    reply = await say(standin, 10002, "白沙加2条")
    text = str(reply["text"])
    assert text.startswith("本周订货已截止,现在不能修改订单。下次订货窗口")
    assert not reply.get("reply_markup")
    assert quantities(e2e_database, 10002) == before


def test_order_test_stories_pass_without_prediction_errors(tmp_path: Path) -> None:
    if not model.is_current():
        pytest.skip("the model is older than its training data; run `make train`")
    result = subprocess.run(
        [
            str(RASA),
            "test",
            "core",
            "--stories",
            str(STORIES),
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
