"""Which shops a message names: full names, short names, owners, English names, homophones.

Managers shorten a shop's name (张记 for 张记烟酒), name it by its owner (张伟, 张老板), write
its English name loosely ("Chen's"), or dictate it so that speech recognition writes a
homophone (张己烟酒) or loses a word of a long English name. :func:`match_shops` reads a text
against the shops a caller may see, given as plain :class:`ShopNames` tuples, and returns
their ids; it knows nothing of territories or databases.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from typing import NamedTuple

from rapidfuzz import fuzz

from lang.products import normalise, pinyin_key

MIN_FUZZY_SHOP = 90
"""A fuzzy shop match must be this close: 彭记烟酒 is not 张记烟酒 (75), whatever the overlap."""

_SHOP_SUFFIX = re.compile(
    r"(烟酒行|烟酒店|烟酒|便利店|便利|超市|副食店|副食|商店|百货|小卖部|商行|食杂店|店)$"
)
_EN_SHOP_WORDS = re.compile(
    r"\b(tobacco|liquor|convenience|store|shop|grocery|general|supermarket|roadside|trading|"
    r"international|and)\b|&",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z']+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class ShopNames(NamedTuple):
    """A shop as the reader sees it: an id of the caller's choosing and its names."""

    id: Hashable
    name: str
    owner: str = ""
    name_en: str = ""


def shop_names(shop: ShopNames) -> list[str]:
    """Ways a manager names a shop, normalised: full name, name without 烟酒/便利店, owner,
    X老板, the English name and its distinctive words ("Chen's" for Chen's General Store)."""
    names = [shop.name, shop.owner, shop.name_en]
    short = _SHOP_SUFFIX.sub("", shop.name)
    if len(short) >= 2:
        names.append(short)
    if shop.owner:
        names.append(f"{shop.owner[0]}老板")
    if shop.name_en:
        first = _EN_SHOP_WORDS.sub(" ", shop.name_en).split()
        if first:
            names.append(" ".join(first))
    return [normalise(name) for name in names if name and len(normalise(name)) >= 2]


def match_shops(text: str, shops: Iterable[ShopNames]) -> list[Hashable]:
    """Ids of the shops ``text`` names, best first; several when it is ambiguous, none when none.

    In turn, stopping at the first step that finds something: names found verbatim (the
    longest wins); the same on toneless pinyin (a transcript's homophones: 张己烟酒); most words
    of a long English name (a transcript that lost one); a fuzzy match of the full name.
    """
    query = normalise(text)
    if not query:
        return []
    candidates = list(shops)
    named = [(shop, shop_names(shop)) for shop in candidates]
    best: dict[Hashable, int] = {}
    for shop, names in named:
        for name in names:
            if name in query:
                best[shop.id] = max(best.get(shop.id, 0), len(name))
    if not best:
        spoken = pinyin_key(query)
        for shop, names in named:
            for name in names:
                if _NON_ASCII.search(name) and pinyin_key(name) in spoken:
                    best[shop.id] = max(best.get(shop.id, 0), len(name))
    if not best:
        heard = set(_WORD.findall(text.lower()))
        for shop in candidates:
            words = set(_WORD.findall(shop.name_en.lower()))
            shared = words & heard
            # Speech recognition loses a word or two of a long English name (Meixi -> "really").
            if len(shared) >= 3 and len(shared) * 5 >= len(words) * 3:
                best[shop.id] = sum(len(word) for word in shared)
    if not best:
        for shop in candidates:
            score = fuzz.partial_ratio(normalise(shop.name), query)
            if score >= MIN_FUZZY_SHOP and len(shop.name) >= 5:
                best[shop.id] = int(score)
    if not best:
        return []
    top = max(best.values())
    return [shop_id for shop_id, score in sorted(best.items(), key=lambda i: -i[1]) if score == top]
