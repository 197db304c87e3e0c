"""Yes, confirm and cancel words in typed replies (lang/confirmations.py)."""

from __future__ import annotations

import pytest

from lang.confirmations import is_cancellation, is_correction, is_explicit_confirmation


@pytest.mark.parametrize(
    ("text", "explicit"),
    [
        ("确认", True),
        ("好的👍", True),
        ("行", True),
        ("yes", True),
        ("Go ahead!", True),
        ("确认一下", True),
        ("保存", True),
        ("好的,保存", True),
        ("存吧", True),
        ("Save it.", True),
        ("save", True),
        ("不保存", False),
        ("怎么保存", False),
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
        ("不要了", True),
        ("算了吧", True),
        ("Forget it", True),
        ("不要", False),
        ("不", False),
        ("no", False),
        ("下周二到货,取消的那批补上", False),
    ],
)
def test_only_words_that_call_it_off_count_as_a_cancellation(text: str, cancels: bool) -> None:
    assert is_cancellation(text) is cancels


@pytest.mark.parametrize(
    ("text", "corrects"),
    [
        ("不对 是4条", True),
        ("不对,改成四条", True),
        ("no, make it 4", True),
        ("No, 4 cartons", True),
        ("不对", False),
        ("不要了", False),
        ("no thanks", False),
    ],
)
def test_a_no_that_gives_a_figure_is_a_correction(text: str, corrects: bool) -> None:
    assert is_correction(text) is corrects
