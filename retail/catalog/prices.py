"""Price questions beyond one product: comparisons, a brand's specs, a price tier.

:func:`price_question` decides what a price question asks for, from the products it names and
the words lang.price_questions read: two or more products are a comparison (双喜和利群哪个利润高);
a bare brand with list words is that brand's price list (芙蓉王系列都多少钱); tier words (高端,
中高档, cheap) or a per-pack price (2.5元那档) are a tier list; otherwise it is one product,
which :func:`retail.catalog.quote_price` answers. Every quote carries the asking retailer's own
quota for limited products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from retail.access import Principal
from retail.catalog.products import PriceQuote, ProductMatch, quote
from retail.models import Product, Retailer

MAX_LIST = 12


@dataclass(frozen=True)
class PriceQuestion:
    """What a price message asks: ``kind`` is single, compare, brand, tier, pack_price or none."""

    kind: str
    products: list[Product] = field(default_factory=list)
    brand: str | None = None
    tiers: tuple[str, ...] = ()
    pack_price: Decimal | None = None


def price_question(
    matches: Sequence[ProductMatch],
    *,
    wants_list: bool = False,
    names_series: bool = False,
    tiers: Sequence[str] = (),
    pack_price: Decimal | None = None,
) -> PriceQuestion:
    """Which answer fits a price question, from the products it names and its other words.

    Two or more products are a comparison; one product with list words is its brand's list
    when only the brand was named (or a series was asked for), else that product; with no
    product, a per-pack price, then price tiers; else nothing to answer.
    """
    if len(matches) >= 2:
        return PriceQuestion("compare", products=[m.product for m in matches])
    if len(matches) == 1:
        match = matches[0]
        if wants_list and (match.bare_brand or names_series):
            return PriceQuestion("brand", products=[match.product], brand=match.product.brand)
        return PriceQuestion("single", products=[match.product])
    if pack_price is not None:
        return PriceQuestion("pack_price", pack_price=pack_price)
    if tiers:
        return PriceQuestion("tier", tiers=tuple(tiers))
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
