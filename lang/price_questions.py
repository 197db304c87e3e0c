"""The words of a price question that are not product names: a list, a tier, a pack price.

芙蓉王系列都多少钱 asks for a brand's list; 高端烟有哪些, "cheap ones" for a price tier; 2.5元那档,
"¥10 a pack" for the specs at a suggested retail price per 包. :func:`read_price_words` finds
them; which answer fits, given the products named, is retail.catalog.prices.price_question's call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_LIST_WORDS = re.compile(
    r"有哪些|有哪几|哪几种|几种|系列|所有|全部|都多少|都是多少|价格表|价目表|列一下|列下|列个|列出|"
    r"规格|品规|\blist\b|\ball\b|\brange\b|\blineup\b|\bevery\b|\bwhich\b|\bvariants?\b|\bspecs?\b",
    re.IGNORECASE,
)
_TIER_WORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"中高端|中高档|中高价|mid[- ]to[- ]high|upper[- ]mid", re.I), ("high", "mid")),
    (re.compile(r"中低端|中低档|中低价|low[- ]to[- ]mid|lower[- ]mid", re.I), ("mid", "low")),
    (
        re.compile(r"高端|高档|高价|一类烟|贵的|premium|high[- ]end|expensive|luxury", re.I),
        ("high",),
    ),
    (re.compile(r"中端|中档|中价|mid[- ]range|mid[- ]price|middle", re.I), ("mid",)),
    (
        re.compile(r"低端|低档|低价|便宜|实惠|cheap|budget|low[- ]end|low[- ]price|value", re.I),
        ("low",),
    ),
)
_PACK_PRICE = re.compile(
    r"(?P<yuan>\d{1,3}(?:\.\d{1,2})?)\s*(?:块钱?|元)\s*(?:钱)?\s*(?:那档|档|的烟|左右|一包|价位)"
    r"|(?:¥|￥|\brmb\s?)(?P<yuan_en>\d{1,3}(?:\.\d{1,2})?)\s*(?:a|per)?\s*pack",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PriceWords:
    """What a price message says besides product names.

    ``wants_list``: list words (有哪些, all, which); ``names_series``: 系列, which makes even a
    spec name ask for its brand's list; ``tiers``: price tiers named (high, mid, low);
    ``pack_price``: a suggested retail price per 包, in yuan.
    """

    wants_list: bool = False
    names_series: bool = False
    tiers: tuple[str, ...] = ()
    pack_price: Decimal | None = None


def _tiers(text: str) -> tuple[str, ...]:
    for pattern, tiers in _TIER_WORDS:
        if pattern.search(text):
            return tiers
    return ()


def _pack_price(text: str) -> Decimal | None:
    match = _PACK_PRICE.search(text)
    if not match:
        return None
    try:
        return Decimal(match.group("yuan") or match.group("yuan_en"))
    except (InvalidOperation, TypeError):
        return None


def read_price_words(text: str) -> PriceWords:
    """The list, series, tier and pack-price words of a price message."""
    return PriceWords(
        wants_list=bool(_LIST_WORDS.search(text)),
        names_series="系列" in text,
        tiers=_tiers(text),
        pack_price=_pack_price(text),
    )
