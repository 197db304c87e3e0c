"""Time expressions in Chinese and English, resolved against the message time in Asia/Shanghai.

Managers write 今天下午, 昨天上午, 上周五, 下周三下午三点, 月底前, 明早; retailers write 两天后,
3天内, 12号前, "tomorrow morning", "Tuesday of next week", "within two weeks", "by Friday".
Everything is read by the rules in this module (no dateparser: it misread most Chinese forms and
found dates in prices and percentages), so the Rasa server and the app give the same answers.

Two entry points:

- :meth:`TimeResolver.resolve` reads one span (an entity the NLU found) into one
  :class:`TimeValue`;
- :func:`find_times` scans a whole message (a visit note) and returns every
  :class:`TimeMention` in order, with its span in the original text.

Conventions (the actions rely on them):

- A day is its midnight with grain ``day``; a clock time has grain ``hour`` (三点, 3pm),
  ``minute`` (3点半, 12:30) or ``second``; offsets in minutes or hours (半小时后, 5 minutes ago)
  keep the minute, offsets in days or more (3天后, in a week) give the day.
- Parts of day are a representative time with ``start``/``end`` of the period, grain
  ``part_of_day``; with a clock time they set am/pm (晚上八点 20:00, "6 in the morning" 06:00,
  "11 at night" 23:00)::

      word                                        time    start   end
      凌晨                                         03:00   00:00   06:00
      早上 早晨 清早 一早 今早/明早 (早, 晨)         08:00   06:00   10:00
      上午 morning                                  09:00   06:00   12:00
      中午 晌午 noon midday lunchtime               12:00   11:00   14:00
      下午 午后 afternoon                           15:00   12:00   18:00
      傍晚 黄昏                                      18:00   17:00   19:00
      晚上 晚间 夜里 夜晚 今晚 (晚, 夜) evening night tonight  20:00  18:00  24:00
      半夜 深夜                                      23:00   22:00   24:00

- A clock hour 1-6 without 上午/下午/am/pm/part of day is afternoon (三点 -> 15:00): shops do
  business then. 晚上12点 and midnight are the next day's 00:00.
- 上周X / 这周X / 下周X, "last/this/next <weekday>" and "<weekday> of next week" are that
  weekday in the previous, current or next Monday-to-Sunday week. "past Friday" is the latest
  Friday before today. A bare weekday (周五, Friday), day of month (12号) or date without a year
  (6月10日) is the next one, or the last one when ``prefer="past"`` (visit notes tell of the
  past; plans and deadlines look ahead); a bare clock time likewise.
- 这周 / 上个月 / this week are periods (grain ``week``/``month``): ``start`` the first day,
  ``end`` the first day after; 最近两周 / past 7 days are grain ``day`` from that many days ago
  to the end of today.
- 月底 is the last day of the month, 月初 the first.
- ``relation``: ``before`` for deadlines (月底前, 周五前, 12号之前, by Friday, before Monday,
  3天内, 五日内, within two weeks: the value is the deadline itself), ``after`` (三点以后,
  after 5pm), ``until`` (到下周一, until Monday).
- Ranges (今晚10点到明早6点, 下午2点 - 晚上8点, from Monday to Wednesday, 6月12号到7月3号) have
  grain ``range``: ``value``/``start`` is the first end, ``end`` the second (for days, the
  midnight after that day, as periods do). An end without its own day takes the first end's
  day and comes after it (晚上10点到2点 ends at 02:00 the next day).
- Prices, percentages, counts and versions are no times (12.53%, ¥12.53, 三条, mar, 1-2-3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from lang import _time_words as words
from lang._time_patterns import (
    _ATOMS,
    _GLUE,
    _MODIFIERS,
    _PREFIX_RELATION,
    _RANGE,
    _SLOTS,
    _STARTS,
    _SUFFIX_RELATION,
)
from lang._time_words import Normalised, normalise

SHANGHAI = ZoneInfo("Asia/Shanghai")
Prefer = Literal["future", "past"]
_MAX_TEXT = 20_000  # longer messages are cut: no note is that long, and scanning stays fast


@dataclass(frozen=True)
class TimeValue:
    """A resolved time: a representative instant, its grain and, for periods, start and end.

    ``value`` is what the entity's value becomes (ISO 8601, Asia/Shanghai). ``relation`` is
    ``before`` (月底前, by Friday, 3天内), ``after`` (三点以后) or ``until`` (暂停到下周一),
    when said. ``recurrence`` is ``daily``, ``weekly`` or ``monthly`` for 每周三 / every morning.
    A range (grain ``range``) runs from ``start`` to ``end``.
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


