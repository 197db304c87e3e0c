"""Numbers as retailers type them: Chinese numerals, digits, and the mixed forms in between.

Retailers and managers write 十二, 两, 一百五 (150, not 105), 三千五, 1万2 (12,000), 1.5万, 2k,
"3,000", ¥2000 and "two"; voice typing produces any of these for the same spoken number. This
module turns one such expression into a number. It does not import Rasa, so it is tested in the
app environment and reused by the time and quantity normalisers.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

Number = int | float

_DIGITS = {
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
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
# Latin shorthands people use after digits: 2k, 1.5w (万 from its pinyin "wan").
_SHORTHAND = {"k": "千", "w": "万"}
_EN_WORDS = {
    "zero": 0,
    "a": 1,
    "an": 1,
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
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
    "couple": 2,
}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "k": 1000, "million": 1_000_000}

CN_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)
EN_WORD_VALUES: dict[str, int] = dict(_EN_WORDS)
"""English number words and their values (a and an count one, a dozen twelve)."""
EN_NUMBER_WORDS = frozenset(_EN_WORDS) - {"a", "an"}
"""English words that are a number on their own (two, twenty, dozen), for readers that look
for counts in a sentence ("a" and "an" count only before a unit, which such readers check)."""
MAX_DIGITS = 15
"""Longest digit run read as a number: beyond it no order, stock count or amount is meant,
and a 400-digit paste must not cost time or overflow a float."""
# Neighbouring digits said together are an estimate, not a number: 两三条 is "two or three",
# 七八条 "seven or eight", 三五条 "three to five" (a fixed phrase).
_RANGE_PAIRS = {(a, a + 1) for a in range(1, 9)} | {(3, 5)}
# A run that can be a number: starts with a digit (or 十, as in 十二), then digits and
# multipliers. 点 is left out: in time expressions it means o'clock, not a decimal point.
NUMBER_RUN = re.compile(
    rf"(?:\d+(?:\.\d+)?|[{''.join(_DIGITS)}十])(?:\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}])*"
    r"(?:[kKwW](?![a-zA-Z]))?"
)
_CURRENCY = re.compile(r"^(?:¥|￥|rmb|cny)\s*|\s*(?:块钱|块|元|圆|rmb|cny|yuan|kuai)$")
_FILLER = re.compile(r"(?:个|来|多|左右|整)$")
_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]")


def as_number(value: Fraction | float) -> Number:
    """An int when the value is whole (12, not 12.0), else a float rounded to 4 places."""
    if float(value).is_integer():
        return int(value)
    return round(float(value), 4)


def _normalise(text: str) -> str:
    """Full-width to half-width, lower case, no spaces or thousands separators."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return re.sub(r"\s+", " ", text)


