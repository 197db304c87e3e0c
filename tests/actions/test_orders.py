"""The order actions through trackers: what the user reads, the buttons, the slot, the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from actions.orders import (
    ActionOrderCancel,
    ActionOrderChange,
    ActionOrderConfirm,
    ActionOrderRepeatLast,
    ActionOrderShow,
)
from actions.runtime import Runtime, configure
from retail import access
from retail.clock import FixedClock
from retail.db import Database
from retail.models import Order, OrderAudit, Product
from retail.orders import LineRequest, apply_order_change, open_order, plan_order_change
from tests.actions.history import bot_metadata
from tests.conftest import NOW
from tests.seeded import fresh_copy, seeded_template
from trust import secret_from_env

Messages = list[dict[str, Any]]
Events = list[dict[str, Any]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_template(tmp_path_factory.mktemp("order-actions"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def db(template: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Database]:
    """A fresh copy of the seeded demo database, used by the actions for this test."""
    database = fresh_copy(template, tmp_path)
    configure(Runtime(database, clock, secret_from_env()))
    yield database
    configure(None)
    database.dispose()


async def run(
    action: Action,
    sender: str,
    text: str,
    intent: str,
    *,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    update_id: int = 1,
    message_time: datetime | None = None,
) -> tuple[Messages, Events]:
    """Run ``action`` for a message as the action server would; returns (messages, events).
    ``message_time`` is the Telegram date the bot passes along (kept when a retry replays)."""
    written = message_time.isoformat() if message_time is not None else None
    metadata = bot_metadata(sender, text, update_id, message_time=written)
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "message_id": "rasa-msg",
        "metadata": metadata,
    }
    tracker = Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def quantities(db: Database, clock: FixedClock, user: int = 10001) -> dict[str, int]:
    with db.session() as session:
        retailer_id = access.principal_for(session, user).retailer_id
        assert retailer_id is not None
        order = open_order(session, retailer_id, clock=clock)
        assert order is not None
        specs = {p.id: p.spec for p in session.scalars(select(Product))}
        return {specs[line.product_id]: line.quantity for line in order.lines}


def plan_slot(events: Events) -> Any:
    [value] = [e["value"] for e in events if e.get("event") == "slot" and e["name"] == "order_plan"]
    return value


def confirm_payload(messages: Messages) -> tuple[str, str]:
    """The confirm button's payload and the plan id in it."""
    buttons = messages[-1]["buttons"]
    payload = buttons[0]["payload"]
    match = re.fullmatch(r'/affirm\{"plan":"([\w-]+)"\}', payload)
    assert match, payload
    assert buttons[1]["payload"] == payload.replace("/affirm", "/deny")
    assert len(payload.encode()) <= 64  # fits Telegram's callback data as is
    return payload, match.group(1)


def plan_entity(plan_id: str) -> list[dict[str, Any]]:
    return [{"entity": "plan", "value": plan_id}]


R001 = {"芙蓉王(硬)": 5, "白沙(硬)": 4, "利群(新版)": 2, "中华(硬)": 3, "双喜(硬)": 2}


async def test_the_order_is_shown_in_chinese_with_prices_totals_window_and_shortfall(db) -> None:
    messages, _ = await run(ActionOrderShow(), "10001", "看看我这周的订单", "order_show")
    text = messages[0]["text"]
    assert "本周订单(2026-W48)· 可修改" in text
    assert "• 芙蓉王(硬):5 条 × ¥226.00 = ¥1,130.00" in text
    assert "合计:¥3,059.00" in text
    assert "还需存入 ¥359.00" in text
    assert "订货窗口:11月23日(周一) 10:30 至 11月30日(周一) 10:30" in text
    assert "扣款时间:11月30日(周一) 12:30" in text


async def test_the_order_is_shown_in_english(db) -> None:
    messages, _ = await run(ActionOrderShow(), "10001", "show my order", "order_show")
    text = messages[0]["text"]
    assert "This week's order (2026-W48) · open for changes" in text
    assert "• Furongwang (Hard) (芙蓉王(硬)): 5 cartons × ¥226.00 = ¥1,130.00" in text
    assert "Total: ¥3,059.00" in text
    assert "订单" not in text


