"""Reminder-preference wishes in a retailer's own words (zh or en), read into typed values.

"每周三上午提醒我就行", "别天天发", "暂停提醒到下周一", "晚上别发", "stop reminders": this module
says what such a message asks for, as a :class:`PreferenceWords`. What a wish means for one
retailer (their order day, how long an open pause lasts, how many messages a day at most,
whether a time falls in quiet hours) is decided by ``retail.reminders.preferences``.

Times are read by :mod:`lang.times`, so part-of-day words follow its table (上午 09:00, 晚上
20:00 for a chosen time and 18:00 as the start of "not in the evening"), and counts by
:mod:`lang.numerals`. This module knows only the words of the wish (暂停, 别天天, 最多…次,
订货日) and where a negation turns a time into quiet hours or a day into a day off.

Time expressions the NLU already resolved come in as :class:`lang.times.TimeMention` and are
not read again; the reader looks for others only in the rest of the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from lang.numerals import parse_number
from lang.times import TimeMention, TimeValue, find_times, to_shanghai

OrderDay = Literal["on", "before"]
"""A day named by the retailer's order day: the day itself, or the day before it."""

_WORKDAYS = (0, 1, 2, 3, 4)
_WEEKEND = (5, 6)
_NOT_TOO_EARLY = time(9)  # "别太早": no reminder before the business morning starts
_CLOCK_GRAINS = frozenset({"hour", "minute"})


@dataclass(frozen=True)
class PreferenceWords:
    """What a reminder-preference message asks for; None or False where it says nothing.

    ``weekdays`` is ``()`` for "every day". ``order_day`` and ``fewer`` ("别天天发", "too many"
    without a number) are relative to the retailer's order day, which is not known here.
    ``pause`` with no ``pause_until`` is a pause of no stated length. ``daily_cap`` is the
    number said, unclamped.
    """

    stop: bool = False
    resume: bool = False
    pause: bool = False
    pause_until: date | None = None
    preferred_time: time | None = None
    weekdays: tuple[int, ...] | None = None
    order_day: OrderDay | None = None
    fewer: bool = False
    daily_cap: int | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None


