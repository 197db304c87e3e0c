"""Funding-reminder preferences in the retailer's own words.

"每周三上午提醒我就行", "别天天发", "暂停提醒到下周一", "stop reminders", "resume": the
retailer says it, :func:`read_preference_change` turns it into a :class:`PreferenceChange`,
the retailer confirms, and :func:`apply_preference_change` writes it to
:class:`~retail.models.ReminderPreference`, which the reminder planner reads. A change has a
compact text form (:meth:`PreferenceChange.encode`) so a confirmation button carries exactly
what it will save.

Quiet hours only ever get stricter from chat ("晚上别发" moves the start earlier, "别太早" the
end later); nothing a retailer types here turns off the failed-deduction notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import cn2an
from sqlalchemy.orm import Session

from retail.access import Principal, own_shop
from retail.clock import SHANGHAI, Clock, local
from retail.models import ReminderPreference

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
DEFAULT_DAILY_CAP = 2
DEFAULT_PAUSE_DAYS = 7
MAX_PAUSE_DAYS = 366
EVERY_DAY: tuple[int, ...] = ()
"""An empty weekday list means "any day a reminder is due"."""


@dataclass(frozen=True)
class PreferenceChange:
    """What a message asks to change; None (or False) fields stay as they are."""

    stop: bool = False
    resume: bool = False
    pause_until: date | None = None
    preferred_time: time | None = None
    weekdays: tuple[int, ...] | None = None
    daily_cap: int | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None

    @property
    def is_empty(self) -> bool:
        """True if the message asked for nothing we recognised."""
        return self == PreferenceChange()

    def encode(self) -> str:
        """A compact form for a button payload, e.g. ``t=0900;d=2`` (see :meth:`decode`)."""
        parts: list[str] = []
        if self.stop:
            parts.append("off")
        if self.resume:
            parts.append("on")
        if self.pause_until is not None:
            parts.append(f"p={self.pause_until:%Y%m%d}")
        if self.preferred_time is not None:
            parts.append(f"t={self.preferred_time:%H%M}")
        if self.weekdays is not None:
            parts.append("d=" + (".".join(str(d) for d in self.weekdays) or "*"))
        if self.daily_cap is not None:
            parts.append(f"c={self.daily_cap}")
        if self.quiet_start is not None:
            parts.append(f"qs={self.quiet_start:%H%M}")
        if self.quiet_end is not None:
            parts.append(f"qe={self.quiet_end:%H%M}")
        return ";".join(parts)

    @classmethod
    def decode(cls, text: str) -> PreferenceChange:
        """The change :meth:`encode` wrote; ValueError for anything else (a forged payload)."""
        change = cls()
        for part in filter(None, text.split(";")):
            name, _, value = part.partition("=")
            if name == "off" and not value:
                change = replace(change, stop=True)
            elif name == "on" and not value:
                change = replace(change, resume=True)
            elif name == "p":
                change = replace(change, pause_until=datetime.strptime(value, "%Y%m%d").date())
            elif name == "t":
                change = replace(change, preferred_time=_hhmm(value))
            elif name == "qs":
                change = replace(change, quiet_start=_hhmm(value))
            elif name == "qe":
                change = replace(change, quiet_end=_hhmm(value))
            elif name == "d":
                days = () if value == "*" else tuple(int(d) for d in value.split("."))
                if any(d not in range(7) for d in days):
                    raise ValueError(f"bad weekday in {text!r}")
                change = replace(change, weekdays=days)
            elif name == "c" and value.isdigit() and 1 <= int(value) <= 5:
                change = replace(change, daily_cap=int(value))
            else:
                raise ValueError(f"cannot read preference change {text!r}")
        return change


def _hhmm(value: str) -> time:
    return datetime.strptime(value, "%H%M").time()


@dataclass(frozen=True)
class PreferenceView:
    """A retailer's reminder preferences as they stand, for repeating back to them."""

    opted_out: bool
    paused_until: datetime | None
    preferred_time: time | None
    weekdays: tuple[int, ...]
    daily_cap: int
    quiet_start: time
    quiet_end: time
    order_weekday: int

    def paused_at(self, now: datetime) -> bool:
        """True while a pause is still running at ``now``."""
        return self.paused_until is not None and self.paused_until > now


@dataclass(frozen=True)
class ReadPreference:
    """A message read: the change, and a problem that stops it being offered (if any)."""

    change: PreferenceChange
    problem: str | None = None
    problem_params: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------ reading the message

