"""Yes, confirm and cancel words in Chinese and English: the one rule for what a typed reply to
an offer says.

A button tap names what it confirms and needs no reading. A typed reply does: the NLU calls a
message an affirm for 确认 and 好的, but also for a lone emoji or symbol, and an order must not
change on a 🇨. :func:`is_explicit_confirmation` says whether the words themselves are a clear
yes (确认, 好的, 行, yes, "go ahead"), short and not negated (不确认, "don't confirm");
:func:`is_cancellation` whether they call off what is under way (取消, 算了, 不要了, "never mind");
:func:`is_correction` whether a "no" carries the right figure (不对 是4条).
"""

from __future__ import annotations

import re

from lang.order_changes import find_quantities, fold_width

CONFIRM_WORDS = frozenset(
    {
        # zh
        "确认", "确定", "确认修改", "确认下单", "确认提交", "提交", "下单", "好", "好的", "好滴",
        "好嘞", "好吧", "行", "行的", "可以", "可以的", "对", "对的", "是", "是的", "嗯", "嗯嗯",
        "没问题", "就这样", "就这么办", "要得", "中", "妥", "没错", "同意", "改吧", "改吧改吧",
        "保存", "保存吧", "好的保存", "好保存", "存吧", "存上", "存上吧", "记下吧", "发吧", "发送",
        # en
        "yes", "yeah", "yep", "yup", "y", "sure", "ok", "okay", "correct", "right", "confirm",
        "confirmed", "goahead", "doit", "yesplease", "yesconfirm", "fine", "alright", "submit",
        "absolutely", "ofcourse", "save", "saveit", "savethat", "yessave", "send", "sendit",
    }
)  # fmt: skip
"""A whole reply that is a yes, written without spaces or punctuation (see :func:`words_of`)."""
STRONG_CONFIRM_WORDS = ("确认", "确定", "confirm")
"""Words that make a short reply a yes even with more around them (确认一下, "confirm it")."""
MAX_CONFIRM_LENGTH = 8
"""Longest reply (in letters, without punctuation) a strong word alone makes a yes: past it the
message is about something else and the NLU's affirm is not to be trusted."""
CANCEL_WORDS = frozenset(
    {
        # zh
        "取消", "算了", "算了吧", "还是算了", "不回了", "不用了", "不要了", "不存了", "不保存",
        "别保存", "不发了", "取消吧",
        # en
        "cancel", "cancelit", "cancelthat", "nevermind", "stop", "forgetit", "dontsave",
        "dontsend",
    }
)  # fmt: skip
"""A whole reply that calls off what is under way. A bare 不 or "no" is not one: in a form it
can be the answer itself (a manager answering "能赊账吗" with "不")."""

_NOT_WORDS = re.compile(r"[^\w\u4e00-\u9fff]|_")
_NEGATION = re.compile(r"不|别|没确认|don'?t|\bnot?\b", re.IGNORECASE)


def words_of(text: str) -> str:
    """``text`` lower-cased without spaces, punctuation, emoji or symbols: "Go ahead!" ->
    "goahead", "好的👍" -> "好的"; the form the word sets here are written in."""
    return _NOT_WORDS.sub("", (text or "").lower())


def is_explicit_confirmation(text: str) -> bool:
    """Whether a *typed* reply really says "yes, do it": a confirm word (确认, 好的, 行, yes,
    confirm ...), or a short reply holding 确认/确定/confirm, and no negation anywhere."""
    if _NEGATION.search(text or ""):
        return False
    words = words_of(text)
    if words in CONFIRM_WORDS:
        return True
    return len(words) <= MAX_CONFIRM_LENGTH and any(
        strong in words for strong in STRONG_CONFIRM_WORDS
    )


def is_cancellation(text: str) -> bool:
    """Whether a typed reply calls off what is under way (取消, 算了, 不要了, "cancel",
    "never mind", "stop"), punctuation aside."""
    return words_of(text) in CANCEL_WORDS


def is_correction(text: str) -> bool:
    """Whether a "no" also says what is right instead: it holds a quantity (不对 是4条,
    "no, make it 4"). Such a reply to an order plan corrects the plan rather than dropping it."""
    return bool(find_quantities(fold_width(text or "")))
