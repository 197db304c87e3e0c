"""Whole numbers as retailers type them: digits, Chinese numerals and small English words.

Order messages say 两条, 十二条, 一百五 (150, the spoken short form), 1万2, "two cartons" or
"12"; :func:`parse_number` turns one such token into an ``int``. It is deliberately small: no
decimals or fractions, because order quantities are whole 条, 包 or 件.
"""

from __future__ import annotations

import re

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "仨": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_MYRIAD = "万"
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS) + CN_MYRIAD

EN_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}

_DIGITS = re.compile(r"\d+")


def _below_myriad(text: str) -> int | None:
    """A numeral under 10,000: 十二, 二十, 一百零五, 一百五 (= 150), 三千五 (= 3,500), 3千5."""
    if text.isdigit():
        return int(text)
    total = 0
    digit: int | None = None
    last_unit = 10_000
    after_zero = False
    for char in text:
        if char in "零〇" or char == "0":
            after_zero = True
        elif char in CN_DIGITS or char.isdigit():
            if digit is not None:
                return None  # 两三 is a range, not a number
            digit = CN_DIGITS[char] if char in CN_DIGITS else int(char)
        elif char in CN_UNITS:
            unit = CN_UNITS[char]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit, after_zero = None, unit, False
        else:
            return None
    if digit is not None:
        # Spoken short form: 一百五 is 150 and 三千五 is 3,500; after 零 it is plain units.
        short = not after_zero and 10 < last_unit < 10_000
        total += digit * (last_unit // 10 if short else 1)
    return total


def parse_number(token: str) -> int | None:
    """The whole number a token stands for, or None if it is not one.

    >>> [parse_number(t) for t in ("12", "两", "十二", "一百五", "1万2", "twenty", "两三")]
    [12, 2, 12, 150, 12000, 20, None]
    """
    text = token.strip().lower()
    if not text:
        return None
    if _DIGITS.fullmatch(text):
        return int(text)
    if text in EN_WORDS:
        return EN_WORDS[text]
    if any(char not in CN_NUMERAL_CHARS and not char.isdigit() for char in text):
        return None
    if CN_MYRIAD in text:
        high, _, low = text.partition(CN_MYRIAD)
        if CN_MYRIAD in low:
            return None
        upper = _below_myriad(high) if high else 1
        if upper is None:
            return None
        if low and (low.isdigit() or low in CN_DIGITS) and len(low) == 1:
            lower: int | None = parse_number(low)
            return None if lower is None else upper * 10_000 + lower * 1000  # 1万2 = 12,000
        lower = _below_myriad(low)
        return None if lower is None else upper * 10_000 + lower
    return _below_myriad(text)