async def test_a_change_is_shown_for_confirmation_and_writes_nothing(db, clock) -> None:
    messages, events = await run(
        ActionOrderChange(), "10001", "白沙改成3条,芙蓉王再加2条", "order_change"
    )
    text = messages[-1]["text"]
    assert "• 白沙(硬):4 → 3 条" in text
    assert "• 芙蓉王(硬):5 → 7 条" in text
    assert "订单合计:¥3,059.00 → ¥3,447.50" in text
    assert "还差 ¥747.50" in text
    [confirm, cancel] = [b["title"] for b in messages[-1]["buttons"]]
    assert (confirm, cancel) == ("✅ 确认修改", "❌ 取消")
    _, plan_id = confirm_payload(messages)
    assert plan_slot(events) == plan_id
    assert quantities(db, clock) == R001


async def test_confirming_with_the_button_applies_once_and_audits(db, clock) -> None:
    messages, _ = await run(
        ActionOrderChange(), "10001", "白沙改成3条,芙蓉王再加2条", "order_change"
    )
    _, plan_id = confirm_payload(messages)
    slots = {"order_plan": plan_id}
    tapped, events = await run(
        ActionOrderConfirm(),
        "10001",
        f'/affirm{{"plan":"{plan_id}"}}',
        "affirm",
        entities=plan_entity(plan_id),
        slots=slots,
        update_id=77,
    )
    text = tapped[0]["text"]
    assert text.startswith("✅ 订单已修改:")
    assert "新的订单合计:¥3,447.50" in text
    assert plan_slot(events) is None
    assert quantities(db, clock) == {**R001, "白沙(硬)": 3, "芙蓉王(硬)": 7}
    with db.session() as session:
        assert {row.source_message for row in session.scalars(select(OrderAudit))} == {"tg:77"}

    again, _ = await run(
        ActionOrderConfirm(),
        "10001",
        "/affirm",
        "affirm",
        entities=plan_entity(plan_id),
    )
    assert again[0]["text"].startswith("这次修改已经提交过了")
    assert quantities(db, clock)["芙蓉王(硬)"] == 7


async def test_a_typed_confirmation_applies_the_remembered_plan(db, clock) -> None:
    _, events = await run(ActionOrderChange(), "10001", "硬芙加两条", "order_change")
    done, _ = await run(
        ActionOrderConfirm(), "10001", "确认", "affirm", slots={"order_plan": plan_slot(events)}
    )
    assert done[0]["text"].startswith("✅ 订单已修改")
    assert quantities(db, clock)["芙蓉王(硬)"] == 7


async def test_cancelling_leaves_the_order_alone_and_the_plan_unusable(db, clock) -> None:
    messages, events = await run(ActionOrderChange(), "10001", "去掉双喜", "order_change")
    _, plan_id = confirm_payload(messages)
    cancelled, events = await run(
        ActionOrderCancel(), "10001", "算了", "deny", slots={"order_plan": plan_id}
    )
    assert cancelled[0]["text"] == "好的,已取消这次修改,订单没有变动。"
    assert plan_slot(events) is None
    late, _ = await run(
        ActionOrderConfirm(),
        "10001",
        "/affirm",
        "affirm",
        entities=plan_entity(plan_id),
    )
    assert late[0]["text"].startswith("这次修改已经取消了")
    assert quantities(db, clock) == R001


async def test_a_stale_button_is_refused_politely_and_the_newer_one_still_works(db, clock) -> None:
    first, _ = await run(ActionOrderChange(), "10001", "白沙加2条", "order_change")
    _, old_id = confirm_payload(first)
    _, events = await run(ActionOrderChange(), "10001", "白沙加3条", "order_change")
    new_id = plan_slot(events)
    stale, stale_events = await run(
        ActionOrderConfirm(),
        "10001",
        "/affirm",
        "affirm",
        entities=plan_entity(old_id),
        slots={"order_plan": new_id},
    )
    assert "被您后来的修改取代" in stale[0]["text"]
    assert plan_slot(stale_events) is None
    assert quantities(db, clock) == R001
    newer, _ = await run(
        ActionOrderConfirm(), "10001", "/affirm", "affirm", entities=plan_entity(new_id)
    )
    assert newer[0]["text"].startswith("✅ 订单已修改")
    assert quantities(db, clock)["白沙(硬)"] == 7