_ZH_DIGITS = "零一二两三四五六七八九十"
_WEEKDAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_CHARS.update({str(n): n - 1 for n in range(1, 8)})
_EN_WEEKDAYS = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_ZH_WEEKDAYS = re.compile(
    r"(?P<prefix>下个?|这|本|上)?(?:周|星期|礼拜)(?P<days>[一二三四五六日天1-7]"
    r"(?:[、,，和跟及/或]?(?:周|星期|礼拜)?[一二三四五六日天1-7])*)(?![次个遍])"
)
_EN_WEEKDAY = re.compile(
    r"\b(?P<next>next )?(?P<day>mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.IGNORECASE
)
_ZH_CLOCK = re.compile(
    rf"(?P<part>凌晨|早上|早晨|一早|上午|中午|下午|傍晚|晚上|今晚|夜里)?\s*"
    rf"(?P<hour>\d{{1,2}}|[{_ZH_DIGITS}]{{1,3}})\s*(?:点|:|：|时)\s*"
    rf"(?P<minute>半|一刻|三刻|\d{{1,2}}|[{_ZH_DIGITS}]{{1,3}})?"
)
_EN_CLOCK = re.compile(
    r"\b(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.|o'?clock)\b"
    r"|\bat (?P<hour2>\d{1,2})(?::(?P<minute2>\d{2}))?\b",
    re.IGNORECASE,
)
_PARTS = {
    "凌晨": time(6),
    "早上": time(8),
    "早晨": time(8),
    "一早": time(8),
    "上午": time(9),
    "中午": time(12),
    "下午": time(15),
    "傍晚": time(18),
    "晚上": time(19),
    "今晚": time(19),
    "夜里": time(20),
    "morning": time(9),
    "noon": time(12),
    "midday": time(12),
    "lunchtime": time(12),
    "afternoon": time(15),
    "evening": time(19),
}
_PART_WORD = re.compile(
    r"(凌晨|早上|早晨|一早|上午|中午|下午|傍晚|晚上|今晚|夜里)|\b(morning|noon|midday|lunchtime|"
    r"afternoon|evening)s?\b",
    re.IGNORECASE,
)
_PM_PARTS = {"下午", "傍晚", "晚上", "今晚", "夜里"}

