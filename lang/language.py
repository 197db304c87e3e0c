"""Which language a message is written in: zh, en, or neither (digits, emoji, a button tap)."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str | None) -> str | None:
    """zh if the message has any Chinese, en if it has English words and no Chinese, otherwise
    ``None`` (digits, emoji, a button payload), so the caller falls back to the saved language."""
    if not text or text.startswith("/"):
        return None
    if _CJK.search(text):
        return "zh"
    if _LATIN_WORD.search(text):
        return "en"
    return None
