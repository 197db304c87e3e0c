"""Short answers to the questions a form asks, in Chinese and English.

The assistant asks a retailer with a complaint what happened, when and which product, and a
manager whose visit note names no shop which shop it was. The answers are short and loose:
不记得 / "don't know" for the time, 没有 / 不涉及 / "none" for the product, and sometimes a
question of their own (利群多少钱?) instead of an answer. A complaint may also come bare
(我要投诉, "I have a complaint") or already say what happened after the bare words
(我要投诉,今天送来的货少了一条芙蓉王). This module reads those; times and products are read by
lang.times and lang.products, cancel words by lang.confirmations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lang.confirmations import words_of

_LEAD_ZH = re.compile(
    r"(?:你好|您好|喂)?[\s,,!!。]*(?:我|俺)?(?:这边)?(?:要|想|想要|得|需要|有)?"
    r"(?:投诉|反映|反馈)(?:一下|下)?(?:个|一个|件|一件)?(?:事|事情|问题|情况)?"
)
_LEAD_EN = re.compile(
    r"(?:(?:hi|hello|hey)[\s,!.]*)?(?:"
    r"i(?:\s+would|'d|\s+want|\s+wanna|\s+need)?(?:\s+like)?(?:\s+to)?\s+"
    r"(?:file|make|lodge|raise|submit|log)\s+an?\s+complaint"
    r"|i\s+(?:have|'ve\s+got|got)\s+an?\s+complaint"
    r"|i\s+(?:want|would\s+like|'d\s+like|need)\s+to\s+complain"
    r"|complaint)(?:\s+(?:about|regarding|on))?",
    re.IGNORECASE,
)
_SEPARATORS = " \t\r\n,,.。!!::;;-—"
_ZH_FILLERS = re.compile(
    r"你好|您好|请问|麻烦|帮我|一下|一个|这个|那个|你们|我们|问题|情况|事情|投诉|反映|反馈"
    r"|[请我要想个有事啊呀吧呢哦嗯了的下]"
)
_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_EN_FILLERS = frozenset(
    {
        "i", "a", "an", "the", "to", "want", "wanna", "would", "like", "have", "has", "got",
        "file", "make", "complaint", "complain", "about", "regarding", "please", "hi", "hello",
        "my", "me", "we", "you", "your", "some", "there", "is", "it", "this", "that", "with",
        "of", "on", "in", "for", "and", "i'd", "i've", "problem", "issue", "something", "just",
    }
)  # fmt: skip
_CJK = re.compile(r"[\u4e00-\u9fff]")
MIN_DETAIL_CJK = 2
"""A complaint says what happened when this many Chinese characters are left once the bare
words (我要投诉一下), fillers and the product and time are taken out (货少 is enough)."""
MIN_DETAIL_WORDS = 2
"""The same for English: content words ("arrived damaged"), not "about the delivery"."""

_UNKNOWN_PHRASES = (
    "不记得", "记不得", "记不清", "记不起", "忘了", "忘记了", "不知道", "不清楚", "想不起",
    "不确定", "说不清", "说不准", "dontknow", "don'tknow", "dontremember", "don'tremember",
    "notsure", "noidea", "cantremember", "can'tremember", "forgot", "forget", "dunno",
    "unknown", "cantrecall", "can'trecall", "dontrecall", "don'trecall",
)  # fmt: skip
_NONE_WORDS = frozenset(
    {
        "没有", "没", "无", "没得", "没有了", "都不是", "不是", "none", "no", "nope", "nothing",
        "na", "n/a", "notany", "noneofthem", "noproduct",
    }
)  # fmt: skip
_NONE_PHRASES = (
    "不涉及", "无关", "没关系", "不是产品", "不是烟", "没有具体", "没有哪个", "没有产品",
    "不关产品", "notabout", "noproduct", "notapplicable", "notproduct", "noparticular",
    "nospecific", "notrelated", "doesntmatter", "doesn'tmatter",
)  # fmt: skip
_QUESTION_ZH = re.compile(r"吗|么[\s??]*$|多少|怎么|咋|什么|啥|哪|是不是|有没有|能不能|可不可以")
_QUESTION_EN = re.compile(
    r"^\s*(?:how|what|when|where|why|which|who|is|are|do|does|did|can|could|will|would|"
    r"should)\b|\bhow much\b",
    re.IGNORECASE,
)


def _lead_end(text: str) -> int:
    """Where the bare complaint words at the start of ``text`` end (0 when there are none)."""
    start = len(text) - len(text.lstrip(_SEPARATORS))
    for pattern in (_LEAD_ZH, _LEAD_EN):
        match = pattern.match(text, start)
        if match and match.end() > start:
            return match.end()
    return 0


def _has_substance(text: str) -> bool:
    if len(_CJK.findall(_ZH_FILLERS.sub("", text))) >= MIN_DETAIL_CJK:
        return True
    words = [w for w in _EN_WORD.findall(text.lower()) if w not in _EN_FILLERS]
    return len(words) >= MIN_DETAIL_WORDS


def complaint_detail(text: str, *, spans: Iterable[tuple[int, int]] = ()) -> str:
    """What a complaint message says happened, without the bare words before it: "" for
    我要投诉 / 我要投诉一下 / "I want to file a complaint", 今天送来的货少了一条芙蓉王 for
    我要投诉,今天送来的货少了一条芙蓉王.

    ``spans`` are the places (``text[start:end]``) where the caller found the product and the
    time: they stay in the detail but do not count as saying what happened (我要投诉利群 names
    a product, not a problem).
    """
    body = _lead_end(text)
    covered = [(start, end) for start, end in spans]
    kept = "".join(
        char
        for index, char in enumerate(text)
        if index >= body and not any(start <= index < end for start, end in covered)
    )
    if not _has_substance(kept):
        return ""
    return text[body:].strip(_SEPARATORS)


def says_unknown(text: str) -> bool:
    """Whether an answer to "when was it?" says the user does not remember (不记得, 记不清了,
    "don't know", "not sure")."""
    words = words_of(text.replace("'", ""))
    return bool(words) and any(phrase.replace("'", "") in words for phrase in _UNKNOWN_PHRASES)


def says_none(text: str) -> bool:
    """Whether an answer to "which product?" says no product is involved (没有, 不涉及,
    "none", "not about a product")."""
    words = words_of(text.replace("'", ""))
    if not words:
        return False
    return words in _NONE_WORDS or any(phrase.replace("'", "") in words for phrase in _NONE_PHRASES)


def is_question(text: str) -> bool:
    """Whether a message is put as a question (利群多少钱, 账户还有钱吗, "how much is Liqun?"):
    in a form, a question is a side question, not the answer."""
    if "?" in text or "?" in text:
        return True
    return bool(_QUESTION_ZH.search(text) or _QUESTION_EN.search(text))
