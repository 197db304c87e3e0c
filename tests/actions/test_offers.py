"""The one rule for typed yes/no (actions/offers.py behind action_ack), over whole conversations:
each offer is made by its real action, shown at a known time, and answered by typing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.chitchat import ActionAck, ActionThank
from actions.orders import ActionOrderChange
from actions.preferences import ActionReminderPrefs
from actions.settlement import ActionPaymentNotice
from actions.support import ActionContactManager
from actions.visits import ActionRemindShortfalls, ActionVisitNote
from retail.db import Database
from retail.i18n import t
from retail.models import DepositClaim, ManagerRequest, OrderChangePlan, OutboxMessage, VisitNote
from retail.models.visits import VisitDraft
from tests.actions.conftest import RunAction
from tests.actions.history import bot_metadata
from tests.conftest import NOW

NOTE = "今天下午去了张记烟酒 补了三张标价签 芙蓉王硬的库存还有十二条"
Messages = list[dict[str, Any]]
_message_ids = itertools.count(1)


@dataclass
class Chat:
    """One user's conversation as Rasa keeps it: every message and reply, with the time the
    user wrote each message (metadata ``message_time``) and the time each reply was sent
    (the bot event's ``timestamp``, a second after the message it answers)."""

    sender: str
    events: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    now: datetime = NOW

    async def say(
        self,
        action: Action,
        text: str,
        intent: str,
        *,
        written: datetime | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> Messages:
        """The user writes ``text`` (at ``written``, else ten seconds after the last turn);
        ``action`` answers it; the reply joins the history. Returns the reply's messages."""
        self.now += timedelta(seconds=10)
        at = written or self.now
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
            "message_id": f"msg{next(_message_ids):013d}",
            "metadata": bot_metadata(self.sender, text, message_time=at.isoformat()),
        }
        self.events.append(
            {
                "event": "user",
                "text": text,
                "parse_data": latest,
                "message_id": latest["message_id"],
            }
        )
        tracker = Tracker(
            self.sender, dict(self.slots), latest, list(self.events), False, None, {}, None
        )
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker, {})
        shown = (self.now + timedelta(seconds=1)).timestamp()
        for message in dispatcher.messages:
            data = {"buttons": message.get("buttons") or []}
            self.events.append(
                {"event": "bot", "text": message["text"], "data": data, "timestamp": shown}
            )
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        messages: Messages = dispatcher.messages
        return messages

    def shown_at(self) -> datetime:
        """When the latest reply was sent."""
        return datetime.fromtimestamp(self.events[-1]["timestamp"], NOW.tzinfo)


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _draft_statuses(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(VisitDraft.status).order_by(VisitDraft.id)))


def _plan_statuses(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(OrderChangePlan.status).order_by(OrderChangePlan.id)))


