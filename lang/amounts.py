"""Money amounts and deposit statements as retailers type them.

Retailers tell the assistant about their weekly deposit in their own words: "刚存了2000",
"已经存了两千", "存了1.5万", "转了2k", "存了¥3,000", "2000块", "I deposited 500 yuan",
"I'll deposit two thousand tomorrow". :func:`find_amount` reads the first money amount of a
message, exactly (a :class:`~decimal.Decimal` to the fen), with lang.numerals doing the numbers;
:func:`said_as_done` tells a deposit already made from one only promised;
:func:`read_deposit_statement` puts the two together, with the NLU's amount entity first.

What is read is what was said, not what is plausible: a negative or absurdly large amount comes
back as such (a run of digits longer than any number lang.numerals reads is taken digit for
digit), so the caller can refuse it politely rather than record a wrong amount. Numbers that are
not money are skipped: times (12点, 3:00), dates (11月24日, 24号), counts of goods (两条, 3件),
shop codes (R001) and estimates (两三千 is "two or three thousand", no amount).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from lang.numerals import EN_NUMBER_WORDS, MAX_DIGITS, NUMBER_RUN, parse_fraction, parse_range

CENT = Decimal("0.01")
MAX_TEXT = 1000
"""Characters of a message searched for an amount: a deposit message is a line or two, and a
pasted page must not cost a parse per number in it."""

_THOUSANDS = re.compile(r"(?<=\d)[,,](?=\d{3}(?!\d))")
_CN_MULTIPLIERS = frozenset("十百千万亿")
_CURRENCY_AFTER = re.compile(r"\s*(?:块|元|圆|rmb\b|cny\b|yuan\b|kuai\b|bucks?\b)", re.IGNORECASE)
# What makes the number before it something other than money: a time, a date, a duration,
# a count of goods, a percentage, a fraction of a date (11/24).
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:点|号|日|月|时|:|天|分钟|小时|周|年|条|包|盒|件|箱|个|笔|次|%|/|"
    r"(?:am|pm|h|hours?|minutes?|days?|cartons?|packs?|cases?)\b)",
    re.IGNORECASE,
)
# A number right after one of these belongs to a time, date or decimal written around it (3:00,
# 11/24, 下午3点20, 一点五万): it is no amount on its own.
_JOINED_BEFORE = re.compile(r"(?:\d[:/.]|点)$")
_MINUS_BEFORE = re.compile(r"(?:^|[^0-9A-Za-z])[-−]\s*¥?\s*$")
_EN_PHRASE = re.compile(
    r"\b(?:(?:{words}|hundred|thousand|million)(?:[\s-]+(?:and[\s-]+)?)?)+\b".format(
        words="|".join(sorted(EN_NUMBER_WORDS, key=len, reverse=True))
    ),
    re.IGNORECASE,
)
_EN_SCALE = re.compile(r"\b(?:hundred|thousand|million)\b", re.IGNORECASE)

# Words that say the money went in already, and words that only promise it. A message with
# neither ("2000") is a report: people announce deposits they made, not deposits they plan.
_PAST = re.compile(
    r"(已经?|刚刚?|存了|存好|存过|存进|存入|转了|转好|打了|打进|充了|补了|补上|补足|到账|"
    r"\bdeposited\b|\bpaid\b|\btransferred\b|\bsent\b|\bput in\b|\bdone\b)",
    re.IGNORECASE,
)
_FUTURE = re.compile(
    r"(去存|就存|要存|会存|再存|马上存|等下|待会|一会|稍后|明天|明早|今晚|下午去|晚上去|前存|存上|"
    r"\bwill\b|\bgoing to\b|\blater\b|\btomorrow\b|\btonight\b|\bsoon\b)",
    re.IGNORECASE,
)
# Acknowledgements whose 了 is not a past deposit ("知道了 下午去存" is a promise).
_ACKS = re.compile(r"(知道了|好了吗|收到了)")


@dataclass(frozen=True)
class DepositStatement:
    """A deposit message understood: how much (if said) and whether it already happened."""

    amount: Decimal | None
    done: bool


def _money(value: Fraction) -> Decimal:
    """``value`` as money, rounded half up to the fen, exact however many digits it has."""
    with localcontext() as context:
        # Enough precision for every digit of the whole part plus the fen: the default 28
        # digits would make a 400-digit paste an InvalidOperation instead of a refusal.
        context.prec = max(28, len(str(abs(value.numerator))) + 4)
        context.Emax = max(context.Emax, context.prec)
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def _digits_value(run: str) -> Fraction | None:
    """A plain digit run, read digit for digit even past lang.numerals' :data:`MAX_DIGITS`."""
    if re.fullmatch(r"\d+(?:\.\d+)?", run):
        return Fraction(run)
    return None


