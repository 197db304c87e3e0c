"""Token splitting for the Jieba tokenizer (lang/splitting.py)."""

from __future__ import annotations

import pytest

from lang.splitting import split_numerals


@pytest.mark.parametrize(
    ("token", "pieces"),
    [
        ("两条", [("两", 0), ("条", 1)]),
        ("十二条", [("十二", 0), ("条", 2)]),
        ("3000块", [("3000", 0), ("块", 4)]),
        ("上一条", [("上", 0), ("一", 1), ("条", 2)]),
        ("200条", [("200", 0), ("条", 3)]),
        ("半件", [("半", 0), ("件", 1)]),
    ],
)
def test_numerals_split_from_units_and_digits_from_words(
    token: str, pieces: list[tuple[str, int]]
) -> None:
    assert split_numerals(token) == pieces


@pytest.mark.parametrize(
    "token", ["周四", "一下", "一样", "三张", "条件", "两千五", "2k", "Furongwang"]
)
def test_words_with_a_numeral_but_no_unit_stay_whole(token: str) -> None:
    assert split_numerals(token) == [(token, 0)]