def _parse_chinese(text: str) -> Fraction | None:
    """Chinese numerals mixed with digits: 十二, 一百五 (150), 1万2 (12,000), 三千五, 1.5万.

    The usual section algorithm, plus the spoken elision: a single trailing digit after a
    multiplier counts one place lower (一百五 = 150, 1万2 = 12,000), unless a 零 came between
    (一百零五 = 105).
    """
    integer, _, fraction = text.partition("点")
    if fraction:
        if not all(ch in _DIGITS or ch.isdigit() for ch in fraction):
            return None
        decimals = "".join(str(_DIGITS.get(ch, ch)) for ch in fraction)
        whole = _parse_chinese(integer) if integer else Fraction(0)
        return None if whole is None else whole + Fraction(f"0.{decimals}")
    tokens = _TOKEN.findall(text)
    if not tokens or "".join(tokens) != text:
        return None
    total = Fraction(0)
    section = Fraction(0)
    number: Fraction | None = None
    last_unit = 0
    zero_since_unit = False
    previous_was_digit = False
    for token in tokens:
        if token in _SMALL_UNITS:
            unit = _SMALL_UNITS[token]
            section += (number if number is not None else 1) * unit
            number, last_unit, zero_since_unit, previous_was_digit = None, unit, False, False
        elif token in _BIG_UNITS:
            unit = _BIG_UNITS[token]
            if number is None and not section:
                return None  # a lone 万 is not a number
            section += number if number is not None else 0
            total += section * unit
            section, number, last_unit = Fraction(0), None, unit
            zero_since_unit, previous_was_digit = False, False
        elif token in ("零", "〇") and (number is None or not previous_was_digit):
            zero_since_unit, previous_was_digit, number = True, False, None
        else:
            digit = Fraction(token) if token[0].isdigit() else Fraction(_DIGITS[token])
            if previous_was_digit and number is not None and not token[0].isdigit():
                number = number * 10 + digit  # 二五 = 25, 二零二六 = 2026: digit by digit
            else:
                number = digit
            previous_was_digit = True
    if number is not None:
        spoken_elision = last_unit >= 100 and not zero_since_unit and number < 10
        section += number * (last_unit // 10) if spoken_elision else number
    return total + section


def _parse_english(text: str) -> Fraction | None:
    """English number words: two, twenty five, a dozen, a couple, one and a half, half a."""
    if re.fullmatch(r"(?:a |one )?half(?: an?)?", text):
        return Fraction(1, 2)
    and_a_half = re.fullmatch(r"(.+?) and an? half", text)
    if and_a_half:
        whole = _parse_english(and_a_half.group(1))
        return None if whole is None else whole + Fraction(1, 2)
    words = [w for w in re.split(r"[\s-]+", text) if w and w not in ("and", "of")]
    if words[:1] in (["a"], ["an"]) and len(words) > 1:
        words = words[1:] if words[1] in ("dozen", "couple") else ["one", *words[1:]]
    total = Fraction(0)
    current = Fraction(0)
    for word in words:
        if word in _EN_WORDS:
            current += _EN_WORDS[word]
        elif word in _EN_SCALES:
            current = (current or 1) * _EN_SCALES[word]
            if _EN_SCALES[word] >= 1000:
                total, current = total + current, Fraction(0)
        elif re.fullmatch(r"\d+(?:\.\d+)?", word):
            current += Fraction(word)
        else:
            return None
    return total + current if words else None


def parse_range(text: str) -> tuple[int, int] | None:
    """An estimate said with two neighbouring numerals (两三 -> (2, 3), 七八 -> (7, 8), 三五 ->
    (3, 5), 十七八 -> (17, 18)), or None when ``text`` is not one."""
    text = _normalise(text)
    text = _FILLER.sub("", text).strip()
    tens = 0
    if len(text) == 3 and text[0] == "十":
        tens, text = 10, text[1:]
    if len(text) != 2 or any(ch not in _DIGITS for ch in text):
        return None
    low, high = _DIGITS[text[0]], _DIGITS[text[1]]
    if (low, high) not in _RANGE_PAIRS:
        return None
    return tens + low, tens + high


def parse_fraction(text: str) -> Fraction | None:
    """The exact value of a number expression, or None if ``text`` is not one number.

    An estimate (两三, 七八: :func:`parse_range`) is not one number, and neither is a digit run
    longer than :data:`MAX_DIGITS`.
    """
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS or len(text) > 200:
        return None
    if parse_range(text) is not None:
        return None
    text = _normalise(text)
    text = _CURRENCY.sub("", text)
    text = _FILLER.sub("", text).strip()
    if not text:
        return None
    if text in ("半", "一半"):
        return Fraction(1, 2)
    half = re.fullmatch(r"(.+?)个?半", text)
    if half:  # 一个半, 两个半: n and a half
        whole = parse_fraction(half.group(1))
        return None if whole is None else whole + Fraction(1, 2)
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return Fraction(text)
    shorthand = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kw])", text)
    if shorthand:
        text = shorthand.group(1) + _SHORTHAND[shorthand.group(2)]
    if re.search(r"[a-z]", text):
        return _parse_english(text)
    return _parse_chinese(text.replace(" ", ""))


def parse_number(text: str) -> Number | None:
    """The number in ``text`` (十二 -> 12, 一百五 -> 150, 1万2 -> 12000, 2k -> 2000, 半 -> 0.5).

    Returns None when the text is not a single number expression (几, 好多, "some").
    """
    value = parse_fraction(text)
    return None if value is None else as_number(value)


def replace_numerals(text: str) -> str:
    """Rewrite every Chinese number in ``text`` with digits (下午三点半 -> 下午3点半).

    Used before pattern matching so rules need only know digits. Runs that do not parse
    (a lone 万) are left alone.
    """

    def digits(match: re.Match[str]) -> str:
        run = match.group()
        if run.isdigit():
            return run
        value = parse_fraction(run)
        return run if value is None else str(as_number(value))

    return NUMBER_RUN.sub(digits, text)
