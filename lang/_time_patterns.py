"""The atoms of time expressions for :mod:`lang.times`: one regular expression per kind.

The scanner in lang/times.py tries every pattern at each position of the normalised text (lower
case, digits for Chinese numerals) and keeps the longest match; ``_read`` there turns a match
into fields. Kept apart so the rules of lang/times.py stay short enough to read.
"""

from __future__ import annotations

import re

from lang import _time_words as words

_SHIFT_ZH = r"(上上|下下|上|下|这|本)"
_WD_ZH = r"(?:周|星期|礼拜)"
_NUM_EN = (
    r"\d{1,4}(?:\.\d{1,2})?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|forty(?: five)?|fifty|sixty|ninety|a few|few|a couple(?: of)?"
    r"|couple of"
)
_UNIT_EN = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|years?|yrs?)"
_UNIT_EN_SHORT = r"(?:s|m|min|mins|h|hr|hrs|d|w|wk|mo|y|yr)"
# "5 days", "two weeks", "1h", "half an hour", "an hour and a half"
_AMOUNT_EN = (
    rf"(?:\b(?P<num>{_NUM_EN})\s*(?P<unit>{_UNIT_EN}|(?<=\d){_UNIT_EN_SHORT})\b"
    r"|\bhalf an? (?P<half>hour|day|minute|week|month|year)\b)(?P<and_half>\s+and a half)?"
)
_WD_EN = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)"
)
_MONTH_EN = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_MERIDIEM = r"(?:a\.m\.|p\.m\.|am|pm|a|p)"
_ZH_UNIT = r"(秒钟?|分钟|分|小时|钟头|钟|天|日|周|星期|礼拜|月|年)"

# Each atom: a kind and a pattern matched at a position of the normalised text. The scanner
# takes the longest atom at each position; the kind's reader turns the match into _Parse fields.
_ATOMS: list[tuple[str, re.Pattern[str]]] = [
    # --- Chinese
    ("zh_recur_weekday", re.compile(rf"每(?:个|一个)?{_WD_ZH}([1-7日天])")),
    ("zh_recur", re.compile(rf"每个?(?:{_WD_ZH}|月)|每天|天天|每日|每(?=[早晚])")),
    (
        "zh_recent",
        re.compile(r"(?:最近|过去|近|前|上)(\d{1,3}|几)个?(天|日|周|星期|礼拜|月)(?:以来)?"),
    ),
    ("zh_coming", re.compile(r"(?:未来|接下来|下|后)(\d{1,3}|几)个?(天|日|周|星期|礼拜|月)")),
    (
        "zh_offset",
        re.compile(
            rf"(\d{{1,4}}|半|几)(个半|个)?{_ZH_UNIT}(半)?"
            r"(以后|之后|过后|后|以前|之前|前|以内|之内|内)"
        ),
    ),
    ("zh_later", re.compile(rf"过(\d{{1,4}}|几|半)(个半|个)?{_ZH_UNIT}")),
    (
        "zh_edge",
        re.compile(rf"(?:{_SHIFT_ZH}个?|(\d{{1,2}})|(今|明|去))?(月|年)(底|末|初|中|头|尾)"),
    ),
    (
        "zh_date",
        re.compile(
            rf"(?:(\d{{4}})年[\s,，]*)?(?:{_SHIFT_ZH}个?月|(\d{{1,2}})月)(\d{{1,2}})"
            r"(?:号|日|(?![\d点时天个日号:]))"
        ),
    ),
    ("zh_day_of_month", re.compile(r"(\d{1,2})(?:号|日)(?!\d)")),
    ("zh_month_name", re.compile(r"(?:(\d{4})年)?(\d{1,2})月份?(?![\d底末初中头尾])")),
    ("zh_weekend", re.compile(rf"(?:{_SHIFT_ZH}个?)?{_WD_ZH}末")),
    ("zh_weekday", re.compile(rf"(?:{_SHIFT_ZH}个?)?{_WD_ZH}([1-7日天])")),
    ("zh_week", re.compile(rf"{_SHIFT_ZH}个?{_WD_ZH}(?![1-7日天末])")),
    ("zh_month", re.compile(rf"{_SHIFT_ZH}个?月(?![\d底末初中头尾])")),
    (
        "zh_clock",
        re.compile(
            r"(\d{1,2})(?:点钟?|时)(?:(半)|([13])刻|(\d{1,2})分?)?(?:(\d{1,2})秒)?(?:正|整)?"
            rf"(?:\s*({_MERIDIEM})(?![a-z]))?"
        ),
    ),
    (
        "zh_day",
        re.compile(
            "|".join(sorted((w for w in words.DAY_WORDS if not w.isascii()), key=len, reverse=True))
        ),
    ),
    ("zh_day_part", re.compile(r"(大前|大后|前|昨|今|明|后)(早|晨|晚|夜)(?!上|饭|餐|点)")),
    ("zh_part", re.compile("|".join(w for w in words.PART_WORDS if not w.isascii()))),
    ("zh_short_part", re.compile(r"(早|晨|晚|夜)(?!上|饭|餐|点|班|市|报|些)")),
    ("zh_now", re.compile(r"现在|此刻|此时|当前")),
    ("zh_before", re.compile(r"(?:之前|以前|前|截止|为止)")),
    ("zh_inside", re.compile(r"(?:之内|以内|内)")),
    ("zh_after", re.compile(r"(?:以后|之后|后)")),
    ("zh_until", re.compile(r"截止到|截至|直到|一直到|到")),
    ("zh_from", re.compile(r"从|自")),
    # --- English (the text is lower case; word boundaries keep "sat" out of "unusual")
    ("en_recur_weekday", re.compile(rf"\bevery ({_WD_EN})\b|\bon ({_WD_EN})s\b|\b({_WD_EN})s\b")),
    (
        "en_recur",
        re.compile(
            r"\b(?:daily|every ?day|each day|every morning|every afternoon|every evening"
            r"|every night|weekly|every week|monthly|every month)\b"
        ),
    ),
    (
        "en_recent",
        re.compile(
            rf"\b(?:the )?(?:past|last) ({_NUM_EN}) (days|weeks|months)\b"
            r"|\b(?:the )?past (week|month)\b"
        ),
    ),
    (
        "en_offset_in",
        re.compile(
            r"\b(?:in|after)\s+(?:about\s+|around\s+|approximately\s+|roughly\s+|~\s*)*"
            + _AMOUNT_EN
        ),
    ),
    (
        "en_offset_ago",
        re.compile(
            _AMOUNT_EN + r"\s+(?P<dir>ago|earlier|before|back|prior|later|from now|hence|after)\b"
        ),
    ),
    (
        "en_within",
        re.compile(
            r"\b(?:within|in the next|in the coming|over the next|in less than|no more than)\s+"
            r"(?:about\s+|around\s+|~\s*)*" + _AMOUNT_EN
        ),
    ),
    (
        "en_edge",
        re.compile(
            r"\b(end|beginning|start|middle) of (?:the )?(?:(this|next|last) )?(month|year|week)\b"
            r"|\b(?:month[- ]end|eom|eoy|year[- ]end)\b"
        ),
    ),
    (
        "en_weekday",
        re.compile(
            r"\b(?:(this coming|this past|this|next|last|past|previous|coming)\s+)?"
            rf"({_WD_EN})\b"
            r"(?:\s*,?\s*(?:of\s+)?(?:the\s+)?(this|next|last|following)\s+week\b)?"
        ),
    ),
    ("en_week_weekday", re.compile(rf"\b(this|next|last) week(?:'s)?\s+(?:on\s+)?({_WD_EN})\b")),
    ("en_weekend", re.compile(r"\b(?:(this|next|last|coming)\s+)?weekend(s)?\b")),
    ("en_week", re.compile(r"\b(this|next|last|previous|coming|the following) (?:week|wk)\b")),
    ("en_month_period", re.compile(r"\b(this|next|last|previous) month\b")),
    (
        "en_date_md",
        re.compile(
            rf"\b({_MONTH_EN})\.?\s+(\d{{1,2}})(st|nd|rd|th)?\b(?!:)(?:\s*,?\s*(\d{{4}})\b)?"
        ),
    ),
    (
        "en_date_dm",
        re.compile(
            rf"\b(?:the\s+)?(\d{{1,2}})(st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_EN})\b\.?"
            r"(?:\s*,?\s*(\d{4})\b)?"
        ),
    ),
    ("en_month_year", re.compile(rf"\b({_MONTH_EN})\.?\s+(\d{{4}})\b")),
    (
        "en_month_alone",
        re.compile(
            r"\b(?:in|during|this|next|last|since|until|by|before|of|early|late|mid)[- ]"
            r"(january|february|march|april|may|june|july|august|september|october|november"
            r"|december)\b"
        ),
    ),
    ("en_ordinal_day", re.compile(r"\bthe (\d{1,2})(?:st|nd|rd|th)\b")),
    ("iso_date", re.compile(r"(?<![\d.\-/])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d.\-/])")),
    ("slash_date", re.compile(r"(?<![\d./\-])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/.\-])")),
    (
        "en_clock",
        re.compile(
            rf"(?<![\d.:])(\d{{1,2}})(?:[:.](\d{{2}}))?(?::(\d{{2}}))?\s*({_MERIDIEM})(?![a-z])"
        ),
    ),
    ("colon_clock", re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])")),
    (
        "at_clock",
        re.compile(
            r"(?:\bat|@)\s*(\d{1,2})(?:[.:](\d{2}))?(?:\s*(a\.m\.|p\.m\.|am|pm)(?![a-z]))?"
            r"(?![\d.,:%])(?!\s*%)(?!\s*(?:each|per|apiece|a (?:pack|carton|box|piece)|yuan"
            r"|rmb|kuai|dollars?|bucks|元|块|/))"
        ),
    ),
    (
        "en_day_range",
        re.compile(
            rf"\b({_MONTH_EN})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|through|until)\s*"
            r"(\d{1,2})(?:st|nd|rd|th)?\b(?!:)(?:\s*,?\s*(\d{4})\b)?"
        ),
    ),
    ("oclock", re.compile(r"\b(\d{1,2})\s*o'?clock\b")),
    (
        "en_clock_part",
        re.compile(
            r"(?<![\d.:])(\d{1,2})(?::(\d{2}))?\s+(?:(?:o'?clock\s+)?in the "
            r"(morning|afternoon|evening)|at (night|noon))\b"
        ),
    ),
    ("en_midnight", re.compile(r"\bmidnight\b")),
    (
        "en_day",
        re.compile(
            r"\b(?:"
            + "|".join(sorted((w for w in words.DAY_WORDS if w.isascii()), key=len, reverse=True))
            + r"|last night)\b"
        ),
    ),
    (
        "en_part",
        re.compile(
            r"\b(?:(this|tomorrow|yesterday) |in the |at |during the )?"
            r"(morning|afternoon|evening|night|noon|midday|lunchtime|lunch)(s)?\b"
        ),
    ),
    ("en_now", re.compile(r"\b(?:right now|now)\b")),
    ("en_before", re.compile(r"\b(?:by|before|no later than|not later than|prior to)\b")),
    ("en_until", re.compile(r"\b(?:until|till|til|up to|through)\b")),
    ("en_after", re.compile(r"\b(?:after|since)\b")),
    ("en_from", re.compile(r"\bfrom\b|\bbetween\b")),
]
# Atoms that are only words around a time (前, by, 到): they never make a mention alone.
_MODIFIERS = frozenset(
    {
        "zh_before",
        "zh_inside",
        "zh_after",
        "zh_until",
        "zh_from",
        "zh_short_part",
        "en_before",
        "en_until",
        "en_after",
        "en_from",
    }
)
_PREFIX_RELATION = {
    "zh_until": "until",
    "en_before": "before",
    "en_until": "until",
    "en_after": "after",
    "en_from": None,
}
_SUFFIX_RELATION = {"zh_before": "before", "zh_inside": "before", "zh_after": "after"}
# What may stand between two atoms of one mention, and what joins the two ends of a range.
_GLUE = re.compile(
    r"(?:\s|的|在|于|,|，|、|左右|前后|大概|大约|差不多|那天|这天|当天|\bat\b|\bon\b|\bof\b"
    r"|\bin\b|\bthe\b|\baround\b|\babout\b|@)*"
)
_RANGE = re.compile(
    r"\s*(?:到|至|-|–|—|~|〜|\bto\b|\btill\b|\buntil\b|\bthrough\b|\bthru\b|\band\b)\s*"
)
_STARTS = re.compile(
    r"[\da-z@几每最过近前月年上下这本周星礼早晨晚夜今明昨后大凌清中晌午傍黄半深现此当之以内截为直一到从自]"
)