def mention_from_entity(entity: Mapping[str, Any], text: str) -> TimeMention | None:
    """The time mention a resolved NLU ``time`` entity in ``text`` describes.

    The inverse of ``TimeValue.as_dict`` plus the entity's character offsets. None for an
    entity the NLU could not resolve (its ``value`` is then the raw words): the reader finds
    that time in the text itself.
    """
    try:
        value = TimeValue(
            value=datetime.fromisoformat(str(entity["value"])),
            grain=str(entity["grain"]),
            start=datetime.fromisoformat(str(entity["from"])),
            end=datetime.fromisoformat(str(entity["to"])),
            relation=entity.get("relation"),
            recurrence=entity.get("recurrence"),
        )
        start, end = int(entity["start"]), int(entity["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return TimeMention(start, end, text[start:end], value)


# ------------------------------------------------------------------ words of the wish
_NUM = "0-9零〇一二两三四五六七八九十"
_DAY_CHARS = "一二三四五六日天1-7"
_NAMES_WEEKDAY = re.compile(
    rf"(?:周|星期|礼拜)[{_DAY_CHARS}]|\b(?:mon|tue|wed|thu|fri|sat|sun)", re.IGNORECASE
)
_NAMES_WEEKEND = re.compile(r"(?:周|星期|礼拜)末|weekend", re.IGNORECASE)
_COUNTED_WEEKS = re.compile(r"[次个遍]")  # 一周一次 is once a week, not Monday
_NEG_AFTER = re.compile(
    r"\s*(?:以后|之后|以前|之前|前|后)?\s*(?:就|再|也|都)?(?:别|不要|不用|甭|不)"
)
_NEG_BEFORE = re.compile(
    r"(?:别|不要|不用|甭)[^\s，,。！!？?]{0,2}$"
    r"|\b(?:no|not|nothing|never|don'?t|dont|do not|stop)\b[^,.;!?，。]{0,30}$",
    re.IGNORECASE,
)
_PAUSE = re.compile(
    r"暂停|先别|先不要|这周.{0,2}(别|不要|不用)|本周.{0,2}(别|不要|不用)|下个?(周|星期|礼拜|月).{0,3}再|"
    r"休息几天|\bpause\b|\bsnooze\b|hold off|\b(not?|don'?t|dont)\b.{0,25}\bthis week\b|\buntil\b|"
    r"\btill\b|next (week|month)",
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
    rf"(?:一天|每天|天天|一日|每日)(?:最多|至多|只)?(?:提醒|发|通知)?(?P<zh>[{_NUM}]{{1,3}})次"
    r"|\bat most (?P<en>\w+) (?:times? )?(?:a|per) day\b|\b(?P<en2>\w+) times (?:a|per) day\b"
    r"|\b(?P<once>once|twice) (?:a|per) day\b",
    re.IGNORECASE,
)
_ORDER_DAY = re.compile(r"订货(日|那天|当天)|on (my )?order day", re.IGNORECASE)
_DAY_BEFORE = re.compile(r"提前一天|前一天|\b(the|a) day before", re.IGNORECASE)
_WORKDAY_WORDS = re.compile(r"工作日|\bweekdays\b", re.IGNORECASE)
_REST_DAYS = re.compile(r"休息天|休息日|双休|\bweekends?\b", re.IGNORECASE)
_EVERY_DAY = re.compile(r"每天|天天|every ?day|daily", re.IGNORECASE)
_TOO_EARLY = re.compile(r"(别|不要)太早|too early", re.IGNORECASE)
_MONTH_END = re.compile(r"月底|月末|end of (the )?month", re.IGNORECASE)
_DURATION = re.compile(
    rf"(?P<n>[{_NUM}]{{1,3}}|半)\s*(?P<unit>天|日|个?(?:周|星期|礼拜)|个?月)"
    r"|\bfor (?P<en>\d{1,3}|[a-z]+) (?P<enunit>day|week|month)s?\b",
    re.IGNORECASE,
)
_ELIDED_DAY = re.compile(
    rf"\s*(?P<sep>[、,，/和跟及或]|到|至|[-~])?\s*(?P<day>[{_DAY_CHARS}])(?![次个遍点时号])"
)
_RANGE = re.compile(r"\s*(?:到|至|[-~]|to|through|thru)\s*", re.IGNORECASE)


def _negated(text: str, start: int, end: int) -> bool:
    """Whether the words right around a span say no to it (晚上[别发], [don't] ... at night)."""
    return bool(_NEG_AFTER.match(text, end) or _NEG_BEFORE.search(text[max(0, start - 40) : start]))


def _count(words: str | None) -> int | None:
    """A whole count of at least one, read by lang.numerals (三, two, 2)."""
    value = parse_number(words) if words else None
    return int(value) if isinstance(value, int) and value >= 1 else None


def _hours(
    text: str, mentions: Sequence[TimeMention]
) -> tuple[time | None, time | None, time | None, bool]:
    """The chosen time, quiet start, quiet end, and whether a time of day was refused.

    Clock times come before part-of-day words ("上午十点" is 10:00, not 上午's 09:00). A clock
    with 以后/after and a negation starts quiet hours, with 以前/before it ends them; a
    negated part of day covers its period (晚上别发: quiet from the evening's start).
    """
    preferred = quiet_start = quiet_end = None
    refused = False
    ordered = sorted(mentions, key=lambda m: (m.value.grain not in _CLOCK_GRAINS, m.start))
    for mention in ordered:
        value = mention.value
        if value.grain not in _CLOCK_GRAINS and value.grain != "part_of_day":
            continue
        negated = _negated(text, mention.start, mention.end)
        if not negated:
            preferred = preferred or value.value.time()
        elif value.grain == "part_of_day" and value.start.hour >= 17:
            quiet_start = quiet_start or value.start.time()
        elif value.grain == "part_of_day" and time(0) < value.end.time() <= time(12):
            quiet_end = quiet_end or value.end.time()
        elif value.grain in _CLOCK_GRAINS and value.relation == "after":
            moment = value.value.time()
            # "十点以后别提醒": quiet hours start in the evening, so a morning hour means 22:00.
            evening = time(moment.hour + 12, moment.minute) if 6 <= moment.hour < 12 else moment
            quiet_start = quiet_start or evening
        elif value.grain in _CLOCK_GRAINS and value.relation == "before":
            quiet_end = quiet_end or value.value.time()
        else:
            refused = True  # "下午别发": no single quiet window says that; nothing to offer
    return preferred, quiet_start, quiet_end, refused


def _weekday_of(char: str, now: datetime) -> int | None:
    """The weekday a day character names (三 -> Wednesday), by lang.times."""
    found = find_times(f"周{char}", now=now)
    return found[0].value.value.weekday() if found else None


def _day_range(first: int, last: int) -> set[int]:
    """The weekdays from ``first`` to ``last``, wrapping past Sunday (周五到周一)."""
    return {(first + offset) % 7 for offset in range((last - first) % 7 + 1)}


def _named_days(
    text: str, mentions: Sequence[TimeMention], now: datetime
) -> tuple[set[int], set[int]]:
    """Weekdays asked for and weekdays refused (周末别发), with lists and ranges spelled out.

    "周一、三、五" names three days, "周一到周五" and "Mon to Fri" five.
    """
    wanted: set[int] = set()
    refused: set[int] = set()
    previous: tuple[int, int] | None = None  # (weekday, end) of the last weekday mention
    for mention in mentions:
        words = mention.text
        if _NAMES_WEEKEND.search(words):
            days, end = set(_WEEKEND), mention.end
        elif _NAMES_WEEKDAY.search(words) and mention.value.grain == "range":
            last = mention.value.end - timedelta(days=1)
            days, end = _day_range(mention.value.start.weekday(), last.weekday()), mention.end
        elif _NAMES_WEEKDAY.search(words):
            day = mention.value.value.weekday()
            days, end = {day}, mention.end
            if previous is not None and _RANGE.fullmatch(text, previous[1], mention.start):
                days |= _day_range(previous[0], day)
            while match := _ELIDED_DAY.match(text, end):
                # 周六日 runs on without a separator; 周一三点 is Monday at three.
                if match.group("sep") is None and match.group("day") not in "日天":
                    break
                listed = _weekday_of(match.group("day"), now)
                if listed is None:
                    break
                if match.group("sep") in ("到", "至", "-", "~"):
                    days |= _day_range(day, listed)
                days.add(listed)
                day, end = listed, match.end()
            previous = (day, end)
        else:
            continue
        (refused if _negated(text, mention.start, end) else wanted).update(days)
    for match in _REST_DAYS.finditer(text):
        (refused if _negated(text, match.start(), match.end()) else wanted).update(_WEEKEND)
    return wanted, refused


def _weekdays(
    text: str, mentions: Sequence[TimeMention], now: datetime, *, fewer: bool
) -> tuple[tuple[int, ...] | None, OrderDay | None]:
    """The days reminders may come on, or the order-day rule that names them."""
    wanted, refused = _named_days(text, mentions, now)
    if _WORKDAY_WORDS.search(text):
        return _WORKDAYS, None
    if _ORDER_DAY.search(text):
        return None, "on"
    if _DAY_BEFORE.search(text):
        return None, "before"
    if wanted - refused:
        return tuple(sorted(wanted - refused)), None
    if refused:
        return tuple(d for d in range(7) if d not in refused), None
    if _EVERY_DAY.search(text) and not fewer:
        return (), None
    return None, None


def _pause_end(text: str, mentions: Sequence[TimeMention], today: date) -> date | None:
    """The day a pause ends (reminders may come again), or None if the message names none.

    A week or month is over when it ends if it has begun (这周别发: next Monday), else when it
    starts (下个月再说: the 1st); a month end (到月底) is paused through.
    """
    for mention in mentions:
        value = mention.value
        if value.grain in ("week", "month"):
            begins = value.start.date()
            return begins if begins > today else value.end.date()
        if value.grain == "day":
            day = value.value.date()
            if _MONTH_END.search(text, mention.start, mention.end):
                day += timedelta(days=1)
            if day > today:
                return day
    match = _DURATION.search(text)
    if match is None:
        return None
    if match.group("n"):
        count = parse_number(match.group("n"))
        unit = match.group("unit")
        per = 30 if "月" in unit else 7 if any(w in unit for w in "周星礼") else 1
    else:
        count = parse_number(match.group("en"))
        per = {"day": 1, "week": 7, "month": 30}[match.group("enunit").lower()]
    return today + timedelta(days=max(1, round((count or 1) * per)))


def _daily_cap(text: str) -> int | None:
    """At most how many reminders a day the message allows (一天最多两次, once a day)."""
    match = _CAP.search(text)
    if match is None:
        return None
    if match.group("once"):
        return 1 if match.group("once").lower() == "once" else 2
    return _count(match.group("zh") or match.group("en") or match.group("en2"))


def _mentions(text: str, *, now: datetime, given: Sequence[TimeMention]) -> list[TimeMention]:
    """The ``given`` mentions, and those lang.times finds in the rest of the text, in order."""
    found = [
        m
        for m in find_times(text, now=now)
        if not any(g.start < m.end and m.start < g.end for g in given)
        and not _COUNTED_WEEKS.match(text, m.end)
    ]
    return sorted([*given, *found], key=lambda m: m.start)


def read_preference_words(
    text: str, *, now: datetime, times: Sequence[TimeMention] = ()
) -> PreferenceWords:
    """Understand a reminder-preference message (zh or en) relative to ``now``.

    ``times`` are the time expressions the NLU resolved; they are taken as they are, and the
    rest of the text is searched for more. Specific wishes (a time, days, fewer messages,
    quiet hours, a pause) win over a bare "stop": "周末别发" limits the days, it does not
    switch reminders off.
    """
    now = to_shanghai(now)
    mentions = _mentions(text, now=now, given=times)
    preferred, quiet_start, quiet_end, refused_time = _hours(text, mentions)
    if quiet_end is None and _TOO_EARLY.search(text):
        quiet_end = _NOT_TOO_EARLY
    daily_cap = _daily_cap(text)
    fewer = daily_cap is None and bool(_LESS.search(text))
    pausing = bool(_PAUSE.search(text))
    weekdays, order_day = (None, None) if pausing else _weekdays(text, mentions, now, fewer=fewer)
    words = PreferenceWords(
        preferred_time=preferred,
        weekdays=weekdays,
        order_day=order_day,
        fewer=fewer,
        daily_cap=daily_cap,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )
    if pausing:
        return replace(words, pause=True, pause_until=_pause_end(text, mentions, now.date()))
    if _STOP.search(text) and words == PreferenceWords() and not refused_time:
        return replace(words, stop=True)
    if _RESUME.search(text):
        return replace(words, resume=True)
    return words