async def test_a_quota_rejection_is_explained_and_the_other_line_still_goes_ahead(db) -> None:
    messages, _ = await run(ActionOrderChange(), "10001", "硬中华加5条,双喜加1条", "order_change")
    text = messages[-1]["text"]
    assert "• 双喜(硬):2 → 3 条" in text
    assert "以下未能修改:" in text
    assert "• 中华(硬):控量品规,您是 3 星级,每单最多 5 条,最多可改为 5 条。" in text
    assert messages[-1]["buttons"]


async def test_when_every_line_is_rejected_there_is_nothing_to_confirm(db) -> None:
    messages, events = await run(ActionOrderChange(), "10001", "红河加2条", "order_change")
    text = messages[-1]["text"]
    assert text.startswith("这次没有可以修改的内容")
    assert "• 红河(盖):已停产,不能再订。可以改订替代品规 时尚宏声。" in text
    assert not messages[-1].get("buttons")
    assert plan_slot(events) is None


async def test_part_packs_and_stock_are_explained_in_english(db) -> None:
    messages, _ = await run(
        ActionOrderChange(),
        "10001",
        "add 25 packs of Baisha and 20 cartons of Tianye",
        "order_change",
    )
    text = messages[-1]["text"]
    assert "25 packs is not whole cartons (1 carton = 10 packs)" in text
    assert "You could make it 20 or 30 packs (3 cartons)" in text
    assert (
        "Huangjinye (Tianye) (黄金叶(天叶)): only 12 cartons in stock, so at most 12 cartons"
        in text
    )


async def test_an_english_change_is_confirmed_in_english(db) -> None:
    messages, _ = await run(
        ActionOrderChange(), "10001", "add 2 cartons of Baisha and remove Shuangxi", "order_change"
    )
    text = messages[-1]["text"]
    assert "• Baisha (Hard) (白沙(硬)): 4 → 6 cartons" in text
    assert "• Shuangxi (Hard) (双喜(硬)): 2 → removed" in text
    assert [b["title"] for b in messages[-1]["buttons"]] == ["✅ Confirm", "❌ Cancel"]


async def test_a_closed_window_says_when_it_opens_next(db, clock) -> None:
    with db.session() as session:
        session.execute(update(Order).values(closes_at=NOW - timedelta(minutes=1)))
    messages, events = await run(ActionOrderChange(), "10001", "白沙加2条", "order_change")
    assert messages[0]["text"] == (
        "本周订货已截止,现在不能修改订单。下次订货窗口 12月1日(周二) 09:00 开放,到时再改即可。"
    )
    assert plan_slot(events) is None


async def test_a_message_without_a_product_is_asked_about(db) -> None:
    messages, _ = await run(ActionOrderChange(), "10001", "我要改订单", "order_change")
    assert messages[0]["text"].startswith("您想改哪个品规、改成多少?")


async def test_same_as_last_week_lists_the_changes_for_confirmation(db, clock) -> None:
    messages, events = await run(
        ActionOrderRepeatLast(), "10001", "跟上周一样", "order_repeat_last"
    )
    text = messages[-1]["text"]
    assert text.startswith("照上周的订单,需要做以下修改,请确认:")
    assert "• 白沙(精品):新增 2 条" in text
    assert "• 双喜(硬):2 → 删除" in text
    assert plan_slot(events)
    assert quantities(db, clock) == R001


async def test_same_as_last_week_explains_a_discontinued_product(db) -> None:
    messages, _ = await run(ActionOrderRepeatLast(), "10003", "照旧", "order_repeat_last")
    assert "红河(盖):已停产" in messages[-1]["text"]