_PAUSE = re.compile(
    r"暂停|先别|先不要|这周.{0,2}(别|不要|不用)|本周.{0,2}(别|不要|不用)|下个?(周|星期|礼拜|月).{0,3}再|"
    r"休息几天|\bpause\b|\bsnooze\b|hold off|not this week|\buntil\b|\btill\b|next (week|month)",
    re.IGNORECASE,
)
_STOP = re.compile(
    r"(不要|别|不用|甭)再?(提醒|发|通知)|停止|关闭|关掉|关了|不想收|不要收|退订|取消订阅|别烦|"
    r"\bstop\b|unsubscribe|opt[ -]?out|no more|turn (them |it |reminders )?off|"
    r"don'?t (remind|message|send)|do not (remind|message|send)|\bno reminders\b",
    re.IGNORECASE,
)
_RESUME = re.compile(
    r"恢复|重新(开启|打开|开|提醒)|打开|开启|又可以|订阅|开提醒|\bresume\b|"
    r"turn (them |it |reminders )?(back )?on|start again|\benable\b|unpause|remind me again|"
    r"switch (it |them )?(back )?on",
    re.IGNORECASE,
)
_LESS = re.compile(
    r"(别|不要|不用|甭)(天天|每天|每次|老|总)|太多|太频繁|频繁|少发|一次就够|就够了|一周一次|每周一次|"
    r"频率.{0,2}(低|少)|too (many|often|much)|less often|not every ?day|once a week|"
    r"(don'?t|do not) .{0,30}every ?day",
    re.IGNORECASE,
)
_CAP = re.compile(
    r"(一天|每天|天)最多(提醒)?(?P<zh>[一二两三1-3])次|at most (?P<en>\d|one|two|three) "
    r"(times? )?(a|per) day|(?P<word>once|twice) a day",
    re.IGNORECASE,
)
_ORDER_DAY = re.compile(r"订货(日|那天|当天)|on (my )?order day", re.IGNORECASE)
_DAY_BEFORE = re.compile(r"提前一天|前一天|the day before", re.IGNORECASE)
_WORKDAYS = re.compile(r"工作日|weekdays", re.IGNORECASE)
_NO_WEEKEND = re.compile(
    r"(周末|休息天|休息日|双休|星期六日).{0,3}(别|不要|不用)|(别|不要|不用).{0,3}(周末|休息天|双休)|"
    r"(no|not on|not at|don'?t .{0,20})\s*(the )?weekends?",
    re.IGNORECASE,
)
_EVERY_DAY = re.compile(r"每天|天天|every ?day|daily", re.IGNORECASE)
_NIGHT = re.compile(
    r"(?P<zh>晚上|夜里|夜间|半夜|深夜).{0,4}(别|不要|不用)|(别|不要).{0,3}(?P<zh2>晚上|夜里|半夜|深夜)|"
    r"(?P<en>late at night|at night|in the evening)",
    re.IGNORECASE,
)
_NIGHT_STARTS = {
    "晚上": time(19),
    "夜里": time(20),
    "夜间": time(20),
    "半夜": time(22),
    "深夜": time(22),
    "late at night": time(22),
    "at night": time(21),
    "in the evening": time(19),
}
_TOO_EARLY = re.compile(r"(别|不要)太早|too early", re.IGNORECASE)
_AFTER_NOT = re.compile(r"(以后|之后|后)\s*(就)?(别|不要|不用)|(not|nothing|no \w+) after", re.I)
_BEFORE_NOT = re.compile(r"(以前|之前|前)\s*(就)?(别|不要|不用)|(not|nothing|no \w+) before", re.I)
_DURATION = re.compile(
    rf"(?P<n>\d{{1,3}}|[{_ZH_DIGITS}]{{1,3}}|半)\s*(?P<unit>天|日|个?(?:周|星期|礼拜)|个?月)"
    r"|\bfor (?P<en>\d{1,3}|a|an|one|two|three|four) (?P<enunit>day|week|month)s?\b",
    re.IGNORECASE,
)
_MONTH_END = re.compile(r"月底|月末|end of (the )?month", re.IGNORECASE)
_NEXT_MONTH = re.compile(r"下个?月|next month", re.IGNORECASE)
_NEXT_WEEK = re.compile(r"下(个)?(周|星期|礼拜)(?![一二三四五六日天1-7])|next week", re.I)
_THIS_WEEK = re.compile(r"这周|本周|this week", re.IGNORECASE)
_DAY_OF_MONTH = re.compile(
    rf"(?:(?P<month>\d{{1,2}}|[{_ZH_DIGITS}]{{1,3}})月)?"
    rf"(?P<day>\d{{1,2}}|[{_ZH_DIGITS}]{{1,3}})[号日]"
)
_EN_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "once": 1,
                    "twice": 2}  # fmt: skip


def _number(text: str) -> int | None:
    """An integer written in digits or Chinese numerals (三, 十二, 两), or None."""
    if text.isdigit():
        return int(text)
    if text in _EN_WORD_NUMBERS:
        return _EN_WORD_NUMBERS[text]
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if float(value).is_integer() else None


def _minute(text: str | None) -> int:
    if not text:
        return 0
    return {"半": 30, "一刻": 15, "三刻": 45}.get(text) or (_number(text) or 0)


def _clock(text: str) -> tuple[time, re.Match[str], bool] | None:
    """The first clock time in the text, its match, and whether it named a part of day."""
    match = _ZH_CLOCK.search(text)
    if match:
        hour = _number(match.group("hour"))
        part = match.group("part")
        if hour is None or hour > 24:
            return None
        if (part in _PM_PARTS and hour < 12) or (part is None and 1 <= hour <= 6):
            hour += 12  # a bare 三点 means the afternoon: shops are open then
        minute = _minute(match.group("minute"))
        return time(hour % 24, min(minute, 59)), match, part is not None
    match = _EN_CLOCK.search(text)
    if match:
        hour = int(match.group("hour") or match.group("hour2"))
        minute = int(match.group("minute") or match.group("minute2") or 0)
        ampm = (match.group("ampm") or "").lower().replace(".", "")
        if hour > 24:
            return None
        if ampm == "pm" and hour < 12:
            hour += 12
        if ampm == "am" and hour == 12:
            hour = 0
        return time(hour % 24, min(minute, 59)), match, bool(ampm and ampm != "o'clock")
    return None


def _weekdays(text: str) -> list[tuple[int, str | None]]:
    """Weekdays named in the text, with the 下/这/上 (next/this) prefix each had."""
    found: list[tuple[int, str | None]] = []
    for match in _ZH_WEEKDAYS.finditer(text):
        for char in re.sub(r"周|星期|礼拜|[、,，和跟及/或]", "", match.group("days")):
            found.append((_WEEKDAY_CHARS[char], match.group("prefix")))
    for match in _EN_WEEKDAY.finditer(text):
        found.append((_EN_WEEKDAYS[match.group("day").lower()], match.group("next")))
    return found


