"""Time words in a visit note: when the visit was, and when a promise falls due.

Managers say 今天下午, 昨天上午, 上周五, 上午十点, "yesterday afternoon", "last Friday" for the
visit, and 周二前, 下周一, 明天, 三天后, "by Friday", "next week" for deadlines. Everything is
resolved against the message time in Asia/Shanghai. dateparser cannot read most Chinese
relative forms (ARCHITECTURE.md), so this is a small rule set of its own; it returns nothing
rather than guess when no rule applies.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from retail.clock import SHANGHAI, local
from retail.numerals import parse_number

_NUM = r"[0-9零〇一二两三四五六七八九十]+"
_ZH_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_EN_WEEKDAY = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_PARTS = {
    "凌晨": time(6, 0),
    "早上": time(9, 0),
    "早晨": time(9, 0),
    "上午": time(10, 0),
    "中午": time(12, 0),
    "下午": time(15, 0),
    "傍晚": time(18, 0),
    "晚上": time(19, 0),
    "morning": time(10, 0),
    "noon": time(12, 0),
    "lunchtime": time(12, 0),
    "afternoon": time(15, 0),
    "evening": time(19, 0),
    "tonight": time(19, 0),
}
_PM_PARTS = {"下午", "傍晚", "晚上", "afternoon", "evening", "tonight"}
_WEEKDAY_ZH = r"(?:周|星期|礼拜)([一二三四五六日天末])"
_WEEKDAY_EN = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"

# Day words of a past visit, with the day offset or a rule name.
_PAST_DAY = re.compile(
    r"(?P<dbyesterday>前天|day before yesterday)"
    r"|(?P<yesterday>昨天|昨日|昨晚|昨儿|yesterday|last night)"
    r"|(?P<today>今天|今日|今早|今晚|今儿|today|this morning|this afternoon|"
    r"this evening|tonight)"
    rf"|(?:上个?|last\s+)(?:{_WEEKDAY_ZH}|{_WEEKDAY_EN})"
    rf"|(?:这个?|本)(?:{_WEEKDAY_ZH})"
    rf"|(?P<date>(?P<month>{_NUM})月(?P<mday>{_NUM})[日号])"
    rf"|(?P<bare>(?:^|[^上下这本个])(?:{_WEEKDAY_ZH})|\b(?:on\s+)?{_WEEKDAY_EN}\b)",
    re.IGNORECASE,
)
_DEADLINE_AFTER = re.compile(r"^\s*(?:之前|以前|前|内|之内|就|before)", re.IGNORECASE)
_DEADLINE_BEFORE = re.compile(r"(?:by|before|until|till|due)\s*$", re.IGNORECASE)
_PART = re.compile(
    r"(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今早|今晚|昨晚|morning|noon|lunchtime|afternoon|"
    r"evening|tonight|last night)",
    re.IGNORECASE,
)
_CLOCK_ZH = re.compile(rf"({_NUM})[点时](半|({_NUM})分?)?")
_CLOCK_EN = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", re.IGNORECASE)

# Deadlines: each pattern maps to a function of today giving the due date.
_IN_DAYS = re.compile(rf"({_NUM})\s*天(?:后|之后|以后|内|之内)|in\s+(\d+|{_NUM})\s+days?", re.I)
_NEXT_WEEKDAY = re.compile(rf"(?:下个?|next\s+)(?:{_WEEKDAY_ZH}|{_WEEKDAY_EN})", re.IGNORECASE)
_THIS_WEEKDAY = re.compile(
    rf"(?:(?:这个?|本)?{_WEEKDAY_ZH}|(?:by\s+|before\s+|on\s+|this\s+)?{_WEEKDAY_EN})", re.I
)
_SIMPLE_DUE = {
    "明天": 1,
    "明儿": 1,
    "tomorrow": 1,
    "后天": 2,
    "day after tomorrow": 2,
}
_NEXT_WEEK = re.compile(r"下周|下个?星期|下礼拜|next week", re.IGNORECASE)
_MONTH_END = re.compile(r"月底|end of (?:the )?month", re.IGNORECASE)
_NEXT_MONTH = re.compile(r"下个?月|next month", re.IGNORECASE)
_DATE = re.compile(rf"(?:({_NUM})月)?({_NUM})[日号]")


@dataclass(frozen=True)
class VisitTime:
    """When a visit took place, and whether the note said so (else it is the message time)."""

    at: datetime
    stated: bool


def _number(text: str | None) -> int | None:
    return parse_number(text) if text else None


def _weekday(zh: str | None, en: str | None) -> int | None:
    if zh:
        return _ZH_WEEKDAY.get(zh)
    if en:
        return _EN_WEEKDAY.get(en.lower())
    return None


def _is_deadline(text: str, start: int, end: int) -> bool:
    """周二前, 明天之前, "by Friday": a deadline, not the visit."""
    return bool(_DEADLINE_AFTER.match(text[end : end + 4])) or bool(
        _DEADLINE_BEFORE.search(text[max(0, start - 8) : start])
    )


def _past_day(match: re.Match[str], today: date) -> date | None:
    """The day a past-visit expression names."""
    groups = match.groupdict()
    if groups["dbyesterday"]:
        return today - timedelta(days=2)
    if groups["yesterday"]:
        return today - timedelta(days=1)
    if groups["today"]:
        return today
    if groups["date"]:
        month, mday = _number(groups["month"]), _number(groups["mday"])
        if not month or not mday or month > 12 or mday > monthrange(today.year, month)[1]:
            return None
        day = date(today.year, month, mday)
        return day if day <= today else date(today.year - 1, month, mday)
    text = match.group(0).lower()
    zh = re.search(r"[一二三四五六日天末](?=\W*$)", text)
    en = re.search(_WEEKDAY_EN, text)
    weekday = _weekday(zh.group(0) if zh else None, en.group(0) if en else None)
    if weekday is None:
        return None
    monday = today - timedelta(days=today.weekday())
    if text.startswith(("上", "last")):
        return monday - timedelta(days=7) + timedelta(days=weekday)
    if text.startswith(("这", "本")):
        return monday + timedelta(days=weekday)
    back = (today.weekday() - weekday) % 7
    return today - timedelta(days=back)


def _clock_of(text: str) -> time | None:
    """A clock time said in the text (上午十点, 下午3点半, 3pm), or the part of the day."""
    part_match = _PART.search(text)
    part = part_match.group(0).lower() if part_match else None
    part = {"今早": "早上", "今晚": "晚上", "昨晚": "晚上", "last night": "evening"}.get(
        part or "", part
    )
    found = _CLOCK_ZH.search(text)
    if found:
        hour = _number(found.group(1))
        minute = 30 if found.group(2) == "半" else (_number(found.group(3)) or 0)
        if hour is not None and hour <= 24 and minute < 60:
            if part in _PM_PARTS and hour < 12:
                hour += 12
            return time(hour % 24, minute)
    english = _CLOCK_EN.search(text)
    if english:
        hour, minute = int(english.group(1)), int(english.group(2) or 0)
        if english.group(3).lower().startswith("p") and hour < 12:
            hour += 12
        if hour < 24 and minute < 60:
            return time(hour, minute)
    return _PARTS.get(part) if part else None


def visit_time(text: str, now: datetime) -> VisitTime:
    """When the visit in ``text`` took place; the message time when the note does not say.

    A stated day without a time of day is taken at the message's clock time if that day is
    today, else at noon, so the date is right and the order of visits plausible.
    """
    current = local(now)
    today = current.date()
    best: tuple[int, date] | None = None
    for match in _PAST_DAY.finditer(text):
        if _is_deadline(text, match.start(), match.end()):
            continue
        day = _past_day(match, today)
        if day is None or day > today:
            continue
        rank = 1 if match.groupdict()["bare"] else 0
        if best is None or rank < best[0]:
            best = (rank, day)
    clock = _clock_of(text)
    if best is None:
        if clock is None:
            return VisitTime(now, stated=False)
        best = (0, today)
    day = best[1]
    if clock is None:
        clock = current.time().replace(second=0, microsecond=0) if day == today else time(12)
    at = datetime.combine(day, clock, tzinfo=SHANGHAI)
    if at > current:
        at = current.replace(second=0, microsecond=0)
    return VisitTime(at, stated=True)


def _next_date(today: date, month: int | None, mday: int) -> date | None:
    """The next date with day ``mday`` (of ``month`` if given) on or after today."""
    for shift in range(0, 13):
        year = today.year + (today.month - 1 + shift) // 12
        month_now = (today.month - 1 + shift) % 12 + 1
        if month is not None and month_now != month:
            continue
        if mday <= monthrange(year, month_now)[1]:
            candidate = date(year, month_now, mday)
            if candidate >= today:
                return candidate
    return None


def due_date(text: str, now: datetime) -> date | None:
    """The day a promise in ``text`` falls due (周二前, 下周一, 明天, 3天后, "by Friday")."""
    today = local(now).date()
    lowered = text.lower()
    monday = today - timedelta(days=today.weekday())
    found = _NEXT_WEEKDAY.search(lowered)
    if found:
        weekday = _weekday(found.group(1), found.group(2))
        if weekday is not None:
            return monday + timedelta(days=7 + weekday)
    days = _IN_DAYS.search(lowered)
    if days:
        count = _number(days.group(1) or days.group(2))
        if count is not None:
            return today + timedelta(days=count)
    for word, shift in sorted(_SIMPLE_DUE.items(), key=lambda item: -len(item[0])):
        if word in lowered:
            return today + timedelta(days=shift)
    if _NEXT_WEEK.search(lowered):
        return monday + timedelta(days=7)
    found = _THIS_WEEKDAY.search(lowered)
    if found:
        weekday = _weekday(found.group(1), found.group(2))
        if weekday is not None:
            ahead = (weekday - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    if _MONTH_END.search(lowered):
        return date(today.year, today.month, monthrange(today.year, today.month)[1])
    if _NEXT_MONTH.search(lowered):
        return date(today.year + today.month // 12, today.month % 12 + 1, 1)
    found = _DATE.search(lowered)
    if found:
        mday = _number(found.group(2))
        if mday:
            return _next_date(today, _number(found.group(1)), mday)
    return None
