"""Word tables and text normalisation for :mod:`lang.times` (kept apart so the rules read well).

Normalisation keeps a map from every normalised character back to the original text, so the
scanner can report spans in the caller's text although it matches on NFKC, lower-cased text
with Chinese numerals as digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import time

from lang.numerals import EN_WORD_VALUES, parse_number

# Part of day -> representative time, start hour, end hour (end 24 = the next midnight).
# The module docstring of lang/times.py prints this table; keep the two in step.
PARTS: dict[str, tuple[time, int, int]] = {
    "early": (time(3), 0, 6),
    "morning_early": (time(8), 6, 10),
    "morning": (time(9), 6, 12),
    "noon": (time(12), 11, 14),
    "afternoon": (time(15), 12, 18),
    "dusk": (time(18), 17, 19),
    "evening": (time(20), 18, 24),
    "late_night": (time(23), 22, 24),
}
PM_PARTS = frozenset({"afternoon", "dusk", "evening", "late_night"})
PART_WORDS: dict[str, str] = {
    "凌晨": "early",
    "早上": "morning_early",
    "早晨": "morning_early",
    "清早": "morning_early",
    "大早": "morning_early",
    "上午": "morning",
    "中午": "noon",
    "晌午": "noon",
    "下午": "afternoon",
    "午后": "afternoon",
    "傍晚": "dusk",
    "黄昏": "dusk",
    "晚上": "evening",
    "晚间": "evening",
    "夜里": "evening",
    "夜晚": "evening",
    "夜间": "evening",
    "半夜": "late_night",
    "深夜": "late_night",
    "morning": "morning",
    "afternoon": "afternoon",
    "evening": "evening",
    "night": "evening",
    "noon": "noon",
    "midday": "noon",
    "lunchtime": "noon",
    "lunch": "noon",
}
# One-character parts only count right after a day (今早, 周一晚, 明晨).
SHORT_PARTS = {"早": "morning_early", "晨": "morning_early", "晚": "evening", "夜": "evening"}
DAY_WORDS: dict[str, int] = {
    "大前天": -3,
    "前天": -2,
    "前日": -2,
    "昨天": -1,
    "昨日": -1,
    "昨儿个": -1,
    "昨儿": -1,
    "今天": 0,
    "今日": 0,
    "今儿个": 0,
    "今儿": 0,
    "明天": 1,
    "明日": 1,
    "明儿个": 1,
    "明儿": 1,
    "后天": 2,
    "大后天": 3,
    "the day before yesterday": -2,
    "day before yesterday": -2,
    "yesterday": -1,
    "yday": -1,
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
# 今早, 明晚, 昨晚, 前晚: a day prefix glued to a one-character part.
DAY_PREFIX = {"大前": -3, "前": -2, "昨": -1, "今": 0, "明": 1, "后": 2, "大后": 3}
WEEKDAYS: dict[str, int] = {
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
# Abbreviations that are also everyday words (I sat down, the sun): only with a shift word
# (next sat) or written with a capital (Sat).
AMBIGUOUS_WEEKDAYS = frozenset({"sat", "sun", "wed"})
SHIFTS: dict[str, int] = {
    "上上": -2,
    "上": -1,
    "这": 0,
    "本": 0,
    "今": 0,
    "下下": 2,
    "下": 1,
    "last": -1,
    "previous": -1,
    "this": 0,
    "coming": 0,
    "next": 1,
    "following": 1,
    "the following": 1,
}
MONTHS: dict[str, int] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
# Counts of offsets ("two days ago", "a few weeks"): the number words of lang.numerals, plus the
# vague ones a time offset allows (a few = 3) and the multi-word forms read as one count.
EN_COUNTS: dict[str, float] = {
    **{word: float(value) for word, value in EN_WORD_VALUES.items()},
    "forty five": 45,
    "a few": 3,
    "few": 3,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "half a": 0.5,
    "half an": 0.5,
}
# Units of offsets and deadlines, by their first letters / characters.
UNITS: dict[str, str] = {
    "秒": "second",
    "秒钟": "second",
    "分": "minute",
    "分钟": "minute",
    "小时": "hour",
    "钟头": "hour",
    "钟": "hour",
    "天": "day",
    "日": "day",
    "周": "week",
    "星期": "week",
    "礼拜": "week",
    "月": "month",
    "年": "year",
}
EN_UNITS: dict[str, str] = {
    "s": "second",
    "sec": "second",
    "secs": "second",
    "second": "second",
    "seconds": "second",
    "m": "minute",
    "min": "minute",
    "mins": "minute",
    "minute": "minute",
    "minutes": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "hour": "hour",
    "hours": "hour",
    "d": "day",
    "day": "day",
    "days": "day",
    "w": "week",
    "wk": "week",
    "wks": "week",
    "week": "week",
    "weeks": "week",
    "mo": "month",
    "month": "month",
    "months": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "year": "year",
    "years": "year",
}

# Traditional characters that appear in time expressions, to their simplified forms.
_TRADITIONAL = str.maketrans("週禮號點個鐘後時這現來兩幾內晝", "周礼号点个钟后时这现来两几内昼")
_CN_RUN = re.compile(r"[零〇一二两俩三四五六七八九十百千万]{1,12}")
_CN_DIGIT = "一二三四五六七八九"
# Words holding a numeral or a time word that are no time: rewritten before numerals.
_PROTECT: tuple[tuple[str, str], ...] = (
    (r"一大早|(?<![周期拜])一早", "清早"),
    (r"一下|一点点|一会儿|一会|一起|一直|一定|一样|一些|一般|一共|万一|统一|唯一", "##"),
    (r"(?:差|有|快|慢|早|晚|多|少|贵|好|大|小|高|低|便宜|些)一点(?![钟半\d])", "##"),
    (r"(?:差|有)(?:一|两)?点儿?", "##"),
    (r"晚点|早点|晚些|早些", "##"),
)


_WEEKDAY_PAIR = re.compile(r"(周|星期|礼拜)([一二三四五六])([一二三四五六日])(?![点时天])")
_TO = r"(到|至|-|~)"
_RANGE_UNITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"(?<![\d:.])(\d{{1,2}}){_TO}(\d{{1,2}})(点|时)"), r"\1\4\2\3\4"),
    (re.compile(rf"(?<![\d:.])(\d{{1,2}}){_TO}(\d{{1,2}})月"), r"\1月\2\3月"),
    (re.compile(rf"(周|星期|礼拜)(\d){_TO}(\d)(?![\d点时号日:])"), r"\1\2\3\1\4"),
    (
        re.compile(rf"(\d{{1,2}}月\d{{1,2}})(号|日)?{_TO}(\d{{1,2}})(?![\d点时号日月:])"),
        r"\1\2\3\4号",
    ),
)


@dataclass
class Normalised:
    """Normalised text and, for each of its characters, the original span it came from."""

    text: str
    spans: list[tuple[int, int]]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` came from."""
        return self.spans[start][0], self.spans[end - 1][1]


