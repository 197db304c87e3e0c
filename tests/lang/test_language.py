"""Which language a message is written in (lang/language.py)."""

from __future__ import annotations

import pytest

from lang.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("芙蓉王硬多少钱一条", "zh"),
        ("how much is Liqun", "en"),
        ("Liqun多少钱", "zh"),
        ("12345", None),
        ("👍", None),
        ("/affirm", None),
        ("", None),
    ],
)
def test_language_is_detected_from_the_message(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected
