"""Help, out-of-scope and fallback replies: helpful, in the user's language, with the menu."""

from __future__ import annotations

from sqlalchemy import select

from actions.chitchat import (
    ActionAck,
    ActionFallback,
    ActionHelp,
    ActionOutOfScope,
    ActionSetLanguage,
)
from retail.i18n import t
from retail.models import User
from tests.actions.history import Bot, Said, conversation, run


async def test_help_lists_what_a_retailer_can_do_as_buttons(run_action) -> None:
    messages, _ = await run_action(ActionHelp(), "10001", "你能做什么", "help")
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == [
        "/ask_price",
        "/order_show",
        "/settlement_status",
        "/ask_policy",
        "/reminder_prefs",
        "/contact_manager",
    ]


async def test_a_manager_gets_only_what_applies_to_managers(run_action) -> None:
    messages, _ = await run_action(ActionHelp(), "20001", "help", "help")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/ask_price", "/ask_policy"]
    assert messages[0]["text"].startswith("I can help you")


async def test_out_of_scope_says_so_in_english_and_offers_the_menu(run_action) -> None:
    messages, _ = await run_action(
        ActionOutOfScope(), "10001", "what's the weather like", "out_of_scope"
    )
    assert messages[0]["text"].startswith("Sorry, I can't help with that.")
    assert messages[0]["buttons"][0]["title"] == "💰 Prices"


async def test_fallback_answers_a_plain_policy_question(run_action) -> None:
    messages, _ = await run_action(ActionFallback(), "10001", "调包是啥意思", "nlu_fallback")
    assert "调包" in messages[0]["text"] and "📋" in messages[0]["text"]


async def test_fallback_prices_a_bare_product_name(run_action) -> None:
    messages, _ = await run_action(ActionFallback(), "10001", "硬芙", "nlu_fallback")
    assert "芙蓉王(硬)" in messages[0]["text"] and "批发价" in messages[0]["text"]


async def test_fallback_for_nonsense_is_honest_and_helpful(run_action) -> None:
    for text in ("🙂🙂🙂", "<script>alert(1)</script>", "'; DROP TABLE orders; --"):
        messages, _ = await run_action(ActionFallback(), "10001", text, "nlu_fallback")
        assert messages[0]["text"] in {t("zh", "fallback"), t("en", "fallback")}
        assert messages[0]["buttons"]


async def test_a_named_language_is_chosen_and_confirmed_in_it(run_action, db) -> None:
    messages, _ = await run_action(ActionSetLanguage(), "10001", "说英文", "set_language")
    assert messages[0]["text"] == t("en", "language.set")
    with db.session() as session:
        user = session.scalar(select(User).where(User.telegram_user_id == 10001))
        assert user is not None and (user.language, user.language_pinned) == ("en", True)


async def test_a_message_naming_no_language_asks_and_pins_nothing(run_action, db) -> None:
    messages, _ = await run_action(
        ActionSetLanguage(), "10001", "Привет, как дела?", "set_language"
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/set_language{"ref":"zh"}',
        '/set_language{"ref":"en"}',
    ]
    with db.session() as session:
        user = session.scalar(select(User).where(User.telegram_user_id == 10001))
        assert user is not None and not user.language_pinned


OFFER = Bot(
    "您说已存入 ¥2,000.00 ... 确认吗?",
    [
        {"title": "✅ 确认已存入", "payload": '/deposit_confirm{"ref":"2000.00:abc"}'},
        {"title": "取消", "payload": "/pending_cancel"},
    ],
)


async def test_a_typed_no_after_an_offer_cancels_it(run_action) -> None:
    tracker = conversation(
        "10001", Said("刚存了2000", "payment_notice"), OFFER, Said("不用了", "deny")
    )
    messages, _ = await run(ActionAck(), tracker)
    assert messages[0]["text"] == "好的,已取消,没有做任何更改。"


async def test_a_yes_with_no_offer_is_just_acknowledged(run_action) -> None:
    messages, _ = await run_action(ActionAck(), "10001", "好的", "affirm")
    assert messages[0]["text"] == "好的。"