def _substitute(norm: Normalised, pattern: re.Pattern[str], replace) -> Normalised:  # type: ignore[no-untyped-def]
    """``pattern.sub`` that keeps the character map (a replacement maps to its whole match)."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    last = 0
    for match in pattern.finditer(norm.text):
        replacement = replace(match)
        if replacement is None:
            continue
        out.append(norm.text[last : match.start()])
        spans.extend(norm.spans[last : match.start()])
        span = norm.original_span(match.start(), match.end())
        out.append(replacement)
        spans.extend([span] * len(replacement))
        last = match.end()
    out.append(norm.text[last:])
    spans.extend(norm.spans[last:])
    return Normalised("".join(out), spans)


def _cn_number(match: re.Match[str]) -> str | None:
    """A Chinese numeral run as digits; 两三/三四 (an approximate count) as the larger one."""
    run = match.group()
    if len(run) == 2 and run[0] in _CN_DIGIT + "两" and run[1] in _CN_DIGIT:
        first = 2 if run[0] == "两" else _CN_DIGIT.index(run[0]) + 1
        if _CN_DIGIT.index(run[1]) + 1 == first + 1:
            return str(first + 1)
    value = parse_number(run)
    if isinstance(value, int):
        return str(value)
    return None


def normalise(text: str) -> Normalised:
    """NFKC, lower case, simplified characters, Chinese numerals to digits, with a span map."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    for index, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char).lower().translate(_TRADITIONAL)
        chars.append(folded)
        spans.extend([(index, index + 1)] * len(folded))
    norm = Normalised("".join(chars), spans)
    norm = _substitute(norm, re.compile(r"(上|下|这)一(?=周|星期|礼拜)"), lambda m: m.group(1))
    for pattern, replacement in _PROTECT:
        norm = _substitute(norm, re.compile(pattern), lambda _m, r=replacement: r)
    # 星期三四 (Wednesday and Thursday), before 三四 becomes the approximate count 4.
    norm = _substitute(
        norm, _WEEKDAY_PAIR, lambda m: f"{m.group(1)}{m.group(2)}至{m.group(1)}{m.group(3)}"
    )
    norm = _substitute(norm, _CN_RUN, _cn_number)
    # Range ends that leave out the unit: 3到5点, 12至1月, 星期3至4, 2月13到15.
    for pattern, template in _RANGE_UNITS:
        norm = _substitute(norm, pattern, lambda m, t=template: m.expand(t))
    # 早上 6 点 (voice typing puts spaces around numbers): the number belongs to its unit.
    return _substitute(norm, re.compile(r"(?<=\d)\s+(?=[点时号日月天周])"), lambda _m: "")