def _next_weekday(today: date, weekday: int, *, next_week: bool) -> date:
    """The coming ``weekday`` (never today); with ``next_week``, that weekday of next week."""
    if next_week:
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def _first_of_next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _pause_until(text: str, today: date) -> date:
    """When a pause in ``text`` ends (the day reminders may start again)."""
    days = _weekdays(text)
    if days:
        weekday, prefix = days[0]
        return _next_weekday(
            today, weekday, next_week=bool(prefix and prefix.startswith(("下", "next")))
        )
    if _MONTH_END.search(text) or _NEXT_MONTH.search(text):
        return _first_of_next_month(today)
    match = _DAY_OF_MONTH.search(text)
    if match:
        day = _number(match.group("day"))
        month = _number(match.group("month")) if match.group("month") else None
        if day and 1 <= day <= 31:
            year, month = today.year, month or today.month
            for _ in range(13):
                try:
                    candidate = date(year, month, day)
                except ValueError:
                    candidate = None
                if candidate is not None and candidate > today:
                    return candidate
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if _NEXT_WEEK.search(text) or _THIS_WEEK.search(text):
        return _next_weekday(today, 0, next_week=False)
    match = _DURATION.search(text)
    if match:
        if match.group("n"):
            count = 0.5 if match.group("n") == "半" else (_number(match.group("n")) or 1)
            unit = match.group("unit")
            per = 30 if "月" in unit else 7 if any(w in unit for w in "周星礼") else 1
        else:
            count = _number(match.group("en").lower()) or 1
            per = {"day": 1, "week": 7, "month": 30}[match.group("enunit").lower()]
        days_ahead = max(1, min(MAX_PAUSE_DAYS, round(count * per)))
        return today + timedelta(days=days_ahead)
    return today + timedelta(days=DEFAULT_PAUSE_DAYS)


