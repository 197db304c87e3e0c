"""The complaint form and the visit note's shop question, turn by turn.

:class:`Chat` plays Rasa's part as data/rules/forms.yml and domain.yml set it up: the opening
action runs, its gate slot starts the form, each answer is extracted raw into the requested
slot (``from_text``) and validated, the form's ``action_ask_<slot>`` asks what is still
missing, and the submit action runs when the form ends. The actions and validators are the
real ones, against the seeded demo database (Tuesday 24 Nov 2026, 10:30 in Shanghai).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.forms import REQUESTED_SLOT
from actions.support import (
    COMPLAINT_OPEN,
    ActionAskComplaintProduct,
    ActionAskComplaintWhat,
    ActionAskComplaintWhen,
    ActionComplaint,
    ActionComplaintOffer,
    ActionRequestSend,
    ValidateComplaintForm,
)
from actions.visits import (
    VISIT_SHOP_OPEN,
    ActionAskVisitShop,
    ActionVisitNote,
    ActionVisitNoteShop,
    ValidateVisitShopForm,
)
from retail.db import Database
from retail.errors import WrongRole
from retail.i18n import t
from retail.models import ManagerRequest, OutboxMessage
from retail.models.visits import VisitDraft
from tests.actions.history import bot_metadata

DOMAIN: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8")
)
Messages = list[dict[str, Any]]


@dataclass(frozen=True)
class Form:
    """One form as the rules run it."""

    name: str
    opening: Action
    gate: str
    validator: Action
    asks: dict[str, Action]
    submit: Action


COMPLAINT = Form(
    "complaint_form",
    ActionComplaint(),
    COMPLAINT_OPEN,
    ValidateComplaintForm(),
    {
        "complaint_what": ActionAskComplaintWhat(),
        "complaint_when": ActionAskComplaintWhen(),
        "complaint_product": ActionAskComplaintProduct(),
    },
    ActionComplaintOffer(),
)
VISIT = Form(
    "visit_shop_form",
    ActionVisitNote(),
    VISIT_SHOP_OPEN,
    ValidateVisitShopForm(),
    {"visit_shop": ActionAskVisitShop()},
    ActionVisitNoteShop(),
)


@dataclass
class Chat:
    """One user's conversation: the events, slots and active form Rasa would keep."""

    sender: str
    form: Form
    language: str | None = None
    """The reply language the bot signs with each message (None: the actions decide)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    active: bool = False

    def _user(self, text: str, intent: str, entities: list[dict[str, Any]]) -> None:
        parse = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "entities": entities,
            "metadata": bot_metadata(self.sender, text, language=self.language),
        }
        self.events.append(
            {"event": "user", "text": text, "parse_data": parse, "message_id": uuid.uuid4().hex}
        )

    def tracker(self, extra: list[dict[str, Any]] | None = None) -> Tracker:
        latest = next(e["parse_data"] for e in reversed(self.events) if e["event"] == "user")
        slots = dict(self.slots)
        for event in extra or []:
            if event["event"] == "slot":
                slots[event["name"]] = event["value"]
        return Tracker(
            sender_id=self.sender,
            slots=slots,
            latest_message=latest,
            events=[*self.events, *(extra or [])],
            paused=False,
            followup_action=None,
            active_loop={"name": self.form.name} if self.active else {},
            latest_action_name="action_listen",
        )

    def _set(self, name: str, value: Any) -> None:
        self.slots[name] = value
        self.events.append({"event": "slot", "name": name, "value": value})

    def _apply(self, dispatcher: CollectingDispatcher, events: list[dict[str, Any]]) -> Messages:
        for event in events:
            if event.get("event") == "slot":
                self._set(event["name"], event["value"])
        for message in dispatcher.messages:
            self.events.append({"event": "bot", "text": message["text"], "data": message})
        return list(dispatcher.messages)

    async def _run(self, action: Action, extra: list[dict[str, Any]] | None = None) -> Messages:
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, self.tracker(extra), DOMAIN)
        return self._apply(dispatcher, events)

    async def _form(self, candidates: dict[str, Any]) -> Messages:
        """One run of the form: validate the candidates, then ask the next slot or end."""
        extra = [{"event": "action", "name": self.form.name}] + [
            {"event": "slot", "name": k, "value": v} for k, v in candidates.items()
        ]
        for name, value in candidates.items():
            self.slots[name] = value
        dispatcher = CollectingDispatcher()
        events = await self.form.validator.run(dispatcher, self.tracker(extra), DOMAIN)
        said = self._apply(dispatcher, events)
        requested = [e for e in events if e.get("name") == REQUESTED_SLOT]
        required = DOMAIN["forms"][self.form.name]["required_slots"]
        missing = [slot for slot in required if self.slots.get(slot) is None]
        next_slot = requested[-1]["value"] if requested else (missing[0] if missing else None)
        if next_slot is None:
            self.active = False
            self._set(REQUESTED_SLOT, None)
            return said + await self._run(self.form.submit)
        self._set(REQUESTED_SLOT, next_slot)
        return said + await self._run(self.form.asks[next_slot])

    async def say(self, text: str, intent: str) -> Messages:
        """A typed message: an answer while the form is open, else the opening message."""
        self._user(text, intent, [])
        if self.active:
            requested = self.slots[REQUESTED_SLOT]
            return await self._form({requested: text})
        said = await self._run(self.form.opening)
        if not self.slots.get(self.form.gate):
            return said
        self.active = True
        required = DOMAIN["forms"][self.form.name]["required_slots"]
        prefilled = {s: self.slots[s] for s in required if self.slots.get(s) is not None}
        return said + await self._form(prefilled)

    async def tap(self, button: dict[str, Any], action: Action) -> Messages:
        """A button tap, run by the action its rule names."""
        text = button["payload"]
        intent, _, entities = text[1:].partition("{")
        ref = json.loads("{" + entities)["ref"] if entities else None
        self._user(text, intent, [{"entity": "ref", "value": ref}] if ref else [])
        return await self._run(action)


def _texts(messages: Messages) -> str:
    return "\n".join(str(m["text"]) for m in messages)


def _button(messages: Messages, title: str) -> dict[str, Any]:
    return next(b for m in messages for b in m.get("buttons") or [] if b["title"] == title)


def _requests(db: Database) -> list[ManagerRequest]:
    with db.session() as session:
        return list(session.scalars(select(ManagerRequest).order_by(ManagerRequest.id)))


def _drafts(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(VisitDraft)) or 0)


async def test_a_bare_complaint_asks_what_when_and_product_and_files_all_three(
    run_action, db
) -> None:
    chat = Chat("10001", COMPLAINT)
    asked = await chat.say("我要投诉", "complaint")
    assert "发生了什么问题" in _texts(asked) and "「我要投诉」" not in _texts(asked)
    when_asked = await chat.say("送来的货少了一条", "complaint")
    assert "什么时候" in _texts(when_asked)
    assert when_asked[-1]["buttons"] == [{"title": "取消", "payload": "/pending_cancel"}]
    product_asked = await chat.say("昨天下午", "out_of_scope")
    assert "哪个品规" in _texts(product_asked)
    summary = await chat.say("芙蓉王", "ask_price")
    text = _texts(summary)
    assert "问题:送来的货少了一条" in text
    assert "时间:11月23日(周一) 12:00–18:00" in text
    assert "品规:芙蓉王(硬)" in text and "王经理" in text
    send = _button(summary, "✅ 提交投诉")
    assert len(send["payload"].encode()) <= 64
    assert _requests(db) == []

    sent = await chat.tap(send, ActionRequestSend())
    [request] = _requests(db)
    assert request.kind == "complaint"
    assert request.text == "送来的货少了一条\n时间:11月23日(周一) 12:00–18:00\n品规:芙蓉王(硬)"
    assert f"#{request.id}" in _texts(sent)
    with db.session() as session:
        pushed = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "manager_request")
        ).all()
    assert [p.chat_id for p in pushed] == [20001] and "品规:芙蓉王(硬)" in pushed[0].text

    await chat.tap(send, ActionRequestSend())
    assert len(_requests(db)) == 1


async def test_an_english_complaint_is_asked_and_filed_in_english(run_action, db) -> None:
    chat = Chat("10002", COMPLAINT, language="en")
    assert "What happened?" in _texts(await chat.say("I want to file a complaint", "complaint"))
    assert "When did it happen?" in _texts(
        await chat.say("the delivery was one carton short", "complaint")
    )
    assert "Which product" in _texts(await chat.say("this morning", "out_of_scope"))
    summary = await chat.say("Furongwang", "ask_price")
    text = _texts(summary)
    assert "What happened: the delivery was one carton short" in text
    assert "When: Tue 24 Nov 06:00–12:00" in text
    assert "Product: Furongwang" in text and "(芙蓉王(硬))" in text
    await chat.tap(_button(summary, "✅ Send complaint"), ActionRequestSend())
    [request] = _requests(db)
    assert request.text.startswith("the delivery was one carton short\nWhen: Tue 24 Nov")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("利群这周到货有三条破损", "zh"),
        ("two cartons of Liqun arrived damaged on Tuesday", "en"),
    ],
)
async def test_a_complaint_that_says_everything_is_offered_at_once(
    run_action, db, text: str, language: str
) -> None:
    chat = Chat("10001", COMPLAINT, language=language)
    summary = await chat.say(text, "complaint")
    assert chat.slots[COMPLAINT_OPEN] is None and not chat.active
    shown = _texts(summary)
    assert text in shown and "利群(新版)" in shown
    assert ("11月23日(周一)–11月29日(周日)" if language == "zh" else "Tue 24 Nov") in shown
    title = "✅ 提交投诉" if language == "zh" else "✅ Send complaint"
    await chat.tap(_button(summary, title), ActionRequestSend())
    [request] = _requests(db)
    assert request.text.startswith(text) and "利群(新版)" in request.text


async def test_a_complaint_with_a_product_but_no_time_asks_only_when(run_action, db) -> None:
    chat = Chat("10001", COMPLAINT)
    asked = await chat.say("送来的白沙条盒都压扁了", "complaint")
    assert "什么时候" in _texts(asked)
    summary = await chat.say("记不清了", "out_of_scope")
    assert "时间:不记得" in _texts(summary) and "品规:白沙(硬)" in _texts(summary)


async def test_an_answer_to_what_happened_that_names_time_and_product_fills_them(
    run_action,
) -> None:
    chat = Chat("10001", COMPLAINT)
    await chat.say("我要投诉一下", "complaint")
    summary = await chat.say("昨天送来的利群少了两条", "complaint")
    assert "问题:昨天送来的利群少了两条" in _texts(summary)
    assert "11月23日(周一)" in _texts(summary) and "利群(新版)" in _texts(summary)


@pytest.mark.parametrize(
    ("language", "answers", "cancel", "expected"),
    [
        ("zh", [], "算了", "已取消"),
        ("zh", ["送货员态度很差"], "不要了", "已取消"),
        ("zh", ["送货员态度很差", "昨天"], "取消", "已取消"),
        ("en", [], "never mind", "cancelled"),
        ("en", ["the driver was rude"], "never mind", "cancelled"),
        ("en", ["the driver was rude", "yesterday"], "cancel", "cancelled"),
    ],
)
async def test_a_complaint_can_be_cancelled_at_each_question_and_nothing_is_written(
    run_action, db, language: str, answers: list[str], cancel: str, expected: str
) -> None:
    chat = Chat("10001", COMPLAINT, language=language)
    await chat.say("我要投诉" if language == "zh" else "I have a complaint", "complaint")
    for answer in answers:
        await chat.say(answer, "complaint")
    # The NLU may read a cancel word as anything (deny here): the raw text decides.
    said = await chat.say(cancel, "deny")
    assert expected in _texts(said)
    assert not chat.active and chat.slots[COMPLAINT_OPEN] is None
    assert not any(m.get("buttons") for m in said)
    assert _requests(db) == []


async def test_the_cancel_button_under_a_question_cancels(run_action, db) -> None:
    chat = Chat("10001", COMPLAINT)
    asked = await chat.say("我要投诉", "complaint")
    # While the form is open a tap is an answer too: its payload reaches the validator.
    said = await chat.say(_button(asked, "取消")["payload"], "pending_cancel")
    assert "已取消" in _texts(said) and not chat.active and _requests(db) == []


async def test_an_unknown_product_is_asked_again_then_taken_as_none(run_action, db) -> None:
    chat = Chat("10001", COMPLAINT)
    await chat.say("我要投诉", "complaint")
    await chat.say("送货员把烟扔在门口就走了", "complaint")
    await chat.say("今天上午", "out_of_scope")
    again = await chat.say("哈哈牌香烟", "out_of_scope")
    assert "没在目录里找到「哈哈牌香烟」" in _texts(again)
    assert "哪个品规" in _texts(again) and chat.active
    summary = await chat.say("卡布奇诺", "out_of_scope")
    assert "先记为不涉及具体品规" in _texts(summary)
    assert "品规:不涉及具体品规" in _texts(summary) and not chat.active


async def test_an_unreadable_time_is_asked_again_politely(run_action) -> None:
    chat = Chat("10002", COMPLAINT, language="en")
    await chat.say("I have a complaint", "complaint")
    await chat.say("two cartons arrived damaged", "complaint")
    again = await chat.say("blue", "out_of_scope")
    assert "couldn't read that as a time" in _texts(again) and "When did it happen?" in _texts(
        again
    )
    product_asked = await chat.say("don't know", "out_of_scope")
    assert "Which product" in _texts(product_asked)


async def test_a_price_question_in_the_middle_is_answered_and_the_question_asked_again(
    run_action,
) -> None:
    chat = Chat("10001", COMPLAINT)
    await chat.say("我要投诉", "complaint")
    await chat.say("送来的烟受潮了", "complaint")
    await chat.say("昨天", "out_of_scope")
    side = await chat.say("利群多少钱一条?", "ask_price")
    assert "¥" in _texts(side) and "哪个品规" in _texts(side)
    assert chat.slots["complaint_product"] is None and chat.active


async def test_a_manager_is_not_asked_about_a_complaint(run_action) -> None:
    chat = Chat("20001", COMPLAINT)
    said = await chat.say("我要投诉", "complaint")
    assert (_texts(said), chat.active) == (t("zh", WrongRole.key), False)


async def test_a_note_without_a_shop_asks_which_shop_then_drafts_it(run_action, db) -> None:
    chat = Chat("20001", VISIT)
    asked = await chat.say("今天补了三张标价签,芙蓉王还有十二条", "visit_note")
    assert _texts(asked).startswith("是哪家店?") and chat.active
    assert _drafts(db) == 0
    draft = await chat.say("张记烟酒", "visit_note")
    text = _texts(draft)
    assert "张记烟酒(R001)" in text and "芙蓉王(硬) 12条" in text and "标价签" in text
    assert [b["title"] for b in draft[-1]["buttons"]] == ["✅ 保存", "✏️ 修改", "取消"]
    assert _drafts(db) == 1 and not chat.active


async def test_a_whole_second_note_as_the_answer_joins_the_first(run_action, db) -> None:
    """A note dictated before the question was heard answers it and loses nothing."""
    chat = Chat("20001", VISIT)
    await chat.say("今天补了三张标价签", "visit_note")
    draft = await chat.say("上午去了张记烟酒,芙蓉王还有十二条", "visit_note")
    text = _texts(draft)
    assert "张记烟酒(R001)" in text and "芙蓉王(硬) 12条" in text and "标价签" in text
    assert _drafts(db) == 1 and not chat.active


async def test_a_shop_outside_the_territory_is_asked_again(run_action, db) -> None:
    chat = Chat("20001", VISIT)
    await chat.say("补了两张标价签,陈列也调整了", "visit_note")
    again = await chat.say("老刘副食店", "visit_note")
    assert "没找到「老刘副食店」" in _texts(again) and "是哪家店?" in _texts(again)
    assert "R003" not in _texts(again) and chat.active and _drafts(db) == 0
    draft = await chat.say("R002", "out_of_scope")
    assert "李姐便利店(R002)" in _texts(draft) and _drafts(db) == 1


async def test_an_english_note_without_a_shop_asks_in_english(run_action, db) -> None:
    chat = Chat("20001", VISIT, language="en")
    asked = await chat.say("replaced 3 price tags, Furongwang hard 12 cartons", "visit_note")
    assert _texts(asked).startswith("Which shop was this?")
    draft = await chat.say("Zhang's Tobacco & Liquor", "visit_note")
    assert "(R001)" in _texts(draft) and "Furongwang (Hard)" in _texts(draft)


@pytest.mark.parametrize(
    ("language", "note", "cancel", "expected"),
    [
        ("zh", "补了两张标价签,陈列也调整了", "不要了", "这条拜访记录没有保存"),
        ("zh", "补了两张标价签,陈列也调整了", "算了", "这条拜访记录没有保存"),
        ("en", "checked the display and put up two price tags", "cancel", "was not saved"),
    ],
)
async def test_the_shop_question_can_be_cancelled_and_nothing_is_drafted(
    run_action, db, language: str, note: str, cancel: str, expected: str
) -> None:
    chat = Chat("20001", VISIT, language=language)
    await chat.say(note, "visit_note")
    said = await chat.say(cancel, "deny")
    assert expected in _texts(said)
    assert not chat.active and _drafts(db) == 0


async def test_three_unusable_shop_answers_end_the_question(run_action, db) -> None:
    chat = Chat("20001", VISIT)
    await chat.say("补了两张标价签", "visit_note")
    await chat.say("隔壁那家", "visit_note")
    await chat.say("就那个", "visit_note")
    said = await chat.say("不知道叫啥", "visit_note")
    assert "没有保存" in _texts(said) and not chat.active and _drafts(db) == 0


async def test_a_note_that_names_its_shop_asks_nothing(run_action, db) -> None:
    chat = Chat("20001", VISIT)
    draft = await chat.say("今天去了张记烟酒,补了三张标价签", "visit_note")
    assert not chat.active and "张记烟酒(R001)" in _texts(draft) and _drafts(db) == 1