@dataclass(frozen=True)
class TimeMention:
    """One time expression found in a message: its span in the original text and its value."""

    start: int
    end: int
    text: str
    value: TimeValue


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
        try:
            return datetime.fromtimestamp(raw, SHANGHAI)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(raw, str) and raw.strip():
        try:
            return to_shanghai(datetime.fromisoformat(raw.strip().replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------------- calendar
def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date, shift: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 + shift
    return date(month_index // 12, month_index % 12 + 1, 1)


def _add_months(moment: datetime, months: int) -> datetime:
    """``moment`` that many months later, the day clamped to the month's length (1/31 -> 2/28)."""
    start = _month_start(moment.date(), months)
    last = (_month_start(start, 1) - timedelta(days=1)).day
    return moment.replace(year=start.year, month=start.month, day=min(moment.day, last))


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------- atoms
@dataclass
class _Parse:
    """What the atoms of one mention say, before it is turned into a date and time."""

    day: date | None = None
    day_offset: int | None = None
    weekday: int | None = None
    week_shift: int | None = None
    weekday_past: bool = False  # "past Friday": the latest one before today
    weekend: bool = False
    period: str | None = None  # "week", "month", "recent"
    period_shift: int = 0
    period_month: int | None = None  # 三月 / in March
    recent_days: int | None = None
    part: str | None = None
    clock: tuple[int, int, int] | None = None
    clock_grain: str = "hour"
    meridiem: str | None = None
    relation: str | None = None
    recurrence: str | None = None
    day_of_month: int | None = None
    end_day_of_month: int | None = None  # February 20 - 29: a range inside one month
    month: int | None = None
    month_shift: int | None = None
    year: int | None = None
    month_edge: str | None = None  # "end", "start", "middle"
    edge_month: int | None = None
    offset: tuple[float, str] | None = None  # signed count, unit
    deadline: bool = False
    now: bool = False
    invalid: bool = False
    inside: bool = False  # 本周内, 今天之内: before the end of the period
    kinds: set[str] = field(default_factory=set)


@dataclass
class _Atom:
    kind: str
    start: int
    end: int
    match: re.Match[str]


def _scan_atoms(norm: Normalised, original: str) -> list[_Atom]:
    """Every atom in the normalised text, left to right, longest first at each position."""
    text = norm.text
    atoms: list[_Atom] = []
    position = 0
    while position < len(text):
        if not _STARTS.match(text, position):
            position += 1
            continue
        best: _Atom | None = None
        for kind, pattern in _ATOMS:
            match = pattern.match(text, position)
            if match is None or match.end() == position:
                continue
            if best is None or match.end() > best.end:
                candidate = _Atom(kind, position, match.end(), match)
                if _plausible(candidate, norm, original):
                    best = candidate
        if best is None:
            position += 1
            continue
        atoms.append(best)
        position = best.end
    return atoms


def _plausible(atom: _Atom, norm: Normalised, original: str) -> bool:
    """Vetoes for atoms that are everyday words too (I sat, may 3 cartons, 早 in 早饭)."""
    m = atom.match
    if atom.kind == "en_weekday" and m.group(2) in words.AMBIGUOUS_WEEKDAYS and not m.group(1):
        start, _ = norm.original_span(m.start(2), m.end(2))
        return original[start].isupper()
    if atom.kind == "en_date_md" and m.group(1) == "may" and not m.group(3) and not m.group(4):
        start, _ = norm.original_span(m.start(1), m.end(1))
        return original[start].isupper()
    # "3 a" / "5 p" are no times; "3:15p" is.
    return not (atom.kind == "en_clock" and m.group(4) in ("a", "p") and not m.group(2))


def _en_count(text: str) -> float:
    text = re.sub(r"\s+", " ", text.strip())
    if text in words.EN_COUNTS:
        return words.EN_COUNTS[text]
    return float(text)


def _read(atom: _Atom, p: _Parse, today: date) -> bool:
    """Put what ``atom`` says into ``p``; False when ``p`` already holds that kind of thing."""
    kind, m = atom.kind, atom.match
    slot = _SLOTS.get(kind, kind)
    if slot in p.kinds and slot not in ("modifier",):
        return False
    p.kinds.add(slot)
    g = m.groups()
    if kind == "zh_recur_weekday":
        p.recurrence, p.weekday = "weekly", words.WEEKDAYS[g[0]]
    elif kind == "zh_recur":
        word = m.group()
        p.recurrence = (
            "monthly"
            if word.endswith("月")
            else "weekly"
            if len(word) > 1 and word[-1] in "周期拜"
            else "daily"
        )
    elif kind in ("zh_recent", "en_recent", "zh_coming"):
        if kind in ("zh_recent", "zh_coming"):
            count = 3 if g[0] == "几" else int(g[0])
            unit = {"天": 1, "日": 1, "月": 30}.get(g[1], 7)
        else:
            count = int(_en_count(g[0])) if g[0] else 1
            unit_word = g[1] or g[2]
            unit = 1 if unit_word.startswith("day") else 30 if unit_word.startswith("month") else 7
        p.period, p.recent_days = "recent", count * unit
        if kind == "zh_coming":
            p.period = "coming"
    elif kind in ("zh_offset", "zh_later"):
        count_text, extra, unit_text = g[0], g[1], g[2]
        count = 0.5 if count_text == "半" else 3.0 if count_text == "几" else float(count_text)
        if extra == "个半" or (len(g) > 3 and g[3] == "半"):
            count += 0.5
        unit = words.UNITS[unit_text]
        if unit_text == "钟" and extra is None:
            return False  # 3钟 is no unit; 一个钟 is an hour
        direction = g[4] if kind == "zh_offset" else "后"
        if direction.endswith("内"):
            p.deadline, sign = True, 1
        else:
            sign = -1 if direction.endswith("前") else 1
        p.offset = (sign * count, unit)
    elif kind in ("en_offset_in", "en_offset_ago", "en_within"):
        if m.group("half"):
            count, unit = 0.5, words.EN_UNITS[m.group("half")]
        else:
            count, unit = _en_count(m.group("num")), words.EN_UNITS[m.group("unit")]
        if m.group("and_half"):
            count += 0.5
        backwards = kind == "en_offset_ago" and m.group("dir") in (
            "ago",
            "earlier",
            "before",
            "back",
            "prior",
        )
        p.deadline = kind == "en_within"
        p.offset = (-count if backwards else count, unit)
    elif kind in ("zh_edge", "en_edge"):
        _read_edge(kind, m, p, today)
    elif kind == "zh_date":
        p.year = int(g[0]) if g[0] else None
        p.month_shift = words.SHIFTS[g[1]] if g[1] else None
        p.month = int(g[2]) if g[2] else None
        p.day_of_month = int(g[3])
        p.invalid |= (
            p.month is not None and not 1 <= p.month <= 12
        ) or not 1 <= p.day_of_month <= 31
    elif kind in ("zh_day_of_month", "en_ordinal_day"):
        p.day_of_month = int(g[0])
        p.invalid |= not 1 <= p.day_of_month <= 31
    elif kind == "zh_month_name":
        p.period, p.period_month = "month", int(g[1])
        p.year = int(g[0]) if g[0] else None
        p.invalid |= not 1 <= p.period_month <= 12
    elif kind == "en_month_year":
        p.period, p.period_month, p.year = "month", words.MONTHS[g[0]], int(g[1])
    elif kind == "en_month_alone":
        p.period, p.period_month = "month", words.MONTHS[g[0]]
    elif kind in ("zh_weekend", "en_weekend"):
        p.weekend, p.weekday = True, 5
        p.week_shift = words.SHIFTS[g[0]] if g[0] else None
        if kind == "en_weekend" and g[1]:
            p.recurrence = "weekly"  # "weekends": every weekend
    elif kind == "zh_weekday":
        p.weekday = words.WEEKDAYS[g[1]]
        if g[0]:
            p.week_shift = words.SHIFTS[g[0]]
    elif kind == "en_weekday":
        shift_word, weekday, week_word = g
        p.weekday = words.WEEKDAYS[weekday]
        if week_word:
            p.week_shift = words.SHIFTS[week_word]
        elif shift_word in ("past", "this past"):
            p.weekday_past = True
        elif shift_word in ("coming", "this coming"):
            p.kinds.add("force_future")  # the next one after today, whatever the preference
        elif shift_word:
            p.week_shift = words.SHIFTS[shift_word]
    elif kind == "en_week_weekday":
        p.week_shift, p.weekday = words.SHIFTS[g[0]], words.WEEKDAYS[g[1]]
    elif kind in ("zh_week", "en_week"):
        p.period, p.period_shift = "week", words.SHIFTS[g[0]]
    elif kind in ("zh_month", "en_month_period"):
        p.period, p.period_shift = "month", words.SHIFTS[g[0]]
    elif kind in ("en_date_md", "en_date_dm"):
        month_word, day_text, year_text = (
            (g[0], g[1], g[3]) if kind == "en_date_md" else (g[2], g[0], g[3])
        )
        p.month, p.day_of_month = words.MONTHS[month_word], int(day_text)
        p.year = int(year_text) if year_text else None
        p.invalid |= not 1 <= p.day_of_month <= 31
    elif kind == "en_day_range":
        p.month, p.day_of_month, p.end_day_of_month = words.MONTHS[g[0]], int(g[1]), int(g[2])
        p.year = int(g[3]) if g[3] else None
        p.invalid |= not (1 <= p.day_of_month <= 31 and 1 <= p.end_day_of_month <= 31)
    elif kind == "iso_date":
        p.year, p.month, p.day_of_month = int(g[0]), int(g[2]), int(g[3])
        p.invalid |= _safe_date(p.year, p.month, p.day_of_month) is None
    elif kind == "slash_date":
        first, second = int(g[0]), int(g[1])
        month, day = (first, second) if first <= 12 else (second, first)
        year = None
        if g[2]:
            year = int(g[2]) + (0 if len(g[2]) == 4 else 2000 if int(g[2]) < 50 else 1900)
        p.month, p.day_of_month, p.year = month, day, year
        p.invalid |= _safe_date(year or 2000, month, day) is None
    elif kind in ("zh_clock", "en_clock", "colon_clock", "at_clock", "oclock", "en_clock_part"):
        _read_clock(kind, g, p)
    elif kind == "en_midnight":
        p.clock, p.clock_grain, p.meridiem = (24, 0, 0), "hour", None
    elif kind == "zh_day":
        p.day_offset = words.DAY_WORDS[m.group()]
    elif kind == "zh_day_part":
        p.day_offset = words.DAY_PREFIX[g[0]]
        p.part = words.SHORT_PARTS[g[1]]
    elif kind == "en_day":
        word = m.group()
        p.day_offset = -1 if word == "last night" else words.DAY_WORDS[word]
        if word in ("tonight", "last night"):
            p.part = "evening"
    elif kind == "zh_part":
        p.part = words.PART_WORDS[m.group()]
    elif kind == "zh_short_part":
        p.part = words.SHORT_PARTS[m.group()]
    elif kind == "en_part":
        prefix, part_word, plural = g
        if prefix == "this":
            p.day_offset = 0
        elif prefix in ("tomorrow", "yesterday"):
            p.day_offset = words.DAY_WORDS[prefix]
        p.part = words.PART_WORDS[part_word]
        if plural and p.recurrence is None:
            p.recurrence = "daily"
    elif kind in ("zh_now", "en_now"):
        p.now = True
    elif kind == "en_recur_weekday":
        p.recurrence, p.weekday = "weekly", words.WEEKDAYS[g[0] or g[1] or g[2]]
    elif kind == "en_recur":
        word = m.group()
        p.recurrence = "weekly" if "week" in word else "monthly" if "month" in word else "daily"
        for part_word in ("morning", "afternoon", "evening", "night"):
            if part_word in word:
                p.part = words.PART_WORDS[part_word]
    return True


def _read_edge(kind: str, m: re.Match[str], p: _Parse, today: date) -> None:
    """月底, 下个月初, 6月底, 年底, end of next month, beginning of the month."""
    g = m.groups()
    if kind == "zh_edge":
        shift_word, month_text, year_word, unit, edge = g
        edge = {"底": "end", "末": "end", "尾": "end", "初": "start", "头": "start"}.get(
            edge, "middle"
        )
        if unit == "年":
            year = today.year + {"明": 1, "去": -1}.get(year_word or "", 0)
            p.day = (
                date(year, 12, 31)
                if edge == "end"
                else date(year, 1, 1)
                if edge == "start"
                else date(year, 6, 30)
            )
            return
        p.month_edge = edge
        p.month_shift = words.SHIFTS[shift_word] if shift_word else None
        p.edge_month = int(month_text) if month_text else None
        return
    if g[0] is None:
        word = m.group()
        if word.startswith(("eoy", "year")):
            p.day = date(today.year, 12, 31)
        else:
            p.month_edge, p.month_shift = "end", 0
        return
    edge_word, shift_word, unit = g[0], g[1], g[2]
    edge = "end" if edge_word == "end" else "middle" if edge_word == "middle" else "start"
    shift = words.SHIFTS[shift_word] if shift_word else 0
    if unit == "year":
        year = today.year + shift
        p.day = date(year, 12, 31) if edge == "end" else date(year, 1, 1)
    elif unit == "week":
        monday = _monday(today) + timedelta(weeks=shift)
        p.day = monday + timedelta(days=6 if edge == "end" else 0 if edge == "start" else 3)
    else:
        p.month_edge, p.month_shift = edge, shift


def _read_clock(kind: str, g: tuple[Any, ...], p: _Parse) -> None:
    """Hour, minute, second, grain and am/pm from any clock atom (invalid ones mark ``p``)."""
    second = 0
    meridiem: str | None = None
    grain = "hour"
    if kind == "zh_clock":
        hour = int(g[0])
        minute = 30 if g[1] else int(g[2]) * 15 if g[2] else int(g[3] or 0)
        second = int(g[4] or 0)
        grain = "second" if g[4] else "minute" if (g[1] or g[2] or g[3]) else "hour"
        meridiem = g[5]
    elif kind in ("en_clock", "colon_clock"):
        hour, minute = int(g[0]), int(g[1] or 0)
        second = int(g[2] or 0)
        grain = "second" if g[2] and second else "minute" if g[1] else "hour"
        meridiem = g[3] if kind == "en_clock" else None
    elif kind == "at_clock":
        hour, minute = int(g[0]), int(g[1] or 0)
        grain = "minute" if g[1] else "hour"
        meridiem = g[2]
    elif kind == "oclock":
        hour, minute = int(g[0]), 0
    else:  # en_clock_part: "6 in the morning", "11 at night"
        hour, minute = int(g[0]), int(g[1] or 0)
        grain = "minute" if g[1] else "hour"
        part_word = g[2] or g[3]
        p.part = words.PART_WORDS[part_word]
        p.kinds.add("part")
    if meridiem:
        meridiem = "am" if meridiem.startswith("a") else "pm"
        if not 1 <= hour <= 12:
            p.invalid = True
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and minute):
        p.invalid = True
    p.clock, p.clock_grain, p.meridiem = (hour, minute, second), grain, meridiem


# ---------------------------------------------------------------------------------- mentions
@dataclass
class _Group:
    """Atoms that form one mention, with the relation words around them."""

    start: int
    end: int
    parse: _Parse
    prefix: str | None = None  # the kind of a relation word before it (by, 到)
    prefix_start: int | None = None


def _group(atoms: list[_Atom], norm: Normalised, original: str, today: date) -> list[_Group]:
    """Join neighbouring atoms into mentions; attach relation words (前, by) to their mention."""
    groups: list[_Group] = []
    pending_prefix: _Atom | None = None
    previous_end: int | None = None
    for atom in atoms:
        text_between = norm.text[previous_end : atom.start] if previous_end is not None else None
        touching = text_between is not None and _GLUE.fullmatch(text_between) is not None
        current = groups[-1] if groups and groups[-1].end == previous_end else None
        if atom.kind in _MODIFIERS:
            if (
                atom.kind in _SUFFIX_RELATION
                and current
                and text_between is not None
                and not text_between.strip()
                and current.parse.relation is None
                and not current.parse.offset
            ):
                current.parse.inside = atom.kind == "zh_inside"
                current.parse.relation = _SUFFIX_RELATION[atom.kind]
                current.end = previous_end = atom.end
                continue
            if (
                atom.kind == "zh_short_part"
                and current
                and text_between == ""
                and "part" not in current.parse.kinds
                and current.parse.kinds & {"day", "weekday", "date"}
            ):
                _read(atom, current.parse, today)
                current.end = previous_end = atom.end
                continue
            if atom.kind in _PREFIX_RELATION or atom.kind in ("zh_until", "zh_from"):
                pending_prefix = atom
            previous_end = atom.end
            continue
        prefix_ok = (
            pending_prefix is not None
            and _GLUE.fullmatch(norm.text[pending_prefix.end : atom.start]) is not None
        )
        if current is not None and touching and not prefix_ok:
            trial = replace(current.parse, kinds=set(current.parse.kinds))
            if _read(atom, trial, today):
                current.parse, current.end = trial, atom.end
                previous_end = atom.end
                continue
        parse = _Parse()
        if not _read(atom, parse, today):
            previous_end = atom.end
            continue
        group = _Group(atom.start, atom.end, parse)
        if prefix_ok and pending_prefix is not None:
            group.prefix, group.prefix_start = pending_prefix.kind, pending_prefix.start
        groups.append(group)
        pending_prefix = None
        previous_end = atom.end
    return groups


def _merge_ranges(groups: list[_Group], norm: Normalised) -> list[tuple[_Group, _Group | None]]:
    """Pairs (start, end) for ranges joined by 到/至/-/to/and, (group, None) for the rest."""
    out: list[tuple[_Group, _Group | None]] = []
    index = 0
    while index < len(groups):
        group = groups[index]
        if index + 1 < len(groups):
            nxt = groups[index + 1]
            between = norm.text[
                group.end : nxt.prefix_start if nxt.prefix_start is not None else nxt.start
            ]
            joined = _RANGE.fullmatch(between) is not None
            if nxt.prefix in ("zh_until", "en_until") and not between.strip():
                joined = True  # 今晚10点到明早6点: 到 was read as the end's prefix
            if (
                joined
                and (between.strip() != "and" or group.prefix == "en_from")
                and not (_is_offset(group) or _is_offset(nxt))
            ):
                out.append((group, nxt))
                index += 2
                continue
        out.append((group, None))
        index += 1
    return out


def _is_offset(group: _Group) -> bool:
    return group.parse.offset is not None or group.parse.now


class TimeResolver:
    """Resolves time expressions; build one and reuse it (it holds no state but the time zone).

    No work happens at construction beyond storing settings, so tests and the Rasa component
    create it freely.
    """

    def __init__(self, *, timezone: ZoneInfo = SHANGHAI) -> None:
        self._zone = timezone

    # ------------------------------------------------------------------ public
    def resolve(
        self, text: str, *, now: datetime | None = None, prefer: Prefer = "future"
    ) -> TimeValue | None:
        """Resolve ``text`` (one time expression) against ``now`` (the message time).

        ``prefer`` settles bare weekdays, days of month and clock times: the next one for
        plans and deadlines, the last one for what already happened (visit notes).
        Returns None when the text holds no time; when it holds several, the first.
        """
        found = self.find(text, now=now, prefer=prefer)
        return found[0].value if found else None

    def find(
        self, text: str, *, now: datetime | None = None, prefer: Prefer = "future"
    ) -> list[TimeMention]:
        """Every time expression in ``text``, in order (see :func:`find_times`)."""
        moment = to_shanghai(now).astimezone(self._zone)
        original = text[:_MAX_TEXT]
        norm = normalise(original)
        if not norm.text.strip():
            return []
        atoms = _scan_atoms(norm, original)
        groups = _group(atoms, norm, original, moment.date())
        mentions: list[TimeMention] = []
        for first, second in _merge_ranges(groups, norm):
            value = self._value(first, second, moment, prefer)
            if value is None:
                continue
            start_index = first.prefix_start if first.prefix_start is not None else first.start
            end_index = (second or first).end
            start, end = norm.original_span(start_index, end_index)
            mentions.append(TimeMention(start, end, original[start:end], value))
        return mentions

    # ------------------------------------------------------------------ assembly
    def _value(
        self, first: _Group, second: _Group | None, now: datetime, prefer: Prefer
    ) -> TimeValue | None:
        if second is None and first.parse.end_day_of_month is not None:
            end_parse = replace(
                first.parse, day_of_month=first.parse.end_day_of_month, end_day_of_month=None
            )
            start_parse = replace(first.parse, end_day_of_month=None)
            first = replace(first, parse=start_parse)
            second = _Group(first.start, first.end, end_parse)
        relation = (
            "until" if first.prefix == "zh_until" else _PREFIX_RELATION.get(first.prefix or "")
        )
        if second is None and (relation or first.parse.relation) in ("before", "until"):
            prefer = "future"  # a deadline looks ahead, even in a visit note
        if second is None:
            value = self._assemble(first.parse, now, prefer)
            if value is None:
                return None
            if relation and value.relation is None:
                value = replace(value, relation=relation)
            return value
        start = self._assemble(first.parse, now, prefer)
        if start is None:
            return None
        end_parse = second.parse
        start_parse = first.parse
        # 3点 - 5点PM: the start takes the end's afternoon when it has none of its own.
        if (
            start_parse.clock
            and not start_parse.meridiem
            and start_parse.part is None
            and (end_parse.meridiem == "pm" or end_parse.part in words.PM_PARTS)
        ):
            start_parse = replace(start_parse, meridiem="pm", kinds=set(start_parse.kinds))
            start = self._assemble(start_parse, now, prefer)
            if start is None:
                return None
        end = self._range_end(start, end_parse, now, prefer)
        if end is None:
            return None
        return TimeValue(start.start, "range", start.start, end, None, start.recurrence)

    def _range_end(
        self, start: TimeValue, p: _Parse, now: datetime, prefer: Prefer
    ) -> datetime | None:
        """The end of a range: a day-less end takes the start's day and comes after the start."""
        has_day = bool(p.kinds & {"day", "weekday", "date", "offset"}) or p.period is not None
        if has_day:
            if p.kinds & {"weekday", "date"} and not p.kinds & {"day"}:
                p = replace(p, kinds=set(p.kinds))
                value = self._assemble(p, start.start, "future")
            else:
                value = self._assemble(p, now, prefer)
            if value is None:
                return None
            return value.end if value.grain in ("day", "week", "month") else value.value
        if p.clock is None and p.part is None:
            return None
        base_day = start.start.date()
        if p.clock is not None and p.meridiem is None and p.part is None:
            hour, minute, second = p.clock
            for day_shift in (0, 1):
                for add in (0, 12) if hour < 12 else (0,):
                    candidate = datetime.combine(
                        base_day + timedelta(days=day_shift),
                        time(hour + add if hour + add < 24 else 0, minute, second),
                        tzinfo=self._zone,
                    )
                    if candidate > start.value:
                        return candidate
            return None
        p = replace(p, day=base_day, kinds=set(p.kinds) | {"day"})
        value = self._assemble(p, now, prefer)
        if value is None:
            return None
        moment = value.value if value.grain != "part_of_day" else value.end
        if moment <= start.value:
            moment += timedelta(days=1)
        return moment

    def _hour(self, p: _Parse) -> tuple[int, int, int, int]:
        """The 24-hour clock time and a day carry (晚上12点 is the next day's 00:00)."""
        assert p.clock is not None
        hour, minute, second = p.clock
        if p.meridiem == "pm" and hour < 12:
            hour += 12
        elif p.meridiem == "am" and hour == 12:
            hour = 0
        elif p.meridiem is None:
            afternoon = (
                (
                    p.part in words.PM_PARTS
                    and hour < 12
                    and not (p.part == "late_night" and hour <= 4)
                )
                or (p.part == "noon" and 1 <= hour <= 3)
                or (p.part is None and 1 <= hour <= 6)  # 三点 in a shop's day is 15:00
            )
            if afternoon:
                hour += 12
            if p.part in ("evening", "late_night") and hour == 12:
                hour = 24  # 晚上12点, 12 at night: midnight at the end of that day
        carry = 0
        if hour >= 24:
            hour, carry = hour - 24, 1
        return hour, minute, second, carry

    def _pick_day(self, p: _Parse, today: date, prefer: Prefer) -> date | None:
        """The calendar day the expression names, or None if it names no day."""
        if p.day is not None:
            return p.day
        if p.day_offset is not None:
            return today + timedelta(days=p.day_offset)
        if p.month_edge is not None:
            if p.edge_month is not None:
                start = date(today.year, p.edge_month, 1)
                if prefer == "future" and _month_start(start, 1) <= today:
                    start = date(today.year + 1, p.edge_month, 1)
            else:
                start = _month_start(today, p.month_shift or 0)
            if p.month_edge == "start":
                return start
            if p.month_edge == "middle":
                return start.replace(day=15)
            return _month_start(start, 1) - timedelta(days=1)
        if p.day_of_month is not None:
            return self._day_of_month(p, today, prefer)
        if p.weekday is not None:
            if p.week_shift is not None:
                return _monday(today) + timedelta(weeks=p.week_shift, days=p.weekday)
            candidate = _monday(today) + timedelta(days=p.weekday)
            if p.weekday_past:
                return candidate if candidate < today else candidate - timedelta(days=7)
            if "force_future" in p.kinds:
                return candidate if candidate > today else candidate + timedelta(days=7)
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
        day = p.day_of_month
        if p.month is not None and p.year is None and p.weekday is not None:
            # 周日, 二月十号 / Sunday, Feb 10: the year in which that date is that weekday.
            years = (today.year, today.year + 1, today.year - 1)
            for year in sorted(years, key=lambda y: (y < today.year) == (prefer == "future")):
                candidate = _safe_date(year, p.month, day)
                if candidate is not None and candidate.weekday() == p.weekday:
                    return candidate
        if p.month is not None:
            year = p.year or today.year
            candidate = _safe_date(year, p.month, day)
            if p.year is None and candidate is not None:
                if prefer == "future" and candidate < today:
                    candidate = _safe_date(year + 1, p.month, day)
                if prefer == "past" and candidate > today:
                    candidate = _safe_date(year - 1, p.month, day)
            return candidate
        if p.month_shift is not None:
            start = _month_start(today, p.month_shift)
            return _safe_date(start.year, start.month, day)
        candidate = _safe_date(today.year, today.month, day)
        if candidate is None or (prefer == "future" and candidate < today):
            following = _month_start(today, 1)
            if prefer == "future":
                return _safe_date(following.year, following.month, day)
        if candidate is None or (prefer == "past" and candidate > today):
            previous = _month_start(today, -1)
            return _safe_date(previous.year, previous.month, day)
        return candidate

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self._zone)

    def _assemble(self, p: _Parse, now: datetime, prefer: Prefer) -> TimeValue | None:
        """Turn what the atoms said into a :class:`TimeValue` (None for impossible dates)."""
        if p.invalid:
            return None
        today = now.date()
        if p.now and p.offset is None:
            moment = now.replace(second=0, microsecond=0)
            return TimeValue(moment, "minute", moment, moment)
        if p.offset is not None:
            return self._offset(p, now)
        if p.period == "week" and p.weekday is not None and p.week_shift is None:
            p = replace(p, week_shift=p.period_shift, period=None)  # 下周的周二
        if p.period is not None and p.weekday is None and p.day_of_month is None:
            return self._period(p, today, prefer)
        day = self._pick_day(p, today, prefer)
        if day is None and (p.day_of_month is not None or p.month_edge is not None):
            return None  # 2月30号
        if day is None and p.clock is None and p.part is None:
            return None
        explicit_day = day is not None
        day = day or today
        if p.inside and p.clock is None and p.part is None:
            # 今天之内 / 周五以内: before that day ends.
            start = self._at(day, time())
            return TimeValue(start, "day", start, start + timedelta(days=1), "before", p.recurrence)
        if p.clock is not None:
            hour, minute, second, carry = self._hour(p)
            moment = self._at(day + timedelta(days=carry), time(hour, minute, second))
            moment = self._roll(moment, explicit_day, now, prefer, p.recurrence, None)
            return TimeValue(moment, p.clock_grain, moment, moment, p.relation, p.recurrence)
        if p.part is not None:
            clock, start_hour, end_hour = words.PARTS[p.part]
            moment = self._at(day, clock)
            period = (
                timedelta(hours=start_hour - clock.hour),
                timedelta(hours=end_hour - clock.hour),
            )
            moment = self._roll(moment, explicit_day, now, prefer, p.recurrence, period)
            start, end = moment + period[0], moment + period[1]
            return TimeValue(moment, "part_of_day", start, end, p.relation, p.recurrence)
        start = self._at(day, time())
        end = start + timedelta(days=2 if p.weekend else 1)
        return TimeValue(start, "day", start, end, p.relation, p.recurrence)

    def _offset(self, p: _Parse, now: datetime) -> TimeValue:
        """3天后, 5 minutes ago, 3天内, within two weeks: now moved by the amount."""
        assert p.offset is not None
        count, unit = p.offset
        if unit in ("second", "minute", "hour"):
            seconds = {"second": 1, "minute": 60, "hour": 3600}[unit]
            moment = now + timedelta(seconds=count * seconds)
            if unit == "second":
                moment = moment.replace(microsecond=0)
                grain = "second"
            else:
                moment = moment.replace(second=0, microsecond=0)
                grain = "minute"
            if p.clock is None:
                relation = "before" if p.deadline else p.relation
                return TimeValue(moment, grain, moment, moment, relation, p.recurrence)
            day = moment.date()
        elif unit in ("day", "week"):
            days = count * (7 if unit == "week" else 1)
            day = (now + timedelta(days=days)).date()
        else:
            months = count * (12 if unit == "year" else 1)
            whole = int(months)
            moved = _add_months(now, whole)
            if months - whole:
                moved += timedelta(days=round((months - whole) * 30 * (1 if count > 0 else -1)))
            day = moved.date()
        rest = replace(p, offset=None, day=day, kinds=set(p.kinds) | {"day"}, deadline=False)
        value = self._assemble(rest, now, "future")
        assert value is not None
        if p.deadline:
            value = replace(value, relation="before")
        return value

    def _period(self, p: _Parse, today: date, prefer: Prefer) -> TimeValue | None:
        """这周, 下个月, 三月, last 7 days: a week, month or recent span."""
        if p.period == "recent":
            assert p.recent_days is not None
            start_day, end_day = today - timedelta(days=p.recent_days), today + timedelta(days=1)
            grain = "day"
        elif p.period == "coming":
            assert p.recent_days is not None
            start_day = today + timedelta(days=1)
            end_day, grain = start_day + timedelta(days=p.recent_days), "day"
        elif p.period == "week":
            start_day = _monday(today) + timedelta(weeks=p.period_shift)
            end_day, grain = start_day + timedelta(days=7), "week"
        elif p.period_month is not None:
            year = p.year or today.year
            start_day = date(year, p.period_month, 1)
            if p.year is None:
                if prefer == "future" and _month_start(start_day, 1) <= today:
                    start_day = date(year + 1, p.period_month, 1)
                if prefer == "past" and start_day > today:
                    start_day = date(year - 1, p.period_month, 1)
            end_day, grain = _month_start(start_day, 1), "month"
        else:
            start_day = _month_start(today, p.period_shift)
            end_day, grain = _month_start(start_day, 1), "month"
        start = self._at(start_day, time())
        end = self._at(end_day, time())
        if p.inside:
            last = end - timedelta(days=1)
            return TimeValue(last, "day", last, end, "before", p.recurrence)
        return TimeValue(start, grain, start, end, p.relation, p.recurrence)

    @staticmethod
    def _roll(
        moment: datetime,
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


_DEFAULT_RESOLVER = TimeResolver()


def find_times(
    text: str, *, now: datetime | None = None, prefer: Prefer = "future"
) -> list[TimeMention]:
    """Every time expression in ``text`` in order, each with its span in ``text``.

    For callers that hold a whole message (a visit note: "今天下午去了张记烟酒,补了三张标价签,
    老板说下周一前要补货" gives 今天下午 and 下周一前, the latter with relation ``before``).
    Prices, percentages and counts (¥12.53, 12.53%, 十二条, "3 cartons") are never times.
    """
    return _DEFAULT_RESOLVER.find(text, now=now, prefer=prefer)