async def test_a_typed_save_after_a_visit_draft_saves_it(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("20001")
    notes = _count(db, VisitNote)
    draft = await chat.say(ActionVisitNote(), NOTE, "visit_note")
    assert [b["title"] for b in draft[-1]["buttons"]] == ["✅ 保存", "✏️ 修改", "取消"]
    saved = await chat.say(ActionAck(), "保存", "affirm")
    assert "已保存张记烟酒的拜访记录" in saved[0]["text"]
    assert _count(db, VisitNote) == notes + 1
    assert _draft_statuses(db) == ["saved"]


async def test_save_it_in_english_saves_the_draft(run_action: RunAction, db: Database) -> None:
    chat = Chat("20001")
    notes = _count(db, VisitNote)
    await chat.say(ActionVisitNote(), NOTE, "visit_note")
    await chat.say(ActionAck(), "save it", "affirm")
    assert _count(db, VisitNote) == notes + 1


async def test_a_typed_cancel_drops_the_visit_draft(run_action: RunAction, db: Database) -> None:
    chat = Chat("20001")
    notes = _count(db, VisitNote)
    await chat.say(ActionVisitNote(), NOTE, "visit_note")
    cancelled = await chat.say(ActionAck(), "取消", "deny")
    assert cancelled[0]["text"] == "好的,这条拜访记录没有保存。"
    assert _draft_statuses(db) == ["cancelled"]
    assert _count(db, VisitNote) == notes


async def test_a_typed_confirm_records_a_deposit_claim_once(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    offer = await chat.say(ActionPaymentNotice(), "刚存了2000", "payment_notice")
    assert "¥2,000.00" in offer[0]["text"]
    recorded = await chat.say(ActionAck(), "确认", "affirm")
    assert recorded[0]["text"] == "已记录:您报告存入 ¥2,000.00。"
    again = await chat.say(ActionAck(), "确认", "affirm")
    assert [m["text"] for m in again] == [t("zh", "ack")]
    assert _count(db, DepositClaim) == 1


async def test_a_yes_after_a_deposit_offer_confirms_it_and_not_an_older_order_plan(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    plan = await chat.say(ActionOrderChange(), "白沙改成3条", "order_change")
    assert plan[-1]["buttons"][0]["payload"].startswith('/affirm{"plan"')
    assert chat.slots["order_plan"]
    await chat.say(ActionPaymentNotice(), "刚存了2000", "payment_notice")
    recorded = await chat.say(ActionAck(), "好的", "affirm")
    assert recorded[0]["text"] == "已记录:您报告存入 ¥2,000.00。"
    assert _count(db, DepositClaim) == 1
    assert _plan_statuses(db) == ["pending"]
    # The deposit was the newest offer: a further yes does not reach back to the plan.
    later = await chat.say(ActionAck(), "好的", "affirm")
    assert [m["text"] for m in later] == [t("zh", "ack")]
    assert _plan_statuses(db) == ["pending"]


async def test_a_typed_yes_still_confirms_the_order_plan_after_a_question_in_between(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderChange(), "白沙改成3条", "order_change")
    await chat.say(ActionThank(), "谢谢", "thank")  # a reply that offers nothing
    applied = await chat.say(ActionAck(), "确认", "affirm")
    assert applied[0]["text"].startswith(t("zh", "order.applied.title"))
    assert _plan_statuses(db) == ["applied"]
    assert chat.slots["order_plan"] is None


async def test_a_typed_yes_to_the_plan_just_shown_applies_it(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderChange(), "白沙改成3条", "order_change")
    applied = await chat.say(ActionAck(), "yes", "affirm")
    assert "白沙(硬)" in applied[0]["text"]
    assert _plan_statuses(db) == ["applied"]


async def test_an_emoji_affirm_offers_again_and_saves_nothing(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("20001")
    draft = await chat.say(ActionVisitNote(), NOTE, "visit_note")
    again = await chat.say(ActionAck(), "👍", "affirm")
    assert again[0]["text"] == t("zh", "offers.unclear", button="✅ 保存")
    assert again[0]["buttons"] == draft[-1]["buttons"]
    assert _draft_statuses(db) == ["pending"]
    # The offer shown again is what the next typed yes answers.
    await chat.say(ActionAck(), "好的", "affirm")
    assert _draft_statuses(db) == ["saved"]


async def test_a_yes_written_before_the_offer_was_shown_writes_nothing(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    await chat.say(ActionPaymentNotice(), "刚存了2000", "payment_notice")
    early = chat.shown_at() - timedelta(seconds=2)
    replayed = await chat.say(ActionAck(), "确认", "affirm", written=early)
    assert replayed[0]["text"] == t("zh", "offers.shown_later", button="✅ 确认已存入")
    assert replayed[0]["buttons"][0]["payload"].startswith("/deposit_confirm")
    assert _count(db, DepositClaim) == 0


async def test_a_yes_written_in_the_second_the_offer_was_sent_counts(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    await chat.say(ActionPaymentNotice(), "刚存了2000", "payment_notice")
    same_second = chat.shown_at().replace(microsecond=0)
    await chat.say(ActionAck(), "确认", "affirm", written=same_second)
    assert _count(db, DepositClaim) == 1


async def test_a_typed_yes_with_nothing_pending_is_an_acknowledgement(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    yes = await chat.say(ActionAck(), "好的", "affirm")
    assert [m["text"] for m in yes] == [t("zh", "ack")]
    no = await chat.say(ActionAck(), "no", "deny")
    assert [m["text"] for m in no] == [t("en", "ack")]


async def test_a_tap_on_a_bare_affirm_confirms_nothing(run_action: RunAction, db: Database) -> None:
    chat = Chat("10001")
    await chat.say(ActionPaymentNotice(), "刚存了2000", "payment_notice")
    messages = await chat.say(ActionAck(), "/affirm", "affirm")
    assert [m["text"] for m in messages] == [t("zh", "ack")]
    assert _count(db, DepositClaim) == 0


async def test_a_no_with_a_figure_corrects_the_pending_order_plan(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    first = await chat.say(ActionOrderChange(), "白沙改成3条", "order_change")
    old_payload = first[-1]["buttons"][0]["payload"]
    corrected = await chat.say(ActionAck(), "不对 是6条", "deny")
    texts = "\n".join(m["text"] for m in corrected)
    assert t("zh", "order.cancelled") not in texts
    assert "白沙(硬)" in texts and "6 条" in texts
    new_payload = corrected[-1]["buttons"][0]["payload"]
    assert new_payload.startswith('/affirm{"plan"') and new_payload != old_payload


async def test_a_plain_no_cancels_the_pending_order_plan(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderChange(), "白沙改成3条", "order_change")
    cancelled = await chat.say(ActionAck(), "算了", "deny")
    assert cancelled[0]["text"] == t("zh", "order.cancelled")
    assert _plan_statuses(db) == ["cancelled"]
    assert chat.slots["order_plan"] is None


async def test_several_choices_are_not_confirmed_by_a_yes(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("10001")
    choices = await chat.say(ActionReminderPrefs(), "提醒设置", "reminder_prefs")
    assert len(choices[-1]["buttons"]) > 1
    again = await chat.say(ActionAck(), "好的", "affirm")
    assert again[0]["text"] == t("zh", "offers.choose")
    assert again[0]["buttons"] == choices[-1]["buttons"]


async def test_a_typed_go_ahead_sends_the_managers_deposit_reminders(
    run_action: RunAction, db: Database
) -> None:
    chat = Chat("20001")
    offer = await chat.say(
        ActionRemindShortfalls(), "给余额不够的户发个存款提醒", "remind_shortfalls"
    )
    assert offer[-1]["buttons"][0]["payload"].startswith("/remind_shortfalls_send")
    before = _count(db, OutboxMessage)
    sent = await chat.say(ActionAck(), "发吧", "affirm")
    assert "张记烟酒" in sent[0]["text"]
    assert _count(db, OutboxMessage) > before


async def test_a_typed_yes_sends_the_contact_request_and_a_typed_no_does_not(
    run_action: RunAction, db: Database
) -> None:
    declined = Chat("10001")
    await declined.say(ActionContactManager(), "我要找客户经理", "contact_manager")
    no = await declined.say(ActionAck(), "不要了", "deny")
    assert no[0]["text"] == t("zh", "support.cancelled")
    assert _count(db, ManagerRequest) == 0
    accepted = Chat("10001")
    await accepted.say(ActionContactManager(), "我要找客户经理", "contact_manager")
    await accepted.say(ActionAck(), "好的", "affirm")
    assert _count(db, ManagerRequest) == 1