async def test_another_shops_plan_cannot_be_confirmed(db, clock) -> None:
    messages, _ = await run(ActionOrderChange(), "10002", "白沙加2条", "order_change")
    _, theirs = confirm_payload(messages)
    refused, _ = await run(
        ActionOrderConfirm(),
        "10001",
        "/affirm",
        "affirm",
        entities=plan_entity(theirs),
    )
    assert refused[0]["text"] == "抱歉,您只能查看自己负责或自己店铺的信息。"
    assert (
        quantities(db, clock, user=10002)["白沙(精品)"] == 5
    )  # 白沙 meant the spec on R002's order
    with db.session() as session:
        assert session.scalars(select(OrderAudit)).all() == []


async def test_strangers_and_managers_change_nothing(db) -> None:
    stranger, _ = await run(ActionOrderChange(), "99999", "白沙加2条", "order_change")
    assert stranger[0]["text"].startswith("请先绑定身份")
    manager, _ = await run(ActionOrderChange(), "20001", "白沙加2条", "order_change")
    assert manager[0]["text"] == "抱歉,这项功能不适用于您的账号类型。"


@pytest.mark.parametrize(
    "text",
    [
        "😀" * 3000,
        "<b>白沙</b>加99999999999999999999条",
        "'; DELETE FROM order_lines; --",
        "x" * 5000,
    ],
)
async def test_odd_messages_get_a_polite_reply_and_change_nothing(db, clock, text: str) -> None:
    messages, _ = await run(ActionOrderChange(), "10001", text, "order_change")
    assert messages and messages[-1]["text"]
    assert "Traceback" not in messages[-1]["text"]
    assert quantities(db, clock) == R001


async def test_an_emoji_taken_for_an_affirm_only_offers_the_plan_again(db, clock) -> None:
    _, events = await run(ActionOrderChange(), "10001", "白沙改成3条", "order_change")
    plan_id = plan_slot(events)
    unclear, unclear_events = await run(
        ActionOrderConfirm(), "10001", "🇨", "affirm", slots={"order_plan": plan_id}
    )
    assert unclear[0]["text"].startswith("要提交这次订单修改,请点下面的「确认修改」")
    assert confirm_payload(unclear)[1] == plan_id
    assert plan_slot(unclear_events) == plan_id
    assert quantities(db, clock) == R001
    done, _ = await run(
        ActionOrderConfirm(), "10001", "确认", "affirm", slots={"order_plan": plan_id}
    )
    assert done[0]["text"].startswith("✅ 订单已修改")
    assert quantities(db, clock)["白沙(硬)"] == 3


# ----------------------------------------------------------------------------- what the user saw


def _product(session: Session, spec: str) -> int:
    product_id = session.scalar(select(Product.id).where(Product.spec == spec))
    assert product_id is not None
    return product_id


def _manager_sets_furongwang_to_8(db: Database) -> None:
    """A back-office edit of R001's order (it bumps the order's version as every edit does)."""
    with db.session() as session:
        retailer_id = access.principal_for(session, 10001).retailer_id
        order = session.scalar(
            select(Order).where(Order.retailer_id == retailer_id, Order.cycle == "2026-W48")
        )
        assert order is not None
        line = next(
            line for line in order.lines if line.product_id == _product(session, "芙蓉王(硬)")
        )
        line.quantity = 8
        flag_modified(order, "status")


async def test_a_replayed_yes_typed_before_a_newer_plan_only_offers_that_plan(db, clock) -> None:
    """P1 offered; 确认 typed at t0 but lost in a Rasa outage; a new change offers P2 at t1;
    the bot's retry replays the 确认 (message_time t0): the order stays, P2 is offered again."""
    await run(ActionOrderChange(), "10001", "芙蓉王再加2条", "order_change")
    typed_at = clock.now() + timedelta(seconds=30)
    clock.advance(timedelta(minutes=2))
    offered, events = await run(ActionOrderChange(), "10001", "白沙改成3条", "order_change")
    _, p2 = confirm_payload(offered)
    clock.advance(timedelta(minutes=10))
    replayed, replay_events = await run(
        ActionOrderConfirm(),
        "10001",
        "确认",
        "affirm",
        slots={"order_plan": plan_slot(events)},
        update_id=41,
        message_time=typed_at,
    )
    assert quantities(db, clock) == R001
    assert replayed[0]["text"].startswith("您的「确认」是在下面这份修改方案发出之前写的")
    assert "• 白沙(硬):4 → 3 条" in replayed[-1]["text"]
    assert confirm_payload(replayed)[1] == p2
    assert plan_slot(replay_events) == p2
    with db.session() as session:
        assert session.scalars(select(OrderAudit)).all() == []

    now, _ = await run(
        ActionOrderConfirm(),
        "10001",
        "确认",
        "affirm",
        slots={"order_plan": p2},
        update_id=42,
        message_time=clock.now(),
    )
    assert now[0]["text"].startswith("✅ 订单已修改")
    assert quantities(db, clock) == {**R001, "白沙(硬)": 3}