def _in_quiet(moment: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def read_preference_change(
    text: str, *, today: date, order_weekday: int, current: PreferenceView | None = None
) -> ReadPreference:
    """Understand a reminder-preference message (zh or en) as a change to confirm.

    Specific wishes (a time, weekdays, fewer messages, quiet hours, a pause) win over a bare
    "stop": "周末别发" limits the days, it does not switch reminders off.
    """
    change = PreferenceChange()
    clock = _clock(text)
    quiet_from_clock = False
    if clock is not None:
        moment, match, _ = clock
        rest = text[match.end() : match.end() + 8]
        if _AFTER_NOT.match(rest.strip()) or _AFTER_NOT.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            evening = (
                time((moment.hour + 12) % 24, moment.minute) if 6 <= moment.hour < 12 else moment
            )
            change = replace(change, quiet_start=evening)
            quiet_from_clock = True
        elif _BEFORE_NOT.match(rest.strip()) or _BEFORE_NOT.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            change = replace(change, quiet_end=moment)
            quiet_from_clock = True
        else:
            change = replace(change, preferred_time=moment)
    night = _NIGHT.search(text)
    if night and change.quiet_start is None and not quiet_from_clock:
        word = (night.group("zh") or night.group("zh2") or night.group("en")).lower()
        change = replace(change, quiet_start=_NIGHT_STARTS[word])
    if _TOO_EARLY.search(text) and change.quiet_end is None:
        change = replace(change, quiet_end=time(9, 0))
    if change.preferred_time is None and change.quiet_start is None and change.quiet_end is None:
        part = _PART_WORD.search(text)
        if part and not _NIGHT.search(text):
            change = replace(
                change, preferred_time=_PARTS[(part.group(1) or part.group(2)).lower()]
            )

    pausing = bool(_PAUSE.search(text))
    if not pausing:
        days = sorted({d for d, _ in _weekdays(text)})
        if _NO_WEEKEND.search(text) or _WORKDAYS.search(text):
            days = [0, 1, 2, 3, 4]
        elif _ORDER_DAY.search(text):
            days = [order_weekday]
        elif _DAY_BEFORE.search(text):
            days = [(order_weekday - 1) % 7]
        elif not days and re.search(r"周末|weekends?", text, re.IGNORECASE):
            days = [5, 6]
        if days:
            change = replace(change, weekdays=tuple(days))
        elif _EVERY_DAY.search(text) and not _LESS.search(text):
            change = replace(change, weekdays=EVERY_DAY)

    cap = _CAP.search(text)
    if cap:
        raw = (cap.group("zh") or cap.group("en") or cap.group("word") or "1").lower()
        change = replace(change, daily_cap=max(1, min(3, _number(raw) or 1)))
    elif _LESS.search(text):
        change = replace(change, daily_cap=1)
        if change.weekdays is None:
            change = replace(change, weekdays=(order_weekday,))

    specific = not change.is_empty
    if pausing:
        change = replace(change, pause_until=_pause_until(text, today))
    elif _STOP.search(text) and not specific:
        change = replace(change, stop=True)
    elif _RESUME.search(text):
        change = replace(change, resume=True)

    if change.preferred_time is not None:
        start = change.quiet_start or (current.quiet_start if current else DEFAULT_QUIET_START)
        end = change.quiet_end or (current.quiet_end if current else DEFAULT_QUIET_END)
        if _in_quiet(change.preferred_time, start, end):
            return ReadPreference(
                change,
                problem="quiet",
                problem_params={
                    "time": f"{change.preferred_time:%H:%M}",
                    "start": f"{start:%H:%M}",
                    "end": f"{end:%H:%M}",
                },
            )
    return ReadPreference(change)


# ------------------------------------------------------------------ reading and writing rows


def _view(row: ReminderPreference | None, order_weekday: int) -> PreferenceView:
    if row is None:
        return PreferenceView(
            opted_out=False,
            paused_until=None,
            preferred_time=None,
            weekdays=EVERY_DAY,
            daily_cap=DEFAULT_DAILY_CAP,
            quiet_start=DEFAULT_QUIET_START,
            quiet_end=DEFAULT_QUIET_END,
            order_weekday=order_weekday,
        )
    return PreferenceView(
        opted_out=row.opted_out,
        paused_until=row.paused_until,
        preferred_time=row.preferred_time,
        weekdays=tuple(sorted(int(d) for d in row.preferred_weekdays or [])),
        daily_cap=row.daily_cap,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        order_weekday=order_weekday,
    )


def current_preferences(session: Session, principal: Principal) -> PreferenceView:
    """The asking retailer's reminder preferences (the defaults if never set)."""
    retailer = own_shop(session, principal)
    return _view(session.get(ReminderPreference, retailer.id), retailer.order_weekday)


def apply_preference_change(
    session: Session, principal: Principal, change: PreferenceChange, *, clock: Clock
) -> PreferenceView:
    """Save a confirmed change for the asking retailer and return the preferences as saved.

    Choosing a time, days or a pause switches reminders back on; "resume" also ends a pause.
    Quiet hours only grow: a start moves earlier, an end later.
    """
    retailer = own_shop(session, principal)
    row = session.get(ReminderPreference, retailer.id)
    if row is None:
        row = ReminderPreference(
            retailer_id=retailer.id,
            preferred_time=None,
            preferred_weekdays=[],
            paused_until=None,
            opted_out=False,
            daily_cap=DEFAULT_DAILY_CAP,
            quiet_start=DEFAULT_QUIET_START,
            quiet_end=DEFAULT_QUIET_END,
        )
        session.add(row)
    if change.stop:
        row.opted_out = True
        row.paused_until = None
    if change.resume:
        row.opted_out = False
        row.paused_until = None
    if change.pause_until is not None:
        today = local(clock.now()).date()
        until = min(change.pause_until, today + timedelta(days=MAX_PAUSE_DAYS))
        row.paused_until = datetime.combine(until, time(0), tzinfo=SHANGHAI)
        row.opted_out = False
    if change.preferred_time is not None:
        row.preferred_time = change.preferred_time
        row.opted_out = False
    if change.weekdays is not None:
        row.preferred_weekdays = list(change.weekdays)
        row.opted_out = False
    if change.daily_cap is not None:
        row.daily_cap = change.daily_cap
    if change.quiet_start is not None:
        row.quiet_start = _earlier_evening(row.quiet_start, change.quiet_start)
    if change.quiet_end is not None:
        row.quiet_end = max(row.quiet_end, change.quiet_end)
    session.flush()
    return _view(row, retailer.order_weekday)


def _earlier_evening(current: time, wanted: time) -> time:
    """The earlier of two quiet-hour starts, reading times after noon as the same evening."""

    def key(moment: time) -> int:
        """Minutes after noon, so 23:00 sorts before 01:00."""
        minutes = moment.hour * 60 + moment.minute
        return minutes if minutes >= 12 * 60 else minutes + 24 * 60

    return wanted if key(wanted) < key(current) else current
