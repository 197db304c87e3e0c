"""Everything a user reads, in zh and en, plus money and time formatting.

Texts live in ``retail/locales/<lang>/<topic>.yml`` keyed by message id (one file per feature,
so features don't edit the same file); a test keeps both languages in step.
Adapters call :func:`t` with a key and parameters; they never build user text themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from retail.clock import local

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_LOCALES = Path(__file__).resolve().parent / "locales"
_WEEKDAYS = {
    "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


@cache
def catalog(language: str) -> dict[str, str]:
    """The message catalog of one language: every file of its folder (read once, on first use).

    A key defined in two files is an error, so one feature cannot silently override another.
    """
    merged: dict[str, str] = {}
    for path in sorted((_LOCALES / language).glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            data: dict[str, str] = yaml.safe_load(handle) or {}
        clashes = merged.keys() & data.keys()
        if clashes:
            raise ValueError(f"{path.name} redefines {sorted(clashes)}")
        merged.update(data)
    return merged


def supported(language: str | None) -> str:
    """``language`` if we have texts for it, else the default (Chinese)."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def t(language: str | None, key: str, **params: Any) -> str:
    """The text of ``key`` in ``language`` with ``params`` filled in.

    A missing key is a programming error and raises ``KeyError`` so tests catch it; a missing
    parameter also raises, rather than showing a user ``{name}``.
    """
    return catalog(supported(language))[key].format(**params).strip()


def reply_language(detected: str | None, saved: str | None) -> str:
    """The language to answer in: the message's (``detected`` by lang.language), else the
    user's saved one, else the default."""
    return detected if detected in LANGUAGES else supported(saved)


def format_money(amount: Decimal | int | float) -> str:
    """Money as users read it everywhere: ``¥1,234.00`` (``-¥12.50`` when negative)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def format_percent(ratio: Decimal) -> str:
    """A ratio as a percentage with one decimal: ``12.5%``."""
    value = (ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}%"


def format_datetime(moment: datetime, language: str) -> str:
    """A moment in Asia/Shanghai, e.g. ``11月24日(周二) 16:00`` / ``Tue 24 Nov 16:00``."""
    at = local(moment)
    return f"{format_day(at.date(), language)} {at:%H:%M}"


def format_day(day: date, language: str) -> str:
    """A day with its weekday, e.g. ``11月24日(周二)`` / ``Tue 24 Nov``."""
    weekday = _WEEKDAYS[supported(language)][day.weekday()]
    if supported(language) == "zh":
        return f"{day.month}月{day.day}日({weekday})"
    return f"{weekday[:3]} {day.day} {day:%b}"


def weekday_name(weekday: int, language: str) -> str:
    """The name of a weekday (0 = Monday) in ``language``."""
    return _WEEKDAYS[supported(language)][weekday]
