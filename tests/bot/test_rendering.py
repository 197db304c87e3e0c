"""Rasa replies become as few Telegram messages as possible, buttons under their text."""

from __future__ import annotations

from bot.rasa_client import RasaButton, RasaReply
from bot.rendering import MAX_TEXT, callback_data, payload_of, to_messages


def test_consecutive_texts_merge_into_one_message() -> None:
    messages = to_messages([RasaReply("第一行"), RasaReply("第二行")], {})
    assert [m.text for m in messages] == ["第一行\n\n第二行"]


def test_buttons_sit_under_the_text_that_asked_for_them() -> None:
    buttons = [RasaButton("确认", "/affirm"), RasaButton("取消", "/deny")]
    messages = to_messages([RasaReply("改成3条?", buttons), RasaReply("另外一句")], {})
    keyboard = messages[0].keyboard
    assert [m.text for m in messages] == ["改成3条?", "另外一句"]
    assert keyboard is not None
    assert [row[0].callback_data for row in keyboard.inline_keyboard] == ["/affirm", "/deny"]


def test_long_payloads_are_stored_and_found_again() -> None:
    store: dict[str, str] = {}
    payload = '/order_change{"product": "芙蓉王(硬)", "quantity": 3, "unit": "条"}'
    data = callback_data(payload, store)
    assert len(data.encode()) <= 64
    assert payload_of(data, store) == payload
    assert payload_of(data, {}) is None


def test_text_over_telegrams_limit_is_split() -> None:
    text = "\n".join(["一行文字" * 50] * 40)
    messages = to_messages([RasaReply(text)], {})
    assert len(messages) > 1
    assert all(len(m.text) <= MAX_TEXT for m in messages)
    assert "".join(m.text for m in messages).replace("\n", "") == text.replace("\n", "")
