"""Time expressions in Chinese and English, resolved against the message time in Asia/Shanghai.

Managers write 今天下午, 昨天上午, 上周五, 下周三下午三点, 月底前, 明早; retailers write 两天后,
12号前, "tomorrow morning", "next Wednesday 3pm", "by the end of the month". dateparser handles
absolute dates and offsets (3天后, "in two days", "June 10") but not most of the Chinese forms
(ARCHITECTURE.md lists them), and the dateparser 1.2 that fits Rasa 3.6's pins misses English
ones that 1.5 reads ("tomorrow morning", "last Friday"). So :class:`TimeResolver` first reads the
structured forms with its own rules (numerals to digits first), and hands what is left to
dateparser; both environments then agree (a test runs the time table in each).

Conventions (documented for the actions that use the values):

- A day is its midnight with grain ``day``; a part of day (上午, afternoon) is a representative
  time (09:00, 15:00, 20:00 for the evening) with ``start``/``end`` of the period.
- 上周X / 这周X / 下周X and "last/this/next <weekday>" are that weekday in the previous, current
  or next Monday-to-Sunday week. A bare weekday (周五, Friday) and a bare day of month (12号)
  mean the next one, or the last one when ``prefer="past"`` (visit notes tell of the past).
- A clock hour 1-6 without 上午/下午/am/pm is afternoon (三点 -> 15:00): shops do business then.
- 这周 / 上个月 are periods: ``start`` the first day, ``end`` the first day after.
- 月底 is the last day of the month; 前/之前/before/by make the relation ``before``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from lang.numerals import parse_number, replace_numerals

SHANGHAI = ZoneInfo("Asia/Shanghai")
Prefer = Literal["future", "past"]

# Representative time, start and end hour of each part of the day.
_PARTS: dict[str, tuple[time, int, int]] = {
    "early": (time(3), 0, 6),
    "morning_early": (time(8), 6, 10),
    "morning": (time(9), 6, 12),
    "noon": (time(12), 11, 14),
    "afternoon": (time(15), 12, 18),
    "dusk": (time(18), 17, 19),
    "evening": (time(20), 18, 24),
    "late_night": (time(23), 22, 24),
}
_PART_WORDS: dict[str, str] = {
    "凌晨": "early",
    "早上": "morning_early",
    "早晨": "morning_early",
    "清早": "morning_early",
    "一早": "morning_early",
    "大早": "morning_early",
    "早": "morning_early",
    "晨": "morning_early",
    "上午": "morning",
    "中午": "noon",
    "晌午": "noon",
    "下午": "afternoon",
    "午后": "afternoon",
    "傍晚": "dusk",
    "黄昏": "dusk",
    "晚上": "evening",
    "夜里": "evening",
    "夜晚": "evening",
    "晚": "evening",
    "夜": "evening",
    "半夜": "late_night",
    "深夜": "late_night",
    "mornings": "morning",
    "morning": "morning",
    "afternoons": "afternoon",
    "afternoon": "afternoon",
    "evenings": "evening",
    "evening": "evening",
    "nights": "evening",
    "night": "evening",
    "tonight": "evening",
    "noon": "noon",
    "midday": "noon",
    "lunchtime": "noon",
    "lunch": "noon",
}
_PM_PARTS = {"afternoon", "dusk", "evening", "late_night"}
_DAY_WORDS: dict[str, int] = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "昨儿个": -1,
    "昨儿": -1,
    "昨": -1,
    "今天": 0,
    "今日": 0,
    "今儿个": 0,
    "今儿": 0,
    "今": 0,
    "明天": 1,
    "明日": 1,
    "明儿个": 1,
    "明儿": 1,
    "明": 1,
    "后天": 2,
    "大后天": 3,
    "the day before yesterday": -2,
    "day before yesterday": -2,
    "yesterday": -1,
    "yday": -1,
    "last night": -1,
    "today": 0,
    "later today": 0,
    "tonight": 0,
    "the day after tomorrow": 2,
    "day after tomorrow": 2,
    "tomorrow": 1,
    "tomorow": 1,
    "tommorow": 1,
    "tommorrow": 1,
    "tmrw": 1,
    "tmr": 1,
}
_WEEKDAYS: dict[str, int] = {
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
    "日": 6,
    "天": 6,
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_WEEK_SHIFT: dict[str, int] = {
    "上上": -2,
    "上": -1,
    "这": 0,
    "本": 0,
    "这个": 0,
    "今": 0,
    "下下": 2,
    "下": 1,
    "last": -1,
    "previous": -1,
    "past": -1,
    "this": 0,
    "coming": 0,
    "next": 1,
}
# Words that hold a numeral but are not numbers, rewritten before numerals become digits.
_PROTECT = (
    ("上一周", "上周"),
    ("下一周", "下周"),
    ("这一周", "这周"),
    ("一早", "清早"),
    ("一大早", "清早"),
    ("一下", ""),
)
_FILLER = re.compile(
    r"(?:的|在|于|左右|前后|大概|大约|差不多|以内|内|就|再|吧|呢|啊|这个时间|时候|那天|那会"
    r"|\bon\b|\bat\b|\bthe\b|\bof\b|\bin\b|\baround\b|\babout\b|\bsometime\b|\bsome time\b"
    r"|[\s,，。.、~～:：-])+"
)
_WD_ZH = r"(?:周|星期|礼拜|週)"
_WD_EN = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)"
)
_SHIFT_ZH = r"(?:上上|下下|上|下|这个|这|本)"
_CLOCK_WORDS = re.compile(
    r"小时|钟头|分钟|\bhours?\b|\bminutes?\b|\bmins?\b|\d:\d\d|\d\s*(?:am|pm)\b|点"
)
_EN_OFFSET = re.compile(
    r"\bin (?:\d+|an?|[a-z]+) (?:days?|weeks?|months?|hours?|minutes?|mins?)\b"
    r"|\b(?:\d+|an?|[a-z]+) (?:days?|weeks?|months?|hours?|minutes?) ago\b"
)
_DATEPARSER_WORTHY = re.compile(r"\d|[a-z]{3,}")
_DATE_LIKE = re.compile(r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b")


@dataclass(frozen=True)
class TimeValue:
    """A resolved time: a representative instant, its grain and, for periods, start and end.

    ``value`` is what the entity's value becomes (ISO 8601, Asia/Shanghai). ``relation`` is
    ``before`` (月底前, by Friday), ``after`` (三点以后) or ``until`` (暂停到下周一), when said.
    ``recurrence`` is ``daily``, ``weekly`` or ``monthly`` for 每周三 / every morning.
    """

    value: datetime
    grain: str
    start: datetime
    end: datetime
    relation: str | None = None
    recurrence: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready fields an entity carries (value first).

        The period is ``from``/``to`` (Duckling's names): an entity's ``start``/``end`` are
        already its character offsets.
        """
        return {
            "value": self.value.isoformat(),
            "grain": self.grain,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "relation": self.relation,
            "recurrence": self.recurrence,
        }


