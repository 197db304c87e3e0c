"""What a manager's visit question asks: the last visit to a shop, a period's visits, shops not
visited lately, follow-ups due, recent stock-outs or suspected fakes.

"我上次去张记是哪天", "这周拜访了哪些店", "哪些店超过两周没去了", "最近两周哪些店断货",
"visits last week": :func:`read_history_query` turns such a question into a
:class:`HistoryQuery` (a kind, a number of days or a span of days). Periods are read by
lang.times, counts by lang.numerals; whether the question names a shop is the caller's to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lang.numerals import parse_number
from lang.times import TimeResolver, TimeValue, to_shanghai

LAST_VISIT = "last"
PERIOD = "period"
NOT_VISITED = "not_visited"
FOLLOW_UPS = "follow_ups"
STOCK_OUTS = "stock_outs"
COUNTERFEITS = "counterfeits"

_NUM = r"[0-9零〇一二两三四五六七八九十]+"
_NOT_VISITED = re.compile(
    r"没去|没有去|没拜访|没走访|没跑|未拜访|未走访|not visited|not been|"
    r"(?:haven'?t|have not|didn'?t|did not)\s+(?:i\s+|we\s+)?(?:been|visit)|overdue",
    re.IGNORECASE,
)
_FOLLOW_UPS = re.compile(r"跟进|待办|答应|follow(?:\s|-)?ups?|promised|to-?dos?", re.IGNORECASE)
_STOCK_OUTS = re.compile(
    r"断货|断了货|断过货|卖断|缺货|没货|stock(?:\s|-)?outs?|out of stock|sold out", re.I
)
_COUNTERFEITS = re.compile(r"假烟|疑似假|调包|counterfeits?|fakes?", re.IGNORECASE)
_LAST = re.compile(r"上次|上一次|最近一次|最后一次|last (?:time|visit)|last visited|when did", re.I)
_DAYS = re.compile(rf"({_NUM})\s*(天|日|周|个?星期|个?礼拜|个?月|days?|weeks?|months?)", re.I)
_RESOLVER = TimeResolver()


@dataclass(frozen=True)
class HistoryQuery:
    """Which visit question a message asks, with its day count or its span of days.

    ``days`` is how far back (or, for follow-ups, ahead) the question looks when it says so
    (None: the caller's default); ``start``/``end`` are the days of a period, both inclusive:
    the visits of a period, or the stock-outs and fakes seen in the period a question names.
    """

    kind: str
    days: int | None = None
    start: date | None = None
    end: date | None = None


def days_said(text: str) -> int | None:
    """A span said as a count of days, weeks or months (两周 -> 14, 10 days -> 10)."""
    found = _DAYS.search(text)
    if not found:
        return None
    count = parse_number(found.group(1))
    if count is None:
        return None
    unit = found.group(2).lower().lstrip("个")
    if unit.startswith(("周", "星期", "礼拜", "week")):
        return int(count) * 7
    if unit.startswith(("月", "month")):
        return int(count) * 30
    return int(count)


def period_days(value: TimeValue, today: date) -> tuple[date, date] | None:
    """The days of a period the question names, up to today (visits are not in the future)."""
    start = value.start.date()
    last = (value.end - timedelta(microseconds=1)).date() if value.end > value.start else start
    if start > today:
        return None
    return start, min(last, today)


def read_history_query(
    text: str, *, now: datetime, names_shop: bool, period: TimeValue | None = None
) -> HistoryQuery:
    """Which visit question ``text`` asks.

    ``names_shop``: it names a shop of the asker's territory, which makes "我上次去张记是哪天"
    a last-visit question. ``period`` is the time the NLU already read from the message, if
    any; else lang.times reads the text.
    """
    today = to_shanghai(now).date()
    days = days_said(text)

    def span() -> tuple[date, date] | None:
        value = period or _RESOLVER.resolve(text, now=now, prefer="past")
        return period_days(value, today) if value is not None else None

    def sightings(kind: str) -> HistoryQuery:
        # 上个月哪些店断货了: that month's days; 最近两周: a count back from today.
        days_of = span() if days is None else None
        if days_of is None:
            return HistoryQuery(kind, days=days)
        return HistoryQuery(kind, start=days_of[0], end=days_of[1])

    if _NOT_VISITED.search(text) and not names_shop:
        return HistoryQuery(NOT_VISITED, days=days)
    if _FOLLOW_UPS.search(text):
        return HistoryQuery(FOLLOW_UPS, days=days)
    if _STOCK_OUTS.search(text) and not names_shop:
        return sightings(STOCK_OUTS)
    if _COUNTERFEITS.search(text) and not names_shop:
        return sightings(COUNTERFEITS)
    if names_shop or _LAST.search(text):
        return HistoryQuery(LAST_VISIT)
    if days is not None:
        return HistoryQuery(PERIOD, days=days, start=today - timedelta(days=days - 1), end=today)
    days_of = span()
    if days_of is not None:
        return HistoryQuery(PERIOD, start=days_of[0], end=days_of[1])
    return HistoryQuery(PERIOD)
