"""Conversations over several turns: follow-ups (那利群呢, "and Liqun?"), elliptical order
corrections (改成4条, 不对,是4条, 再加两条, 换成软的, "make it 4") and the quantity form.

Each turn runs the action the dialogue rules pick, on a tracker holding the whole conversation
so far and the slots the earlier actions set (as Rasa would), against the seeded demo database.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.follow_ups import ActionFollowUp
from actions.orders import (
    CANCELLED,
    QUANTITY_REQUEST_SLOT,
    QUANTITY_SLOT,
    ActionAskOrderQuantity,
    ActionOrderChange,
    ActionOrderConfirm,
    ActionOrderQuantitySubmit,
    ActionOrderShow,
    ValidateOrderQuantityForm,
)
from actions.policy import ActionPolicy
from actions.prices import ActionPrice
from actions.runtime import Runtime, configure
from actions.settlement import ActionSettlementStatus
from actions.visits import ActionRetailerStatus, ActionVisitHistory
from retail.clock import FixedClock
from retail.db import Database
from retail.i18n import t
from retail.models import Product, Retailer
from retail.visits import NoteFacts, Record, write_note
from tests.actions.history import Bot, Said, conversation
from tests.actions.test_orders import R001, quantities
from tests.conftest import NOW
from tests.seeded import fresh_copy, seeded_template
from trust import secret_from_env

Messages = list[dict[str, Any]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_template(tmp_path_factory.mktemp("context-actions"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def db(template: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Database]:
    database = fresh_copy(template, tmp_path)
    configure(Runtime(database, clock, secret_from_env()))
    yield database
    configure(None)
    database.dispose()


class Chat:
    """One user's conversation: every message and reply so far, and the slots the actions set
    (the events Rasa would apply before the next turn)."""

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.history: list[Said | Bot] = []
        self.slots: dict[str, Any] = {}
        self.ids = itertools.count(1)
        self.form_started: int | None = None

    def start_form(self) -> None:
        """The form activates here (Rasa's ActiveLoop event after the replies so far)."""
        self.form_started = len(self.history)

    def tracker(self) -> Tracker:
        tracker = conversation(self.sender, *self.history, slots=dict(self.slots))
        if self.form_started is not None:
            earlier = self.history[: self.form_started]
            at = sum(2 if isinstance(item, Said) else 1 for item in earlier)
            tracker.events.insert(at, {"event": "active_loop", "name": "order_quantity_form"})
        return tracker

    async def say(
        self,
        action: Action,
        text: str,
        intent: str,
        entities: list[dict[str, Any]] | None = None,
    ) -> Messages:
        """The user writes ``text`` and ``action`` answers it; returns the messages."""
        message_id = f"msg-{next(self.ids)}"
        self.history.append(Said(text, intent, message_id, entities or []))
        return await self.run(action)

    async def run(self, action: Action) -> Messages:
        """Run ``action`` on the conversation as it stands (no new user message)."""
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, self.tracker(), {})
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        for message in dispatcher.messages:
            self.history.append(Bot(message.get("text") or "", message.get("buttons") or []))
        return dispatcher.messages


def text_of(messages: Messages) -> str:
    return "\n".join(str(message.get("text") or "") for message in messages)


def plan_of(messages: Messages) -> str:
    """The plan id the confirm button under the last message names."""
    match = re.fullmatch(r'/affirm\{"plan":"([\w-]+)"\}', messages[-1]["buttons"][0]["payload"])
    assert match
    return match.group(1)


def tap(plan_id: str) -> list[dict[str, Any]]:
    return [{"entity": "plan", "value": plan_id}]


# ----------------------------------------------------------------------------- follow-ups


async def test_a_price_then_na_liqun_ne_gives_liqun_price(db) -> None:
    chat = Chat("10001")
    first = await chat.say(ActionPrice(), "中华多少钱", "ask_price")
    assert "中华(硬)" in text_of(first)
    assert chat.slots["context_topic"] == "price"
    follow = await chat.say(ActionFollowUp(), "那利群呢", "follow_up")
    assert "利群(新版)" in text_of(follow)
    assert "中华" not in text_of(follow)
    assert chat.slots["context_products"] == "利群(新版)"


