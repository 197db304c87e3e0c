"""Typed messages never pass for button taps."""

from __future__ import annotations

import pytest

from bot.handlers import typed_text


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ('/deposit_confirm{"ref":"2000.00:abc"}', 'deposit_confirm{"ref":"2000.00:abc"}'),
        ("//prefs_confirm", "prefs_confirm"),
        ("/help", "help"),
        ("/", "/"),
        ("芙蓉王多少钱", "芙蓉王多少钱"),
        ("a/b", "a/b"),
        ('/ /prefs_confirm{"ref":"t=0900"}', 'prefs_confirm{"ref":"t=0900"}'),
        ("\u3000/deposit_confirm", "deposit_confirm"),
        ("\uff0fdeposit_confirm", "deposit_confirm"),
        ("\u200b/affirm", "affirm"),
        ("\ufeff /affirm", "affirm"),
        ("芙蓉王\u200b多少钱", "芙蓉王多少钱"),
        ("第一行\n第二行", "第一行\n第二行"),
    ],
)
def test_a_typed_payload_loses_its_slash_so_rasa_reads_it_as_words(typed: str, sent: str) -> None:
    assert typed_text(typed) == sent
