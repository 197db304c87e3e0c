"""Where a token splits into numeral, unit and other pieces (used by nlu/tokenizer.py).

Jieba glues numbers to their units (两条, 3条) and digits to words (3000块), so an entity span
such as [两](quantity)[条](unit) cannot line up with tokens. A token is split where it switches
between a numeral, a unit and other text, but only when it holds digits or a Chinese numeral
next to a unit: words such as 一下, 一样, 周四 or 三张 stay whole, because splitting them makes
the numeral look like a quantity. No Rasa import, so it is tested in the app environment.
"""

from __future__ import annotations

import re

_CN_NUMERAL = "零〇一二两三四五六七八九十百千万半"
_NUMERAL = rf"[0-9{_CN_NUMERAL}.kK]"
_UNIT = r"[条包件盒箱]"
_PIECES = re.compile(rf"{_NUMERAL}+|{_UNIT}|(?:(?!{_NUMERAL}|{_UNIT}).)+")
_NUMERAL_BY_UNIT = re.compile(rf"[{_CN_NUMERAL}]{_UNIT}|{_UNIT}[{_CN_NUMERAL}]")


def split_numerals(text: str) -> list[tuple[str, int]]:
    """The pieces of one token with their offsets in it (the whole token if it needs no split).

    >>> split_numerals("两条")
    [('两', 0), ('条', 1)]
    >>> split_numerals("周四")
    [('周四', 0)]
    """
    if text.isascii() and text.isalpha():
        return [(text, 0)]
    if not (re.search(r"[0-9]", text) or _NUMERAL_BY_UNIT.search(text)):
        return [(text, 0)]
    return [(m.group(), m.start()) for m in _PIECES.finditer(text)]