async def test_and_liqun_in_english_gives_the_price_in_english(db) -> None:
    chat = Chat("10001")
    await chat.say(ActionPrice(), "how much is Zhonghua", "ask_price")
    follow = await chat.say(ActionFollowUp(), "and Liqun?", "follow_up")
    text = text_of(follow)
    assert "Liqun (New Edition) (利群(新版))" in text
    assert "¥" in text


async def test_the_soft_one_after_a_price_gives_the_soft_spec(db) -> None:
    chat = Chat("10001")
    await chat.say(ActionPrice(), "硬中华多少钱", "ask_price")
    follow = await chat.say(ActionFollowUp(), "那软的呢", "follow_up")
    assert "中华(软)" in text_of(follow)
    assert chat.slots["context_products"] == "中华(软)"


async def test_a_follow_up_with_no_context_asks_what_is_meant(db) -> None:
    zh = await Chat("10001").say(ActionFollowUp(), "那利群呢", "follow_up")
    assert text_of(zh) == t("zh", "context.follow_up.no_topic")
    en = await Chat("10001").say(ActionFollowUp(), "what about last week?", "follow_up")
    assert text_of(en) == t("en", "context.follow_up.no_topic")


async def test_na_liqun_ne_about_the_order_shows_its_line_and_a_change_follows(db, clock) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderShow(), "看看我这周的订单", "order_show")
    follow = await chat.say(ActionFollowUp(), "那利群呢", "follow_up")
    assert "本周订单里 利群(新版):2 条 × ¥" in text_of(follow)
    plan = await chat.say(ActionOrderChange(), "改成4条", "order_change")
    assert "• 利群(新版):2 → 4 条" in text_of(plan)
    assert quantities(db, clock) == R001


async def test_last_week_about_the_account_says_it_is_the_latest_position(db) -> None:
    chat = Chat("10001")
    await chat.say(ActionSettlementStatus(), "我账户还有多少钱", "settlement_status")
    follow = await chat.say(ActionFollowUp(), "上周呢", "follow_up")
    assert follow[0]["text"] == t("zh", "context.follow_up.settlement_now")
    assert "张记烟酒" in follow[1]["text"]


async def test_a_manager_asks_about_another_shop_and_another_week(db) -> None:
    chat = Chat("20001")
    first = await chat.say(ActionRetailerStatus(), "张记烟酒这周订了多少", "retailer_status")
    assert "张记烟酒" in text_of(first)
    other = await chat.say(ActionFollowUp(), "那李姐便利店呢", "follow_up")
    assert "李姐便利店" in text_of(other)
    assert chat.slots["context_shop"] == "R002"
    await chat.say(ActionVisitHistory(), "这周拜访了哪些店", "visit_history")
    assert chat.slots["context_period"] == "2026-11-23/2026-11-24"
    week = await chat.say(ActionFollowUp(), "上周呢", "follow_up")
    assert "11月16日" in text_of(week)
    assert chat.slots["context_period"] == "2026-11-16/2026-11-22"


def _stock_out_last_week(db: Database, clock: FixedClock) -> None:
    """A saved visit to 李姐便利店 last Wednesday (11月18日) that found 白沙(硬) out of stock;
    the seed's one stock-out (陈氏百货, 20 days ago) is older than last week."""
    with db.session() as session:
        shop = session.scalar(select(Retailer).where(Retailer.code == "R002"))
        baisha = session.scalar(select(Product).where(Product.spec == "白沙(硬)"))
        assert shop is not None and baisha is not None
        at = clock.now() - timedelta(days=6)
        facts = NoteFacts(
            raw_text="李姐便利店 白沙断货",
            sent_at=at,
            tags=frozenset({"stock_out"}),
            stock_outs=(baisha.id,),
        )
        write_note(
            session,
            Record.from_facts(facts, shop.id),
            manager_id=shop.manager_id,
            raw_text=facts.raw_text,
            source="test",
            recorded_at=at,
            confirmed_at=at,
        )