@dataclass
class _Parse:
    """What the rules found in one expression, before it is turned into a date and time."""

    day: date | None = None
    day_is_explicit: bool = False
    weekday: int | None = None
    week_shift: int | None = None
    weekend: bool = False
    period: str | None = None  # "week", "month", "range"
    period_start: date | None = None
    period_end: date | None = None
    part: str | None = None
    clock: tuple[int, int] | None = None
    clock_has_minutes: bool = False
    clock_meridiem: str | None = None
    relation: str | None = None
    recurrence: str | None = None
    day_of_month: int | None = None
    month: int | None = None
    month_shift: int | None = None
    year: int | None = None
    month_edge: str | None = None  # "end" or "start"
    matched: list[str] = field(default_factory=list)


PAST_INTENTS = frozenset(
    {"visit_note", "visit_note_amend", "visit_history", "complaint", "order_repeat_last"}
)
_DONE = re.compile(r"了|已|\b(?:did|done|deposited|paid|put|sent|transferred|topped|was|were)\b")


def preference_for(intent: str | None, text: str) -> Prefer:
    """Whether a bare 周五 / 三点 in this message means the next one or the last one.

    Visit notes, visit history and complaints tell of the past; a deposit notice is past when
    it says it is done (中午存了三千) and future otherwise (下午去存); the rest plan ahead.
    """
    if intent in PAST_INTENTS:
        return "past"
    if intent == "payment_notice" and _DONE.search(text.lower()):
        return "past"
    return "future"


