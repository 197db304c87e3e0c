"""Price questions beyond one product: comparisons, a brand's specs, a price tier.

:func:`read_price_question` decides what a price message asks for: two or more products are a
comparison (双喜和利群哪个利润高); a bare brand with list words is that brand's price list
(芙蓉王系列都多少钱); tier words (高端, 中高档, cheap) or a per-pack price (2.5元那档) are a
tier list; otherwise it is one product, which :func:`retail.catalog.quote_price` answers. Every
quote carries the asking retailer's own quota for limited products.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lang.products import normalise
from retail.access import Principal
from retail.catalog import PriceQuote, ProductMatch, quote, resolve_products
from retail.models import Product, Retailer

MAX_LIST = 12

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
class PriceQuestion:
    """What a price message asks: ``kind`` is single, compare, brand, tier, pack_price or none."""

    kind: str
    products: list[Product] = field(default_factory=list)
    brand: str | None = None
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


def _is_bare_brand(match: ProductMatch) -> bool:
    """True if the words named only the brand (芙蓉王), not a spec (芙蓉王硬)."""
    product = match.product
    return match.matched in {normalise(product.brand), normalise(product.brand_en)}


def read_price_question(
    session: Session, text: str, *, prefer: Sequence[int] = (), product_hint: str | None = None
) -> PriceQuestion:
    """Decide what a price message asks for (see the module docstring)."""
    matches = resolve_products(session, text, prefer=prefer)
    if not matches and product_hint:
        matches = resolve_products(session, product_hint, prefer=prefer)
    if len(matches) >= 2:
        return PriceQuestion("compare", products=[m.product for m in matches])
    if len(matches) == 1:
        match = matches[0]
        if _LIST_WORDS.search(text) and (_is_bare_brand(match) or "系列" in text):
            return PriceQuestion("brand", products=[match.product], brand=match.product.brand)
        return PriceQuestion("single", products=[match.product])
    pack_price = _pack_price(text)
    if pack_price is not None:
        return PriceQuestion("pack_price", pack_price=pack_price)
    tiers = _tiers(text)
    if tiers:
        return PriceQuestion("tier", tiers=tiers)
    return PriceQuestion("none")


def _star_level(session: Session, principal: Principal) -> int | None:
    if not principal.is_retailer or principal.retailer_id is None:
        return None
    return session.scalar(select(Retailer.star_level).where(Retailer.id == principal.retailer_id))


def quotes_for(
    session: Session, principal: Principal, products: Sequence[Product]
) -> list[PriceQuote]:
    """Quotes of ``products`` for this asker (a retailer sees their own quota)."""
    star = _star_level(session, principal)
    return [quote(product, star_level=star) for product in products]


def compare_margins(
    session: Session, principal: Principal, products: Sequence[Product]
) -> list[PriceQuote]:
    """Quotes of the products, highest margin per 条 first (ties: higher margin rate first)."""
    quotes = quotes_for(session, principal, products)
    return sorted(quotes, key=lambda q: (q.margin_per_carton, q.margin_rate), reverse=True)


def _catalog(session: Session) -> list[Product]:
    query = select(Product).options(selectinload(Product.quotas), selectinload(Product.replacement))
    return list(session.scalars(query.order_by(Product.code)))


def brand_price_list(session: Session, principal: Principal, brand: str) -> list[PriceQuote]:
    """Every spec of ``brand``, active ones first, then by wholesale price."""
    products = [p for p in _catalog(session) if p.brand == brand]
    products.sort(key=lambda p: (p.status == "discontinued", p.wholesale_per_carton))
    return quotes_for(session, principal, products)


def tier_price_list(
    session: Session, principal: Principal, tiers: Sequence[str]
) -> list[PriceQuote]:
    """Orderable specs in the price tiers, cheapest first (at most :data:`MAX_LIST`)."""
    products = [
        p for p in _catalog(session) if p.price_tier in tiers and p.status != "discontinued"
    ]
    products.sort(key=lambda p: p.wholesale_per_carton)
    return quotes_for(session, principal, products[:MAX_LIST])


def pack_price_list(
    session: Session, principal: Principal, yuan: Decimal
) -> tuple[bool, list[PriceQuote]]:
    """Specs whose suggested retail price per 包 is ``yuan``; if none, the nearest ones.

    Returns (exact, quotes): ``exact`` is False when the list holds the nearest prices instead.
    """
    products = [p for p in _catalog(session) if p.status != "discontinued"]
    exact = [p for p in products if p.retail_per_pack == yuan]
    if exact:
        return True, quotes_for(session, principal, exact)
    products.sort(key=lambda p: (abs(p.retail_per_pack - yuan), p.retail_per_pack))
    nearest = products[:3]
    nearest.sort(key=lambda p: p.retail_per_pack)
    return False, quotes_for(session, principal, nearest)