async def test_last_week_after_a_stock_out_question_gives_last_weeks_stock_outs(db, clock) -> None:
    _stock_out_last_week(db, clock)
    chat = Chat("20001")
    first = text_of(await chat.say(ActionVisitHistory(), "上个月哪些店断货了", "visit_history"))
    # Last month is October's days: both stock-outs (11月4日, 11月18日) are in November.
    assert first == t("zh", "visit.stock_outs.none_period", start="10月1日", end="10月31日")
    week = text_of(await chat.say(ActionFollowUp(), "上周呢", "follow_up"))
    # Last week's days (Monday 11月16日 to Sunday 11月22日), stock-outs still.
    assert week.splitlines()[0] == t(
        "zh", "visit.stock_outs.header_period", start="11月16日", end="11月22日"
    )
    assert "• 11月18日 李姐便利店:白沙(硬)" in week
    assert "陈氏百货" not in week
    month = text_of(await chat.say(ActionFollowUp(), "最近一个月呢", "follow_up"))
    assert month.splitlines()[0] == t("zh", "visit.stock_outs.header", days=30)
    assert "陈氏百货:白沙(精品)" in month and "李姐便利店:白沙(硬)" in month
    shop = text_of(await chat.say(ActionFollowUp(), "那李姐便利店呢", "follow_up"))
    assert shop.startswith("李姐便利店最近一次拜访是 11月20日")


async def test_next_week_after_a_stock_out_question_says_it_has_not_come(db, clock) -> None:
    chat = Chat("20001")
    await chat.say(ActionVisitHistory(), "上个月哪些店断货了", "visit_history")
    later = text_of(await chat.say(ActionFollowUp(), "下周呢", "follow_up"))
    assert later == t("zh", "context.follow_up.future_visits")


async def test_next_week_after_the_visits_of_a_week_says_it_has_not_come(db) -> None:
    chat = Chat("20001")
    await chat.say(ActionVisitHistory(), "这周拜访了哪些店", "visit_history")
    later = text_of(await chat.say(ActionFollowUp(), "下周呢", "follow_up"))
    # Not this week's visits again (the old reading clamped next week to today).
    assert later == t("zh", "context.follow_up.future_visits")
    assert chat.slots["context_period"] == "2026-11-23/2026-11-24"
    english = Chat("20001")
    await english.say(ActionVisitHistory(), "which shops did i visit this week", "visit_history")
    later = text_of(await english.say(ActionFollowUp(), "what about next week?", "follow_up"))
    assert later == t("en", "context.follow_up.future_visits")


async def test_what_about_last_week_after_stock_outs_in_english(db, clock) -> None:
    _stock_out_last_week(db, clock)
    chat = Chat("20001")
    await chat.say(ActionVisitHistory(), "which shops had stock-outs last month?", "visit_history")
    week = text_of(await chat.say(ActionFollowUp(), "what about last week?", "follow_up"))
    assert week.splitlines()[0] == t(
        "en", "visit.stock_outs.header_period", start="16 Nov", end="22 Nov"
    )
    assert "Sister Li's Convenience Store" in week
    assert "Baisha (Hard)" in week


async def test_last_week_after_a_not_visited_question_lists_shops_not_visited_since(
    db,
) -> None:
    chat = Chat("20001")
    await chat.say(ActionVisitHistory(), "哪些店超过两周没去了", "visit_history")
    week = text_of(await chat.say(ActionFollowUp(), "上周呢", "follow_up"))
    assert week.splitlines()[0] == t("zh", "visit.not_visited.header", days=9)
    assert "张记烟酒(R001):9 天前" in week  # last visited 11月15日, before last week
    assert "李姐便利店" not in week  # visited 11月20日


def _quota_line(language: str, spec: str, cartons: int) -> str:
    """The line under a quota policy that gives a 3-star retailer's quota of one product."""
    item = t(language, "policy.quota_item", spec=spec, cartons=cartons)
    return t(language, "policy.my_quotas", star=3, quotas=item)


async def test_na_zhonghua_ne_after_a_quota_question_gives_zhonghuas_quota(db) -> None:
    chat = Chat("10001")
    first = text_of(await chat.say(ActionPolicy(), "软蓝芙蓉王控量多少", "ask_policy"))
    assert "芙蓉王(软蓝) 4条" in first
    assert chat.slots["context_topic"] == "policy"
    follow = text_of(await chat.say(ActionFollowUp(), "那硬中华呢", "follow_up"))
    assert follow.endswith("\n\n" + _quota_line("zh", "中华(硬)", 5))
    assert chat.slots["context_products"] == "中华(硬)"


