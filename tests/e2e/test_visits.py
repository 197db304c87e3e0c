"""Managers' visit notes end to end: the stand-in, the real bot, Rasa, the actions, the database.

Note, save, history, amend, the plan, the retailer's one-tap confirmation, and isolation:
another manager and a retailer get nothing of M001's shops. The e2e database is shared by the
run, so assertions count what these tests add rather than absolute numbers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from retail.db import Database
from retail.i18n import t
from retail.models import VisitNote
from scripts import model
from scripts.stack import RASA, ROOT
from standin import StandinClient
from tests.e2e.test_orders import say, tap

pytestmark = pytest.mark.e2e

STORIES = [
    ROOT / "tests" / "stories" / name for name in ("test_visits_zh.yml", "test_visits_en.yml")
]
NOTE = (
    "今天下午去了张记烟酒 那个补了三张标价签 然后芙蓉王硬的库存还有十二条 "
    "白沙断货了 提醒他周二前存款"
)


def _notes(database: Database, **where: Any) -> list[VisitNote]:
    with database.session() as session:
        query = select(VisitNote).filter_by(**where).order_by(VisitNote.id)
        return list(session.scalars(query))


def _count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(VisitNote)) or 0)


async def test_note_save_confirm_history_and_amend(
    standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(20001, first_name="王建国", language_code="zh-hans")
    await standin.add_user(10001, first_name="张伟", language_code="zh-hans")
    before = _count(e2e_database)

    draft = await say(standin, 20001, NOTE)
    text = str(draft["text"])
    assert "张记烟酒(R001)" in text and "芙蓉王(硬) 12条" in text and "断货:白沙(硬)" in text
    assert _count(e2e_database) == before  # nothing written before the tap

    since = await standin.last_seq()
    saved = await tap(standin, 20001, draft, "保存")
    assert saved.startswith("已保存张记烟酒的拜访记录")
    [note] = _notes(e2e_database, raw_text=NOTE, status="saved")

    # The retailer is pushed a one-tap confirmation; their tap records it.
    [push] = await standin.wait_for_messages(
        10001, 1, since=since, timeout=60, methods={"sendMessage"}
    )
    assert "王经理" in str(push["text"])
    confirmed = await tap(standin, 10001, push, "确认拜访")
    assert confirmed.startswith("谢谢,已确认")
    [note] = _notes(e2e_database, id=note.id)
    assert note.confirmed_at is not None

    history = await say(standin, 20001, "我上次去张记是哪天")
    assert str(history["text"]).startswith("张记烟酒最近一次拜访是")
    assert "白沙(硬)" in str(history["text"])

    fix = await say(standin, 20001, "刚才那条记错了,库存是十五条")
    assert "芙蓉王(硬) 15条" in str(fix["text"])
    await tap(standin, 20001, fix, "保存")
    [old] = _notes(e2e_database, id=note.id)
    assert old.status == "superseded" and old.raw_text == NOTE
    [new] = _notes(e2e_database, amends_id=note.id)
    assert new.raw_text == "刚才那条记错了,库存是十五条"


async def test_a_cancelled_note_writes_nothing_and_the_plan_lists_shops(
    standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(20001, first_name="王建国", language_code="zh-hans")
    before = _count(e2e_database)
    draft = await say(standin, 20001, "李姐便利店 陈列调整了 利群还剩五条")
    cancelled = await tap(standin, 20001, draft, "取消")
    assert cancelled == "好的,这条拜访记录没有保存。"
    assert _count(e2e_database) == before

    plan = await say(standin, 20001, "下周该去哪些店")
    text = str(plan["text"])
    assert text.startswith("下周(")
    assert "周记商店" in text and "梅溪湖国际便利店" in text

    status = await say(standin, 20001, "张记烟酒这周订了多少")
    assert str(status["text"]).startswith("张记烟酒(R001,3星,老板 张伟)")
    assert "账户余额:¥" in str(status["text"])

    offer = await say(standin, 20001, "给余额不够的户发个存款提醒")
    if offer.get("reply_markup"):
        assert "家" in str(offer["text"])
        assert await tap(standin, 20001, offer, "取消") == "好的,已取消,没有做任何更改。"
    else:
        assert "不用发提醒" in str(offer["text"])


async def test_another_manager_and_a_retailer_get_nothing(
    standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(20002, first_name="李明", language_code="zh-hans")
    await standin.add_user(10001, first_name="张伟", language_code="zh-hans")
    before = _count(e2e_database)

    other = await say(standin, 20002, NOTE)
    # 张记烟酒 is not theirs, so the note names no shop of theirs: it asks which (the example
    # is one of their own shops), with only a cancel button, and nothing is drafted.
    assert "张记烟酒" not in str(other["text"]) and "是哪家店" in str(other["text"])
    rows = (other.get("reply_markup") or {}).get("inline_keyboard", [])
    assert [b["text"] for row in rows for b in row] == [t("zh", "support.cancel_button")]
    dropped = await say(standin, 20002, "取消")
    assert "张记烟酒" not in str(dropped["text"])
    status = await say(standin, 20002, "张记烟酒这周订了多少")
    assert "¥" not in str(status["text"]) and "张伟" not in str(status["text"])

    retailer = await say(standin, 10001, "下周该去哪些店")
    assert "李姐便利店" not in str(retailer["text"])
    assert _count(e2e_database) == before


def test_visit_test_stories_pass_without_prediction_errors(tmp_path: Path) -> None:
    if not model.is_current():
        pytest.skip("the model is older than its training data; run `make train`")
    for stories in STORIES:
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
                str(tmp_path / stories.stem),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