def to_shanghai(moment: datetime | None) -> datetime:
    """``moment`` in Asia/Shanghai (naive means already Shanghai time); now if None."""
    if moment is None:
        return datetime.now(SHANGHAI)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def parse_message_time(raw: object) -> datetime | None:
    """A message time from metadata: ISO 8601 text or epoch seconds; None if unreadable."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return datetime.fromtimestamp(raw, SHANGHAI)
    if isinstance(raw, str) and raw.strip():
        try:
            return to_shanghai(datetime.fromisoformat(raw.strip().replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date, shift: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 + shift
    return date(month_index // 12, month_index % 12 + 1, 1)


def _normalise(text: str) -> str:
    """NFKC, lower case, protected words, Chinese numerals to digits, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    for word, replacement in _PROTECT:
        text = text.replace(word, replacement)
    text = replace_numerals(text)
    text = re.sub(r"(\d)\s+(?=[点时号日月天周])", r"\1", text)
    return re.sub(r"\s+", " ", text)


class TimeResolver:
    """Resolves time expressions; build one and reuse it (dateparser's parser is built lazily).

    No work happens at construction beyond storing settings, so tests and the Rasa component
    create it freely; the first dateparser fallback loads dateparser's language data.
    """

    def __init__(self, *, timezone: ZoneInfo = SHANGHAI) -> None:
        self._zone = timezone

    # ------------------------------------------------------------------ rules
    def _take(self, found: _Parse, text: str, pattern: str) -> tuple[str, re.Match[str] | None]:
        """Search ``pattern``; on a hit blank it out of ``text`` and remember it matched."""
        match = re.search(pattern, text)
        if match is None:
            return text, None
        found.matched.append(match.group())
        return text[: match.start()] + " " + text[match.end() :], match

    def _rules(self, text: str, today: date) -> tuple[_Parse, str]:
        """Apply every rule once; returns what was found and the text nobody claimed."""
        p = _Parse()

        # Relations said inside the span: 月底前, 三点以后, 到下周一, by Friday, until Monday.
        text, m = self._take(p, text, r"(?:之前|以前|前|截止|为止)$")
        if m:
            p.relation = "until" if m.group() == "为止" else "before"
        text, m = self._take(p, text, r"(?:以后|之后|(?<=[点时号])后)$")
        if m:
            p.relation = "after"
        text, m = self._take(p, text, r"^(?:到|直到|截至|截止到)")
        if m:
            p.relation = "until"
        text, m = self._take(p, text, r"^(?:by|before|no later than|not later than)\b")
        if m:
            p.relation = "before"
        text, m = self._take(p, text, r"^(?:until|till|til|up to)\b")
        if m:
            p.relation = "until"
        text, m = self._take(p, text, r"^(?:after|from)\b")
        if m:
            p.relation = "after"

        # Recurrence: 每周三, 每天, 天天, every Wednesday, daily, on Mondays.
        text, m = self._take(p, text, rf"(?:每个?|每一个?){_WD_ZH}([1-7日天])")
        if m:
            p.recurrence, p.weekday = "weekly", _WEEKDAYS[m.group(1)]
        text, m = self._take(p, text, rf"\bevery ({_WD_EN})\b|\b({_WD_EN})s\b")
        if m:
            p.recurrence, p.weekday = "weekly", _WEEKDAYS[m.group(1) or m.group(2)]
        text, m = self._take(p, text, rf"每个?(?:{_WD_ZH}|礼拜)|\bweekly\b|\bevery week\b")
        if m:
            p.recurrence = p.recurrence or "weekly"
        text, m = self._take(p, text, r"每个?月|\bmonthly\b|\bevery month\b")
        if m:
            p.recurrence = "monthly"
        text, m = self._take(p, text, r"每天|天天|每日|\bdaily\b|\bevery ?day\b|\beach day\b")
        if m:
            p.recurrence = "daily"
        text, m = self._take(p, text, r"每(?=[早晚])|\bevery (?=morning|afternoon|evening|night)")
        if m:
            p.recurrence = "daily"

        # Ranges that end now: 最近两周, 过去一周, 近3天, the past week, last 7 days.
        text, m = self._take(
            p, text, r"(?:最近|过去|近|前)(\d+)个?(天|日|周|星期|礼拜|月)(?:以来|内)?"
        )
        if m is None:
            text, m = self._take(p, text, r"\b(?:past|last) (\d+|[a-z]+) (days|weeks|months)\b")
        if m is None:
            text, m = self._take(p, text, r"\b(?:the )?past (week|month)\b")
        if m:
            groups = [g for g in m.groups() if g]
            count = parse_number(groups[0]) if len(groups) == 2 else 1
            unit = groups[-1]
            number = int(count) if isinstance(count, int | float) else 3  # "a few"
            days = {"天": 1, "日": 1, "day": 1}.get(unit.rstrip("s"), 0)
            days = days or (30 if unit.startswith(("月", "month")) else 7)
            p.period = "range"
            p.period_start = today - timedelta(days=number * days)
            p.period_end = today + timedelta(days=1)

        # Month edges: 月底, 下个月底, 月初, 年底, end of (next) month, beginning of the month.
        text, m = self._take(p, text, rf"(?:({_SHIFT_ZH})个?)?月(底|末|初)")
        if m:
            p.month_shift = _WEEK_SHIFT.get(m.group(1) or "这", 0)
            p.month_edge = "start" if m.group(2) == "初" else "end"
        text, m = self._take(
            p,
            text,
            r"\b(end|beginning|start) of (?:the )?(?:(this|next|last) )?month\b"
            r"|\b(?:month[- ]end|eom)\b",
        )
        if m:
            p.month_shift = _WEEK_SHIFT.get(m.group(2) or "this", 0)
            p.month_edge = "end" if (m.group(1) or "end") == "end" else "start"
        text, m = self._take(p, text, r"年(底|末)|\bend of (?:the )?year\b")
        if m:
            p.day, p.day_is_explicit = date(today.year, 12, 31), True

        # Dates: 2026年6月10日, 6月10号, 下个月5号, 12号, the 5th.
        text, m = self._take(
            p,
            text,
            rf"(?:(\d{{4}})年)?(?:(?:({_SHIFT_ZH})个?月)|(\d{{1,2}})月)?(\d{{1,2}})(?:号|日)",
        )
        if m:
            p.year = int(m.group(1)) if m.group(1) else None
            p.month_shift = _WEEK_SHIFT.get(m.group(2)) if m.group(2) else None
            p.month = int(m.group(3)) if m.group(3) else None
            p.day_of_month = int(m.group(4))
        else:
            text, m = self._take(p, text, r"\bthe (\d{1,2})(?:st|nd|rd|th)\b")
            if m:
                p.day_of_month = int(m.group(1))

        # Weekends and weekdays with their week: 下周三, 上星期五, 这周末, next Wednesday.
        text, m = self._take(p, text, rf"(?:({_SHIFT_ZH})个?)?{_WD_ZH}末")
        if m is None:
            text, m = self._take(p, text, r"\b(?:(this|next|last|coming) )?weekends?\b")
        if m:
            p.weekend, p.weekday = True, 5
            p.week_shift = _WEEK_SHIFT[m.group(1)] if m.group(1) else None
        text, m = self._take(p, text, rf"(?:({_SHIFT_ZH})个?)?{_WD_ZH}([1-7日天])")
        if m is None:
            text, m = self._take(
                p, text, rf"\b(?:(this|next|last|coming|previous) )?({_WD_EN})\b\.?"
            )
        if m and p.weekday is None:
            p.weekday = _WEEKDAYS[m.group(2)]
            p.week_shift = _WEEK_SHIFT[m.group(1)] if m.group(1) else None

        # Week and month periods: 这周, 上个礼拜, 下个月, this week, last wk, next month.
        text, m = self._take(p, text, rf"({_SHIFT_ZH})个?(?:周|星期|礼拜|週)")
        if m is None:
            text, m = self._take(p, text, r"\b(this|next|last|previous|coming) (?:week|wk)\b")
        if m and p.weekday is None:
            start = _monday(today) + timedelta(weeks=_WEEK_SHIFT[m.group(1)])
            p.period, p.period_start, p.period_end = "week", start, start + timedelta(days=7)
        text, m = self._take(p, text, rf"({_SHIFT_ZH})个?月")
        if m is None:
            text, m = self._take(p, text, r"\b(this|next|last|previous) month\b")
        if m and p.month_edge is None and p.day_of_month is None:
            start = _month_start(today, _WEEK_SHIFT[m.group(1)])
            p.period, p.period_start, p.period_end = "month", start, _month_start(start, 1)

        # Clock times: 3点半, 10点30分, 3点1刻, 10:30, 3pm, 3:30 pm, 8 o'clock, noon, midnight.
        text, m = self._take(
            p,
            text,
            r"(\d{1,2})(?:点钟?|时)(半|([13])刻|(\d{1,2})分?)?"
            r"|(\d{1,2})[:](\d{2})\s*(am|pm|a\.m\.|p\.m\.)?"
            r"|\b(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)"
            r"|\b(\d{1,2}) ?o'?clock\b|\bat (\d{1,2})\b(?![:.]\d)",
        )
        if m:
            p.clock, p.clock_has_minutes, p.clock_meridiem = self._clock(m)
        text, m = self._take(p, text, r"\bmidnight\b|半夜12点|晚上12点")
        if m:
            p.clock, p.part = (0, 0), None

        # Days and parts of day: 今早, 明晚, 昨天上午, tomorrow morning, this afternoon, tonight.
        text, m = self._take(p, text, r"([今明昨])([早晚晨夜])(?!上|饭)")
        if m:
            p.day, p.day_is_explicit = today + timedelta(days=_DAY_WORDS[m.group(1)]), True
            p.part = _PART_WORDS[m.group(2)]
        words = sorted(_DAY_WORDS, key=len, reverse=True)
        day_pattern = "|".join(
            rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in words if len(w) > 1
        )
        text, m = self._take(p, text, day_pattern)
        if m:
            p.day, p.day_is_explicit = today + timedelta(days=_DAY_WORDS[m.group()]), True
            if m.group() == "tonight":
                p.part = "evening"
            if m.group() == "last night":
                p.part = "evening"
        text, m = self._take(p, text, r"\bthis (?=morning|afternoon|evening)")
        if m:
            p.day, p.day_is_explicit = today, True
        parts = sorted(_PART_WORDS, key=len, reverse=True)
        part_pattern = "|".join(rf"\b{w}\b" if w.isascii() else w for w in parts)
        text, m = self._take(p, text, part_pattern)
        if m and p.clock != (0, 0):
            p.part = _PART_WORDS[m.group()]
            if m.group().endswith("s") and m.group().isascii() and p.recurrence is None:
                p.recurrence = "daily"  # "afternoons": every afternoon
        return p, text

    @staticmethod
    def _clock(m: re.Match[str]) -> tuple[tuple[int, int], bool, str | None]:
        """Hour, minute, whether minutes were said, and am/pm if said, from a clock match."""
        g = m.groups()
        if g[0] is not None:
            minute = 30 if g[1] == "半" else int(g[2]) * 15 if g[2] else int(g[3] or 0)
            return (int(g[0]), minute), g[1] is not None, None
        if g[4] is not None:
            meridiem = g[6].replace(".", "") if g[6] else None
            return (int(g[4]), int(g[5])), True, meridiem
        if g[7] is not None:
            return (int(g[7]), 0), False, g[8].replace(".", "")
        return (int(g[9] or g[10]), 0), False, None

    # ------------------------------------------------------------------ assembly
    def _hour(self, p: _Parse) -> tuple[int, int, int]:
        """The 24-hour clock time, and a day carry (晚上12点 is the next day's 00:00)."""
        assert p.clock is not None
        hour, minute = p.clock
        if p.clock_meridiem == "pm" and hour < 12:
            hour += 12
        elif p.clock_meridiem == "am" and hour == 12:
            hour = 0
        elif p.clock_meridiem is None:
            afternoon = (
                (p.part in _PM_PARTS and hour < 12)
                or (p.part == "noon" and 1 <= hour <= 3)
                or (p.part is None and 1 <= hour <= 6)  # 三点 in a shop's day is 15:00
            )
            if afternoon:
                hour += 12
        carry = 0
        if hour >= 24:
            hour, carry = hour - 24, 1
        return hour, minute, carry

    def _pick_day(self, p: _Parse, today: date, prefer: Prefer) -> date | None:
        """The calendar day the expression names, or None if it names no day."""
        if p.day is not None:
            return p.day
        if p.month_edge is not None:
            start = _month_start(today, p.month_shift or 0)
            if p.month_edge == "start":
                return start
            return _month_start(start, 1) - timedelta(days=1)
        if p.day_of_month is not None:
            return self._day_of_month(p, today, prefer)
        if p.weekday is not None:
            if p.week_shift is not None:
                return _monday(today) + timedelta(weeks=p.week_shift, days=p.weekday)
            candidate = _monday(today) + timedelta(days=p.weekday)
            if p.recurrence:
                prefer = "future"
            if prefer == "future" and candidate < today:
                candidate += timedelta(days=7)
            if prefer == "past" and candidate > today:
                candidate -= timedelta(days=7)
            return candidate
        return None

    @staticmethod
    def _day_of_month(p: _Parse, today: date, prefer: Prefer) -> date | None:
        """12号 / 6月10日 / 下个月5号, rolled to the next (or last) such day when unqualified."""
        assert p.day_of_month is not None
        try:
            if p.month is not None:
                year = p.year or today.year
                candidate = date(year, p.month, p.day_of_month)
                if p.year is None and prefer == "future" and candidate < today:
                    candidate = date(year + 1, p.month, p.day_of_month)
                if p.year is None and prefer == "past" and candidate > today:
                    candidate = date(year - 1, p.month, p.day_of_month)
                return candidate
            if p.month_shift is not None:
                start = _month_start(today, p.month_shift)
                return start.replace(day=p.day_of_month)
            candidate = today.replace(day=p.day_of_month)
            if prefer == "future" and candidate < today:
                candidate = _month_start(today, 1).replace(day=p.day_of_month)
            if prefer == "past" and candidate > today:
                candidate = _month_start(today, -1).replace(day=p.day_of_month)
            return candidate
        except ValueError:
            return None  # 2月30号

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self._zone)

    def _assemble(self, p: _Parse, now: datetime, prefer: Prefer) -> TimeValue | None:
        """Turn what the rules found into a :class:`TimeValue`."""
        today = now.date()
        if p.period is not None and p.weekday is None and p.period_start and p.period_end:
            start = self._at(p.period_start, time())
            end = self._at(p.period_end, time())
            grain = "day" if p.period == "range" else p.period
            return TimeValue(start, grain, start, end, p.relation, p.recurrence)
        day = self._pick_day(p, today, prefer)
        if day is None and p.clock is None and p.part is None:
            return None
        explicit_day = day is not None
        day = day or today
        if p.clock is not None:
            hour, minute, carry = self._hour(p)
            moment = self._at(day + timedelta(days=carry), time(hour, minute))
            moment = self._roll(
                moment,
                explicit_day=explicit_day,
                now=now,
                prefer=prefer,
                recurrence=p.recurrence,
                period=None,
            )
            grain = "minute" if p.clock_has_minutes else "hour"
            return TimeValue(moment, grain, moment, moment, p.relation, p.recurrence)
        if p.part is not None:
            clock, start_hour, end_hour = _PARTS[p.part]
            moment = self._at(day, clock)
            period = (
                timedelta(hours=start_hour - clock.hour),
                timedelta(hours=end_hour - clock.hour),
            )
            moment = self._roll(
                moment,
                explicit_day=explicit_day,
                now=now,
                prefer=prefer,
                recurrence=p.recurrence,
                period=period,
            )
            start, end = moment + period[0], moment + period[1]
            return TimeValue(moment, "part_of_day", start, end, p.relation, p.recurrence)
        start = self._at(day, time())
        end = start + timedelta(days=2 if p.weekend else 1)
        return TimeValue(start, "day", start, end, p.relation, p.recurrence)

    @staticmethod
    def _roll(
        moment: datetime,
        *,
        explicit_day: bool,
        now: datetime,
        prefer: Prefer,
        recurrence: str | None,
        period: tuple[timedelta, timedelta] | None,
    ) -> datetime:
        """A time of day without a day is the next (or, for the past, last) such time.

        For a part of day, "next" means the period has not ended yet (下午 said at 10:30 is
        today's afternoon); a weekly time already past this week moves on a week.
        """
        if recurrence == "weekly":
            return moment + timedelta(days=7) if moment < now else moment
        if explicit_day:
            return moment
        first = moment + period[0] if period else moment
        last = moment + period[1] if period else moment
        if prefer == "future" or recurrence:
            passed = last <= now if period else moment < now
            return moment + timedelta(days=1) if passed else moment
        return moment - timedelta(days=1) if first > now else moment

    # ------------------------------------------------------------------ dateparser
    def _with_dateparser(self, text: str, now: datetime, prefer: Prefer) -> TimeValue | None:
        """Offsets and absolute dates (3天后, in two days, June 10, 2026-12-01) via dateparser.

        dateparser keeps the base's clock for day offsets and its 1.2 release reports the
        period "day" even for "in 3 hours", so the words decide whether a clock was named.
        """
        from dateparser.date import DateDataParser  # heavy import, only when needed

        parser = DateDataParser(
            languages=["en", "zh"],
            settings={
                "RELATIVE_BASE": now.replace(tzinfo=None),
                "PREFER_DATES_FROM": prefer,
                "RETURN_TIME_AS_PERIOD": True,
            },
        )
        data = parser.get_date_data(text)
        if data is None or data.date_obj is None:
            return None
        parsed: datetime = data.date_obj
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(self._zone).replace(tzinfo=None)
        if data.period == "time" or _CLOCK_WORDS.search(text):
            moment = parsed.replace(tzinfo=self._zone)
            return TimeValue(moment, "minute", moment, moment)
        start = datetime.combine(parsed.date(), time(), tzinfo=self._zone)
        return TimeValue(start, "day", start, start + timedelta(days=1))

    # ------------------------------------------------------------------ public
    def resolve(
        self, text: str, *, now: datetime | None = None, prefer: Prefer = "future"
    ) -> TimeValue | None:
        """Resolve ``text`` against ``now`` (the message time; default: the current time).

        ``prefer`` settles bare weekdays, days of month and clock times: the next one for
        plans and deadlines, the last one for what already happened (visit notes).
        Returns None when the text holds no time the rules or dateparser understand.
        """
        moment = to_shanghai(now).astimezone(self._zone)
        normalised = _normalise(text)
        if not normalised:
            return None
        offset = _offset_to_english(normalised)
        if offset is not None:
            return self._with_dateparser(offset, moment, prefer)
        found, rest = self._rules(normalised, moment.date())
        if not found.matched:
            # dateparser reads any single word as something (上 -> a January date): only
            # dates with digits or English words go to it.
            if not _DATEPARSER_WORTHY.search(normalised):
                return None
            return self._with_dateparser(normalised, moment, prefer)
        leftover = _FILLER.sub(" ", rest).strip()
        if leftover and found.day is None and _DATE_LIKE.search(leftover):
            # "June 10 at 3pm": the rules took the clock, dateparser reads the date.
            day = self._with_dateparser(leftover, moment, prefer)
            if day is not None:
                found.day, found.day_is_explicit = day.start.date(), True
        return self._assemble(found, moment, prefer)


def _offset_to_english(text: str) -> str | None:
    """两天后 (by now 2天后) -> "in 2 days", a form every dateparser version reads.

    English offsets ("in two days", "3 days ago") pass through as they are; None when
    ``text`` is no offset.
    """
    if _EN_OFFSET.search(text):
        return text
    units = {"天": "days", "日": "days", "周": "weeks", "星期": "weeks", "礼拜": "weeks"}
    units |= {"月": "months", "小时": "hours", "钟头": "hours", "分钟": "minutes"}
    match = re.search(
        r"(\d+|半)个?(天|日|周|星期|礼拜|月|小时|钟头|分钟)(以后|之后|后|以前|之前|前)", text
    )
    if match is None:
        after = re.search(r"过(\d+)个?(天|周|星期|礼拜|月|小时|分钟)", text)
        return f"in {after.group(1)} {units[after.group(2)]}" if after else None
    count, unit, direction = match.groups()
    english_unit = units[unit]
    if count == "半":
        count, english_unit = ("30", "minutes") if unit == "小时" else ("12", "hours")
    if direction.endswith("后"):
        return f"in {count} {english_unit}"
    return f"{count} {english_unit} ago"