# Atom kinds that fill the same slot: a second one starts a new mention.
_SLOTS = {
    "zh_recur_weekday": "weekday",
    "en_recur_weekday": "weekday",
    "zh_weekday": "weekday",
    "en_weekday": "weekday",
    "en_week_weekday": "weekday",
    "zh_weekend": "weekday",
    "en_weekend": "weekday",
    "zh_week": "period",
    "en_week": "period",
    "zh_month": "period",
    "en_month_period": "period",
    "zh_month_name": "period",
    "en_month_year": "period",
    "en_month_alone": "period",
    "zh_recent": "period",
    "zh_coming": "period",
    "en_recent": "period",
    "zh_date": "date",
    "zh_day_of_month": "date",
    "en_ordinal_day": "date",
    "en_date_md": "date",
    "en_date_dm": "date",
    "en_day_range": "date",
    "iso_date": "date",
    "slash_date": "date",
    "zh_edge": "date",
    "en_edge": "date",
    "zh_clock": "clock",
    "en_clock": "clock",
    "colon_clock": "clock",
    "at_clock": "clock",
    "oclock": "clock",
    "en_clock_part": "clock",
    "en_midnight": "clock",
    "zh_day": "day",
    "zh_day_part": "day",
    "en_day": "day",
    "zh_part": "part",
    "zh_short_part": "part",
    "en_part": "part",
    "zh_offset": "offset",
    "zh_later": "offset",
    "en_offset_in": "offset",
    "en_offset_ago": "offset",
    "en_within": "offset",
    "zh_now": "offset",
    "en_now": "offset",
    "zh_recur": "recur",
    "en_recur": "recur",
}