def _run_value(text: str, start: int, end: int) -> Fraction | None:
    """The money value of the number run ``text[start:end]``, or None if it is no amount."""
    run = text[start:end]
    after = text[end:]
    if _NOT_MONEY_AFTER.match(after):
        return None
    if start and text[start - 1].isascii() and text[start - 1].isalpha():
        return None  # a code such as R001, not money
    if _JOINED_BEFORE.search(text[:start]):
        return None
    if not any(char.isdigit() and char.isascii() for char in run):
        if parse_range(run[:3]) is not None or parse_range(run[:2]) is not None:
            return None  # 两三千, 七八百: an estimate, not an amount
        if not _CN_MULTIPLIERS.intersection(run) and not _CURRENCY_AFTER.match(after):
            return None  # 一 in 一会 / 一笔, a lone digit word: no amount without 块 or 千
    if sum(char.isdigit() for char in run) > MAX_DIGITS:
        return _digits_value(run)
    return parse_fraction(run)


def _english_value(text: str, start: int, end: int) -> Fraction | None:
    """Number words as money: with a scale ("two thousand") or a currency ("fifty yuan")."""
    phrase = text[start:end].strip(" -")
    if not _EN_SCALE.search(phrase) and not _CURRENCY_AFTER.match(text[end:]):
        return None
    if _NOT_MONEY_AFTER.match(text[end:]):
        return None
    return parse_fraction(phrase)


def find_amount(text: str) -> Decimal | None:
    """The first money amount in ``text``, exact to the fen, or None if it names none.

    ¥2,000, 2000块, 两千, 两千五, 1.5万, 2k, 1万2, "500 yuan", "two thousand". A minus sign makes
    it negative (存了-500 is -500.00, for the caller to refuse, not 500).
    """
    text = unicodedata.normalize("NFKC", text or "")[:MAX_TEXT]
    text = _THOUSANDS.sub("", text)
    found: list[tuple[int, Fraction]] = []
    for match in NUMBER_RUN.finditer(text):
        value = _run_value(text, match.start(), match.end())
        if value is not None:
            if _MINUS_BEFORE.search(text[: match.start()]):
                value = -value
            found.append((match.start(), value))
            break
    for match in _EN_PHRASE.finditer(text):
        value = _english_value(text, match.start(), match.end())
        if value is not None:
            found.append((match.start(), value))
            break
    if not found:
        return None
    return _money(min(found, key=lambda item: item[0])[1])


def parse_amount(value: object) -> Decimal | None:
    """An amount given as a value: the NLU's amount entity (2500, 1.5, or the words when the
    NLU could not read them, "两千五"), to the fen; None if it holds no amount."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return _money(Fraction(value))
    if isinstance(value, float):
        # The float's shortest repr is what the NLU meant (1.5, not 1.49999...).
        return _money(Fraction(repr(value))) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return _money(Fraction(value)) if value.is_finite() else None
    return find_amount(str(value))


def said_as_done(text: str) -> bool:
    """Whether a deposit message says the money went in (存了, 刚转好, "I deposited") rather
    than that it will (下午去存, 明天, "I'll deposit later"); a bare amount counts as done."""
    cleaned = _ACKS.sub("", text or "")
    return bool(_PAST.search(cleaned)) or not _FUTURE.search(cleaned)


def read_deposit_statement(text: str, *, amount_entity: object = None) -> DepositStatement:
    """Read a deposit message: the amount and whether it was deposited already.

    The NLU's ``amount_entity`` comes first; the text is read when the entity holds no amount.
    The entity's span can leave out a minus sign, so when the text says exactly the negative
    of the entity's amount, the text wins (存了-500 is -500, not 500).
    """
    amount = parse_amount(amount_entity)
    in_text = find_amount(text)
    if amount is None or (in_text is not None and in_text == -amount):
        amount = in_text
    return DepositStatement(amount=amount, done=said_as_done(text))
