"""The policy action: sure answers, honest doubt with the manager offered, topic buttons."""

from __future__ import annotations

from actions.policy import ActionPolicy
from tests.actions.history import Said, conversation, run, tap


async def test_a_sure_answer_is_personalised_for_the_retailer(run_action) -> None:
    messages, _ = await run_action(ActionPolicy(), "10001", "订货时间是啥时候", "ask_policy")
    [message] = messages
    assert "订货日、订货时间与网上订货" in message["text"]
    assert "您的订货日是周二" in message["text"]
    assert not message["buttons"]


async def test_an_english_question_gets_the_english_text(run_action) -> None:
    messages, _ = await run_action(ActionPolicy(), "10002", "how do i spot fakes", "ask_policy")
    text = messages[0]["text"]
    assert "genuine" in text.lower() or "fake" in text.lower()
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text.replace("调包", ""))


async def test_a_quota_question_shows_the_retailers_own_quotas(run_action) -> None:
    messages, _ = await run_action(ActionPolicy(), "10001", "控量是怎么回事", "ask_policy")
    text = messages[0]["text"]
    assert "您目前是3星" in text and "芙蓉王(软蓝) 4条" in text


async def test_an_unknown_question_says_so_and_offers_the_manager(run_action) -> None:
    tracker = conversation(
        "10001", Said("你们公司年会在哪开", "ask_policy", message_id="abc123def4567890")
    )
    messages, _ = await run(ActionPolicy(), tracker)
    [message] = messages
    assert "没有把握" in message["text"] and "王经理" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[0] == '/request_send{"ref":"q:abc123def456"}'
    assert "/ask_policy" in payloads


async def test_a_possible_answer_is_hedged_with_alternatives_and_the_manager(run_action) -> None:
    tracker = conversation(
        "10001", Said("举报假烟有奖励吗", "ask_policy", message_id="m1m1m1m1m1m1")
    )
    messages, _ = await run(ActionPolicy(), tracker)
    assert messages[0]["text"].startswith("我不太确定")
    payloads = [b["payload"] for b in messages[-1]["buttons"]]
    assert '/ask_policy{"ref":"counterfeit_identification"}' in payloads
    assert '/request_send{"ref":"q:m1m1m1m1m1m1"}' in payloads


async def test_a_named_discontinued_product_makes_the_answer_sure(run_action) -> None:
    messages, _ = await run_action(ActionPolicy(), "10001", "红河为啥停了", "ask_policy")
    [message] = messages
    assert "红河(盖)已停产" in message["text"] and "时尚宏声" in message["text"]


async def test_a_topic_button_answers_that_policy(run_action) -> None:
    messages, _ = await run(
        ActionPolicy(), conversation("10001", tap("ask_policy", "counterfeit_swap_trick"))
    )
    assert "调包" in messages[0]["text"]


async def test_the_bare_intent_shows_the_topic_menu(run_action) -> None:
    messages, _ = await run_action(ActionPolicy(), "20001", "/ask_policy", "ask_policy")
    [message] = messages
    assert len(message["buttons"]) >= 10
    assert all(b["payload"].startswith('/ask_policy{"ref":') for b in message["buttons"])


async def test_a_manager_gets_general_text_and_no_offer_to_ask_themselves(run_action) -> None:
    messages, _ = await run_action(ActionPolicy(), "20001", "你们公司年会在哪开", "ask_policy")
    [message] = messages
    assert "没有把握" in message["text"]
    assert not any("request_send" in b["payload"] for b in message["buttons"])


async def test_an_unbound_sender_gets_no_policy(run_action) -> None:
    messages, _ = await run_action(ActionPolicy(), "99999", "订货时间是啥时候", "ask_policy")
    assert [m["text"] for m in messages] == ["请先绑定身份后再使用。发送 /start 查看绑定方法。"]