async def test_a_typed_yes_with_no_plan_in_the_slot_applies_nothing(db, clock) -> None:
    messages, _ = await run(ActionOrderChange(), "10001", "芙蓉王再加2条", "order_change")
    _, pending = confirm_payload(messages)
    unnamed, events = await run(
        ActionOrderConfirm(), "10001", "确认", "affirm", message_time=clock.now()
    )
    assert quantities(db, clock) == R001
    assert unnamed[0]["text"].startswith("您还没有确认下面这份修改,订单没有变动")
    assert confirm_payload(unnamed)[1] == pending
    assert plan_slot(events) == pending

    await run(ActionOrderCancel(), "10001", "算了", "deny", slots={"order_plan": pending})
    nothing, events = await run(ActionOrderConfirm(), "10001", "确认", "affirm")
    assert nothing[0]["text"].startswith("没有待确认的订单修改")
    assert not nothing[0].get("buttons")
    assert plan_slot(events) is None
    assert quantities(db, clock) == R001


async def test_a_tap_after_the_manager_changed_the_order_offers_the_change_again(db, clock) -> None:
    messages, _ = await run(ActionOrderChange(), "10001", "芙蓉王再加2条", "order_change")
    _, stale = confirm_payload(messages)
    _manager_sets_furongwang_to_8(db)
    tapped, events = await run(
        ActionOrderConfirm(), "10001", "/affirm", "affirm", entities=plan_entity(stale)
    )
    assert quantities(db, clock) == {**R001, "芙蓉王(硬)": 8}
    assert tapped[0]["text"].startswith("在您确认之前订单已有变动")
    assert "• 芙蓉王(硬):8 → 10 条" in tapped[-1]["text"]
    _, fresh = confirm_payload(tapped)
    assert fresh != stale
    assert plan_slot(events) == fresh
    with db.session() as session:
        assert session.scalars(select(OrderAudit)).all() == []

    again, _ = await run(
        ActionOrderConfirm(), "10001", "/affirm", "affirm", entities=plan_entity(stale)
    )
    assert "被您后来的修改取代" in again[0]["text"]
    done, _ = await run(
        ActionOrderConfirm(), "10001", "/affirm", "affirm", entities=plan_entity(fresh)
    )
    assert done[0]["text"].startswith("✅ 订单已修改")
    assert quantities(db, clock) == {**R001, "芙蓉王(硬)": 10}


async def test_a_typed_yes_after_another_change_was_applied_applies_nothing(db, clock) -> None:
    """The plan in the slot was made before another confirmed change moved the order."""
    _, events = await run(ActionOrderChange(), "10001", "双喜加1条", "order_change")
    slot = plan_slot(events)
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        liqun = LineRequest(_product(session, "利群(新版)"), "add", 1)
        other = plan_order_change(session, principal, [liqun], clock=clock)
        apply_order_change(session, principal, other, "tg:elsewhere", clock=clock)
    typed, events = await run(
        ActionOrderConfirm(),
        "10001",
        "确认",
        "affirm",
        slots={"order_plan": slot},
        message_time=clock.now(),
    )
    assert quantities(db, clock) == {**R001, "利群(新版)": 3}
    assert typed[0]["text"].startswith("在您确认之前订单已有变动")
    assert "• 双喜(硬):2 → 3 条" in typed[-1]["text"]
    assert plan_slot(events) not in (None, slot)
