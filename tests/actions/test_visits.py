"""Visit notes, visit queries, the plan, a shop's status and deposit reminders, as the actions
run them against the seeded demo database (manager 20001 = M001, 20002 = M002, retailer 10001)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from actions.visits import (
    ActionRemindShortfalls,
    ActionRemindShortfallsSend,
    ActionRetailerStatus,
    ActionVisitAmend,
    ActionVisitCancel,
    ActionVisitConfirm,
    ActionVisitEdit,
    ActionVisitHistory,
    ActionVisitNote,
    ActionVisitPick,
    ActionVisitPlan,
    ActionVisitSave,
)
from retail.db import Database
from retail.models import OutboxMessage, Retailer, VisitNote
from tests.actions.history import Said, conversation, run, tap

NOTE = (
    "今天下午去了张记烟酒 那个补了三张标价签 然后芙蓉王硬的库存还有十二条 "
    "白沙断货了 提醒他周二前存款"
)
NOTE_EN = "visited Zhang's this afternoon, replaced 3 price tags, Furongwang hard stock 12 cartons"


def _notes(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(VisitNote)) or 0)


def _ref(button: dict[str, str]) -> str:
    return str(json.loads("{" + button["payload"].split("{", 1)[1])["ref"])


async def _draft(run_action, sender: str = "20001", text: str = NOTE) -> dict:
    messages, _ = await run_action(ActionVisitNote(), sender, text, "visit_note")
    [message] = messages
    return message


async def test_a_note_is_summarised_with_save_edit_cancel_and_not_saved(run_action, db) -> None:
    before = _notes(db)
    message = await _draft(run_action)
    text = message["text"]
    assert "张记烟酒(R001)" in text
    assert "芙蓉王(硬) 12条" in text
    assert "断货:白沙(硬)" in text
    assert "标价签:维护 3 张" in text
    assert "存款提醒" in text
    assert [b["title"] for b in message["buttons"]] == ["✅ 保存", "✏️ 修改", "取消"]
    assert _notes(db) == before


async def test_an_english_note_gets_an_english_summary(run_action) -> None:
    message = await _draft(run_action, text=NOTE_EN)
    assert "Retailer: Zhang's Tobacco & Liquor (R001)" in message["text"]
    assert "Furongwang (Hard) (芙蓉王(硬)) 12 ctn" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["✅ Save", "✏️ Edit", "Cancel"]


async def test_save_writes_the_note_and_pushes_a_confirm_button_to_the_retailer(
    run_action, db
) -> None:
    before = _notes(db)
    draft = await _draft(run_action)
    ref = _ref(draft["buttons"][0])
    tracker = conversation("20001", Said(NOTE, "visit_note"), tap("visit_save", ref))
    messages, _ = await run(ActionVisitSave(), tracker)
    assert "已保存张记烟酒的拜访记录" in messages[0]["text"]
    assert "一键确认" in messages[0]["text"]
    assert _notes(db) == before + 1
    with db.session() as session:
        push = session.scalar(select(OutboxMessage).filter_by(kind="visit_confirm"))
        assert push is not None and push.chat_id == 10001
        payload = push.buttons[0]["payload"]
    note_id = _ref({"payload": payload})
    confirm, _ = await run(
        ActionVisitConfirm(), conversation("10001", tap("visit_confirm", note_id))
    )
    assert "已确认" in confirm[0]["text"]
    with db.session() as session:
        note = session.get(VisitNote, int(note_id))
        assert note is not None and note.confirmed_at is not None


async def test_another_retailer_cannot_confirm_and_learns_nothing(run_action, db) -> None:
    draft = await _draft(run_action)
    tracker = conversation("20001", tap("visit_save", _ref(draft["buttons"][0])))
    await run(ActionVisitSave(), tracker)
    with db.session() as session:
        note_id = session.scalar(select(func.max(VisitNote.id)))
    messages, _ = await run(
        ActionVisitConfirm(), conversation("10002", tap("visit_confirm", str(note_id)))
    )
    assert "张记" not in messages[0]["text"]
    assert "不能再改" in messages[0]["text"]


async def test_cancel_and_edit_write_nothing(run_action, db) -> None:
    before = _notes(db)
    draft = await _draft(run_action)
    ref = _ref(draft["buttons"][2])
    edit, _ = await run(ActionVisitEdit(), conversation("20001", tap("visit_edit", ref)))
    assert "更正" in edit[0]["text"]
    cancel, _ = await run(ActionVisitCancel(), conversation("20001", tap("visit_cancel", ref)))
    assert cancel[0]["text"] == "好的,这条拜访记录没有保存。"
    save, _ = await run(ActionVisitSave(), conversation("20001", tap("visit_save", ref)))
    assert "不能再改" in save[0]["text"]
    assert _notes(db) == before


async def test_the_last_note_is_amended_by_message(run_action, db) -> None:
    draft = await _draft(run_action)
    await run(
        ActionVisitSave(), conversation("20001", tap("visit_save", _ref(draft["buttons"][0])))
    )
    messages, _ = await run_action(
        ActionVisitAmend(), "20001", "刚才那条记错了,库存是十二条", "visit_note_amend"
    )
    assert "芙蓉王(硬) 12条" in messages[0]["text"]
    messages, _ = await run_action(
        ActionVisitAmend(), "20001", "刚才那条记错了,芙蓉王是十五条", "visit_note_amend"
    )
    [message] = messages
    assert "更正后的拜访记录" in message["text"]
    assert "芙蓉王(硬) 15条" in message["text"]
    assert NOTE[:10] in message["text"]
    before = _notes(db)
    tracker = conversation("20001", tap("visit_save", _ref(message["buttons"][0])))
    await run(ActionVisitSave(), tracker)
    with db.session() as session:
        statuses = [n.status for n in session.scalars(select(VisitNote).order_by(VisitNote.id))]
    assert _notes(db) == before + 1
    assert statuses[-2:] == ["superseded", "saved"]


async def test_an_unreadable_correction_is_answered_politely(run_action) -> None:
    await _draft(run_action)
    messages, _ = await run_action(
        ActionVisitAmend(), "20001", "刚才那条记错了", "visit_note_amend"
    )
    assert "没看懂要改什么" in messages[0]["text"]


async def test_an_ambiguous_shop_offers_one_button_per_shop(run_action, db) -> None:
    with db.session() as session:
        r001 = session.scalar(select(Retailer).filter_by(code="R001"))
        assert r001 is not None
        session.add(
            Retailer(
                code="R099",
                name="张记便利店",
                owner="张强",
                licence_no="430104100099",
                phone="13900000099",
                star_level=2,
                manager_id=r001.manager_id,
                order_weekday=1,
                window_open=r001.window_open,
                window_close=r001.window_close,
                deduction_time=r001.deduction_time,
            )
        )
    said = Said("去了张记 白沙十条", "visit_note", message_id="feedbeef00112233")
    messages, _ = await run(ActionVisitNote(), conversation("20001", said))
    [message] = messages
    assert "哪一家" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert '/visit_pick{"ref":"feedbeef0011:R099"}' in payloads
    picked, _ = await run(
        ActionVisitPick(), conversation("20001", said, tap("visit_pick", "feedbeef0011:R099"))
    )
    assert "张记便利店(R099)" in picked[0]["text"]


async def test_a_retailer_and_another_manager_get_no_visit_data(run_action) -> None:
    for action, text, intent in [
        (ActionVisitNote(), NOTE, "visit_note"),
        (ActionVisitHistory(), "我上次去张记是哪天", "visit_history"),
        (ActionVisitPlan(), "下周该去哪些店", "visit_plan"),
        (ActionRetailerStatus(), "张记烟酒这周订了多少", "retailer_status"),
        (ActionRemindShortfalls(), "给余额不够的户发个存款提醒", "remind_shortfalls"),
    ]:
        retailer, _ = await run_action(action, "10001", text, intent)
        assert retailer[0]["text"].startswith("抱歉,这是客户经理专用的功能")
    other, _ = await run_action(
        ActionVisitHistory(), "20002", "我上次去张记是哪天", "visit_history"
    )
    assert other[0]["text"].startswith("没在您负责的零售户里找到这家店")
    status, _ = await run_action(ActionRetailerStatus(), "20002", "张记烟酒", "retailer_status")
    assert "¥" not in status[0]["text"]


async def test_history_plan_and_status_for_the_manager(run_action) -> None:
    history, _ = await run_action(
        ActionVisitHistory(), "20001", "我上次去张记是哪天", "visit_history"
    )
    assert history[0]["text"].startswith("张记烟酒最近一次拜访是 11月15日")
    stale, _ = await run_action(
        ActionVisitHistory(), "20001", "哪些店超过两周没去了", "visit_history"
    )
    assert "周记商店(R005):还没有拜访记录" in stale[0]["text"]
    plan, _ = await run_action(ActionVisitPlan(), "20001", "下周该去哪些店", "visit_plan")
    lines = plan[0]["text"].splitlines()
    assert lines[0].startswith("下周(11月30日 至 12月6日)拜访计划")
    assert "李姐便利店" in lines[-1] and "重点客户" in lines[-1]
    status, _ = await run_action(
        ActionRetailerStatus(), "20001", "张记烟酒这周订了多少", "retailer_status"
    )
    text = status[0]["text"]
    assert text.startswith("张记烟酒(R001,3星,老板 张伟)")
    assert "芙蓉王(硬) 5条" in text and "账户余额:¥2,700.00" in text
    assert "最近拜访" in text


async def test_deposit_reminders_are_offered_then_enqueued(run_action, db) -> None:
    offer, _ = await run_action(
        ActionRemindShortfalls(), "20001", "给余额不够的户发个存款提醒", "remind_shortfalls"
    )
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(OutboxMessage))
    [message] = offer
    if message.get("buttons"):
        assert message["buttons"][0]["payload"] == "/remind_shortfalls_send"
        sent, _ = await run(
            ActionRemindShortfallsSend(), conversation("20001", tap("remind_shortfalls_send"))
        )
        assert sent[0]["text"]
        with db.session() as session:
            after = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert after is not None and before is not None and after >= before
    else:
        assert "不用发提醒" in message["text"]


async def test_the_nlu_time_and_shop_entities_are_taken_as_read(run_action) -> None:
    yesterday = {
        "entity": "time",
        "start": 0,
        "end": 4,
        "value": "2026-11-23T09:00:00+08:00",
        "grain": "part_of_day",
        "from": "2026-11-23T06:00:00+08:00",
        "to": "2026-11-23T12:00:00+08:00",
        "relation": None,
    }
    shop = {"entity": "retailer", "start": 5, "end": 9, "value": "陈氏百货"}
    messages, _ = await run_action(
        ActionVisitNote(),
        "20001",
        "昨天上午 老陈那里 白沙十条",
        "visit_note",
        entities=[yesterday, shop],
    )
    text = messages[0]["text"]
    assert "陈氏百货(R004)" in text
    assert "11月23日(周一) 09:00" in text
    assert "白沙(硬) 10条" in text


async def test_saving_a_draft_twice_makes_one_note_and_says_so(run_action, db) -> None:
    before = _notes(db)
    draft = await _draft(run_action)
    ref = _ref(draft["buttons"][0])
    await run(
        ActionVisitSave(), conversation("20001", Said(NOTE, "visit_note"), tap("visit_save", ref))
    )
    again, _ = await run(
        ActionVisitSave(), conversation("20001", Said(NOTE, "visit_note"), tap("visit_save", ref))
    )
    assert again[0]["text"] == "张记烟酒的这条拜访记录已经保存过了,不会重复保存。"
    assert _notes(db) == before + 1
    with db.session() as session:
        pushes = session.scalars(select(OutboxMessage).filter_by(kind="visit_confirm")).all()
        assert len(pushes) == 1


def _outbox(db: Database) -> list[tuple[str, int]]:
    with db.session() as session:
        return [
            (row.dedupe_key, row.chat_id)
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


async def test_the_deposit_reminder_broadcast_confirmed_twice_queues_one_set(
    run_action, db, clock
) -> None:
    asked = Said("给余额不够的户发个存款提醒", "remind_shortfalls", message_id="b40adca57000aaaa")
    offer, _ = await run(ActionRemindShortfalls(), conversation("20001", asked))
    payload = offer[0]["buttons"][0]["payload"]
    assert payload == '/remind_shortfalls_send{"ref":"b40adca57000"}'
    before = _outbox(db)
    sent, _ = await run(
        ActionRemindShortfallsSend(),
        conversation("20001", asked, tap("remind_shortfalls_send", "b40adca57000")),
    )
    assert "张记烟酒" in sent[0]["text"]
    queued = _outbox(db)
    assert len(queued) > len(before)
    # The same tap again, replayed after midnight (when one reminder a day would allow more).
    clock.advance(timedelta(hours=14))
    again, _ = await run(
        ActionRemindShortfallsSend(),
        conversation("20001", asked, tap("remind_shortfalls_send", "b40adca57000")),
    )
    assert again[0]["text"] == "这批存款提醒已经发出过了,不会重复发送。"
    assert _outbox(db) == queued
