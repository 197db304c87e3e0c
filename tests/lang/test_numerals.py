"""Numbers as retailers type them (lang/numerals.py)."""

from __future__ import annotations

import pytest

from lang.numerals import parse_number, replace_numerals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("十二", 12),
        ("两", 2),
        ("一百五", 150),
        ("一百零五", 105),
        ("三千五", 3500),
        ("两千五", 2500),
        ("一千二", 1200),
        ("二十五", 25),
        ("一万五千", 15000),
        ("十万", 100000),
        ("1万2", 12000),
        ("1.5万", 15000),
        ("3千5", 3500),
        ("2k", 2000),
        ("2K", 2000),
        ("1.5w", 15000),
        ("3,000", 3000),
        ("¥2000", 2000),
        ("3000块", 3000),
        ("2.5元", 2.5),
        ("二点五", 2.5),
        ("二零二六", 2026),
        ("半", 0.5),
        ("一个半", 1.5),
        ("两个", 2),
        ("12", 12),
        ("two", 2),
        ("twenty five", 25),
        ("a dozen", 12),
        ("half a", 0.5),
        ("one and a half", 1.5),
        ("3 thousand", 3000),
    ],
)
def test_parse_number_reads_chinese_mixed_and_english_forms(text: str, expected: float) -> None:
    assert parse_number(text) == expected


def test_whole_numbers_come_back_as_int_not_float() -> None:
    assert isinstance(parse_number("十二"), int)


@pytest.mark.parametrize("text", ["几", "好多", "万", "some", ""])
def test_parse_number_refuses_words_that_are_not_one_number(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("下午三点半", "下午3点半"),
        ("两天后", "2天后"),
        ("十一月五号", "11月5号"),
        ("下个月十二号", "下个月12号"),
        ("周一", "周1"),
        ("星期天", "星期天"),
    ],
)
def test_replace_numerals_rewrites_chinese_numbers_as_digits(text: str, expected: str) -> None:
    assert replace_numerals(text) == expected


def test_a_400_digit_number_is_no_number_and_crashes_nothing() -> None:
    # Money stays exact (lang.amounts reads it; retail refuses it as implausible, see
    # tests/actions/test_settlement.py); a count or a number word it is not.
    from lang.quantities import parse_quantity_phrase

    huge = "9" * 400
    assert (
        parse_number(huge),
        parse_quantity_phrase(f"{huge}条"),
        replace_numerals(f"芙蓉王{huge}条"),
    ) == (None, None, f"芙蓉王{huge}条")


def test_estimates_are_ranges_not_numbers() -> None:
    from lang.numerals import parse_range

    assert [(parse_number(t), parse_range(t)) for t in ("两三", "七八", "三五", "十七八")] == [
        (None, (2, 3)),
        (None, (7, 8)),
        (None, (3, 5)),
        (None, (17, 18)),
    ]
