"""The message catalogs and the formatting every reply relies on."""

from __future__ import annotations

import string
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from retail.i18n import catalog, format_datetime, format_money, reply_language, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_zh_and_en_catalogs_have_the_same_keys() -> None:
    assert set(catalog("zh")) == set(catalog("en"))


def test_every_message_takes_the_same_parameters_in_both_languages() -> None:
    mismatched = [
        k for k in catalog("zh") if _fields(catalog("zh")[k]) != _fields(catalog("en")[k])
    ]
    assert mismatched == []


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("1234"), "¥1,234.00"),
        (Decimal("0.5"), "¥0.50"),
        (Decimal("1234567.891"), "¥1,234,567.89"),
        (Decimal("-12.5"), "-¥12.50"),
        (0, "¥0.00"),
    ],
)
def test_money_shows_yuan_with_thousands_and_two_decimals(amount: Decimal, expected: str) -> None:
    assert format_money(amount) == expected


def test_a_message_without_words_is_answered_in_the_saved_language() -> None:
    assert reply_language(None, "en") == "en"
    assert reply_language(None, None) == "zh"
    assert reply_language("en", "zh") == "en"


def test_times_are_shown_in_shanghai() -> None:
    moment = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    assert format_datetime(moment, "zh") == "11月24日(周二) 16:00"
    assert format_datetime(moment, "en") == "Tue 24 Nov 16:00"


def test_missing_parameter_raises_instead_of_showing_braces() -> None:
    with pytest.raises(KeyError):
        t("zh", "greet")
