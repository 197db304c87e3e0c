"""Yes, confirm and cancel words in typed replies (lang/confirmations.py)."""

from __future__ import annotations

import pytest

from lang.confirmations import is_cancellation, is_explicit_confirmation


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("确认", True),
        ("好的👍", True),
        ("行", True),
        ("yes", True),
        ("Go ahead!", True),
        ("确认一下", True),
        ("不确认", False),
        ("don't confirm", False),
        ("🇨", False),
        (">", False),
        (".K", False),
        ("j家学", False),
    ],
)
def test_only_words_that_say_yes_count_as_a_typed_confirmation(text: str, explicit: bool) -> None:
    assert is_explicit_confirmation(text) is explicit


@pytest.mark.parametrize(
    ("text", "cancels"),
    [
        ("取消", True),
        ("算了。", True),
        ("Never mind", True),
        ("nevermind", True),
        ("stop", True),
        ("不", False),
        ("no", False),
        ("下周二到货,取消的那批补上", False),
    ],
)
def test_only_words_that_call_it_off_count_as_a_cancellation(text: str, cancels: bool) -> None:
    assert is_cancellation(text) is cancels