async def test_and_zhonghua_after_a_quota_question_in_english(db) -> None:
    chat = Chat("10001")
    first = await chat.say(
        ActionPolicy(), "what is the quota for Furongwang soft blue?", "ask_policy"
    )
    assert "Furongwang (Soft Blue): 4 cartons" in text_of(first)
    follow = text_of(await chat.say(ActionFollowUp(), "and hard Zhonghua?", "follow_up"))
    assert follow.endswith("\n\n" + _quota_line("en", "Zhonghua (Hard)", 5))


async def test_a_policy_follow_up_without_an_earlier_question_asks_what_is_meant(db) -> None:
    chat = Chat("10001")
    chat.slots["context_topic"] = "policy"
    zh = await chat.say(ActionFollowUp(), "那硬中华呢", "follow_up")
    assert text_of(zh) == t("zh", "context.follow_up.unclear")
    en = await chat.say(ActionFollowUp(), "and hard Zhonghua?", "follow_up")
    assert text_of(en) == t("en", "context.follow_up.unclear")


# ----------------------------------------------------------------------------- corrections


async def test_a_correction_replaces_the_pending_plan(db, clock) -> None:
    chat = Chat("10001")
    first = await chat.say(ActionOrderChange(), "利群改成3条", "order_change")
    old_plan = plan_of(first)
    second = await chat.say(ActionOrderChange(), "不对,改成4条", "order_change")
    new_plan = plan_of(second)
    assert new_plan != old_plan
    assert "• 利群(新版):2 → 4 条" in text_of(second)
    assert chat.slots["order_plan"] == new_plan
    stale = await chat.say(ActionOrderConfirm(), "/affirm", "affirm", tap(old_plan))
    assert text_of(stale) == t("zh", "order.plan.superseded")
    assert quantities(db, clock) == R001
    await chat.say(ActionOrderConfirm(), "/affirm", "affirm", tap(new_plan))
    assert quantities(db, clock) == {**R001, "利群(新版)": 4}


async def test_a_typed_deny_with_a_quantity_corrects_the_plan(db, clock) -> None:
    """不对 是4条 read as a deny is answered by ActionOrderChange (actions/offers.py)."""
    chat = Chat("10001")
    first = await chat.say(ActionOrderChange(), "利群改成3条", "order_change")
    second = await chat.say(ActionOrderChange(), "不对 是4条", "deny")
    assert plan_of(second) != plan_of(first)
    assert "• 利群(新版):2 → 4 条" in text_of(second)


async def test_add_two_more_is_relative_to_the_pending_plan(db, clock) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderChange(), "利群改成3条", "order_change")
    second = await chat.say(ActionOrderChange(), "再加两条", "order_change")
    assert "• 利群(新版):2 → 5 条" in text_of(second)
    await chat.say(ActionOrderConfirm(), "/affirm", "affirm", tap(plan_of(second)))
    assert quantities(db, clock) == {**R001, "利群(新版)": 5}


async def test_a_correction_keeps_the_other_lines_of_the_plan(db, clock) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderChange(), "双喜去掉", "order_change")
    await chat.say(ActionPrice(), "利群多少钱", "ask_price")
    second = await chat.say(ActionOrderChange(), "加两条", "order_change")
    text = text_of(second)
    assert "• 双喜(硬):2 → 删除" in text
    assert "• 利群(新版):2 → 4 条" in text


async def test_switch_to_the_soft_one_moves_the_change_to_the_soft_spec(db, clock) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderChange(), "白沙改成6条", "order_change")
    swapped = await chat.say(ActionOrderChange(), "换成软的", "order_change")
    text = text_of(swapped)
    assert "• 白沙(软):新增 6 条" in text
    assert "白沙(硬)" not in text
    await chat.say(ActionOrderConfirm(), "/affirm", "affirm", tap(plan_of(swapped)))
    assert quantities(db, clock) == {**R001, "白沙(软)": 6}


async def test_english_corrections_make_it_four_then_add_two_more(db, clock) -> None:
    chat = Chat("10001")
    await chat.say(ActionOrderChange(), "Baisha to 6 cartons", "order_change")
    four = await chat.say(ActionOrderChange(), "make it 4", "order_change")
    assert "Baisha (Hard) (白沙(硬)): 4 → 4" not in text_of(four)
    assert t("en", "order.change.nothing") in text_of(four)
    six = await chat.say(ActionOrderChange(), "no, 5 cartons", "order_change")
    assert "• Baisha (Hard) (白沙(硬)): 4 → 5 cartons" in text_of(six)
    more = await chat.say(ActionOrderChange(), "add two more", "order_change")
    assert "• Baisha (Hard) (白沙(硬)): 4 → 7 cartons" in text_of(more)


async def test_a_correction_that_changes_nothing_drops_the_old_plan(db, clock) -> None:
    chat = Chat("10001")
    first = await chat.say(ActionOrderChange(), "白沙改成6条", "order_change")
    same = await chat.say(ActionOrderChange(), "I meant 4", "order_change")
    assert text_of(same).endswith(t("en", "context.plan_dropped"))
    stale = await chat.say(ActionOrderConfirm(), "/affirm", "affirm", tap(plan_of(first)))
    assert text_of(stale) == t("zh", "order.plan.cancelled")
    assert quantities(db, clock) == R001


async def test_a_correction_with_nothing_in_context_asks_which_product(db) -> None:
    messages = await Chat("10001").say(ActionOrderChange(), "改成4条", "order_change")
    assert text_of(messages) == t("zh", "context.which_product")


# ----------------------------------------------------------------------------- quantity form


async def _ask_for_liqun(chat: Chat) -> Messages:
    asked = await chat.say(ActionOrderChange(), "加点利群", "order_change")
    assert json.loads(chat.slots[QUANTITY_REQUEST_SLOT])["action"] == "add"
    chat.start_form()
    return asked


async def validated(chat: Chat, answer: str) -> Any:
    """The form's validation of ``answer`` (as Rasa's from_text mapping fills the slot)."""
    chat.history.append(Said(answer, "order_change", f"msg-{next(chat.ids)}"))
    chat.slots[QUANTITY_SLOT] = answer
    tracker = chat.tracker()
    result = ValidateOrderQuantityForm().validate_order_quantity(
        answer, CollectingDispatcher(), tracker, {}
    )
    chat.slots[QUANTITY_SLOT] = result[QUANTITY_SLOT]
    return result[QUANTITY_SLOT]


async def test_a_change_without_quantity_asks_how_many_and_plans_the_answer(db, clock) -> None:
    chat = Chat("10001")
    asked = await _ask_for_liqun(chat)
    assert text_of(asked) == t("zh", "context.ask_quantity.add", product="利群(新版)")
    assert await chat.run(ActionAskOrderQuantity()) == []  # already asked
    assert await validated(chat, "3条") is not None
    plan = await chat.run(ActionOrderQuantitySubmit())
    assert "• 利群(新版):2 → 5 条" in text_of(plan)
    assert chat.slots[QUANTITY_REQUEST_SLOT] is None
    assert quantities(db, clock) == R001


async def test_a_bad_answer_is_asked_again_politely(db) -> None:
    chat = Chat("10001")
    await _ask_for_liqun(chat)
    assert await validated(chat, "不知道呢") is None
    again = await chat.run(ActionAskOrderQuantity())
    assert text_of(again).startswith(t("zh", "context.ask_quantity.again"))
    assert "利群(新版)" in text_of(again)


async def test_cancelling_the_quantity_form_writes_nothing(db, clock) -> None:
    chat = Chat("10001")
    await _ask_for_liqun(chat)
    assert await validated(chat, "算了") == CANCELLED
    done = await chat.run(ActionOrderQuantitySubmit())
    assert text_of(done) == t("zh", "context.quantity_cancelled")
    assert chat.slots.get("order_plan") is None
    assert quantities(db, clock) == R001


async def test_the_quantity_question_in_english(db) -> None:
    chat = Chat("10001")
    asked = await chat.say(ActionOrderChange(), "I want some Liqun", "order_change")
    expected = t("en", "context.ask_quantity.set", product="Liqun (New Edition) (利群(新版))")
    assert text_of(asked) == expected
