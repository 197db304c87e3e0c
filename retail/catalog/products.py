"""Product resolution and price quotes.

Retailers name products many ways: the spec (芙蓉王(硬)), a nickname (硬芙), a bare brand
(芙蓉王, meaning the brand's default spec), English or pinyin (Furongwang hard), or with a
homophone typo from a pinyin keyboard (芙容王). :func:`resolve_products` maps such words to
catalog specs with a confidence, through the one product reader (lang.products) built over the
database's catalog; :func:`quote_price` turns one into the figures a retailer needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lang.products import ProductResolver
from retail.access import Principal
from retail.errors import ProductNotFound
from retail.models import Product, Retailer

PACKS_PER_CARTON = 10
CARTONS_PER_CASE = 50


@dataclass(frozen=True)
class ProductMatch:
    """A product found in the user's words: how sure the reader is (0..1), the catalog name
    that matched, where in the text it was named (``text[start:end]``), and whether only the
    brand was named (芙蓉王, not 芙蓉王硬)."""

    product: Product
    confidence: float
    matched: str
    start: int = 0
    end: int = 0
    bare_brand: bool = False


def load_catalog(session: Session) -> list[Product]:
    """Every product with its aliases and quotas loaded (the catalog is small)."""
    query = select(Product).options(selectinload(Product.aliases), selectinload(Product.quotas))
    return list(session.scalars(query.order_by(Product.code)))


def _names(products: Sequence[Product]) -> tuple[tuple[Any, ...], ...]:
    """The names of each product the reader knows, hashable so a reader is built once per
    catalog version, not per message."""
    return tuple(
        (
            p.spec,
            p.brand,
            p.brand_en,
            p.name_en,
            p.code,
            tuple(sorted(a.alias for a in p.aliases)),
            p.is_brand_default,
        )
        for p in products
    )


@lru_cache(maxsize=4)
def _reader(names: tuple[tuple[Any, ...], ...]) -> ProductResolver:
    rows = [
        {
            "spec": spec,
            "brand": brand,
            "brand_en": brand_en,
            "name_en": name_en,
            "code": code,
            "aliases": list(aliases),
            "default_for_brand": default,
        }
        for spec, brand, brand_en, name_en, code, aliases, default in names
    ]
    return ProductResolver(rows)


def product_reader(session: Session) -> tuple[ProductResolver, dict[str, Product]]:
    """The product reader (lang.products) over the current catalog, and its products by spec."""
    products = load_catalog(session)
    return _reader(_names(products)), {p.spec: p for p in products}


def _preferred(product: Product, prefer: Sequence[int], by_spec: dict[str, Product]) -> Product:
    """A bare brand means the spec of that brand already on the user's order, if there is one."""
    for other in by_spec.values():
        if other.id in prefer and other.brand == product.brand:
            return other
    return product


def resolve_products(
    session: Session, text: str, *, prefer: Sequence[int] = ()
) -> list[ProductMatch]:
    """All products named in ``text``, in the order they appear (read by lang.products).

    ``prefer`` holds product ids (e.g. the user's order lines) that a bare brand should pick.
    """
    reader, by_spec = product_reader(session)
    found: dict[int, ProductMatch] = {}
    for mention in reader.find_all(text):
        product = by_spec.get(mention.match.spec)
        if product is None:
            continue
        if mention.match.bare_brand:
            product = _preferred(product, prefer, by_spec)
        if product.id not in found:
            found[product.id] = ProductMatch(
                product,
                mention.match.confidence,
                mention.match.matched,
                mention.start,
                mention.end,
                mention.match.bare_brand,
            )
    return list(found.values())


def suggest_products(session: Session, text: str, *, limit: int = 3) -> list[Product]:
    """Near misses to offer when nothing matched, best first."""
    reader, by_spec = product_reader(session)
    return [by_spec[spec] for spec in reader.suggest(text, limit=limit) if spec in by_spec]


def resolve_product(session: Session, text: str, *, prefer: Sequence[int] = ()) -> ProductMatch:
    """The first product named in ``text``; :class:`ProductNotFound` with suggestions if none."""
    matches = resolve_products(session, text, prefer=prefer)
    if not matches:
        suggestions = [p.spec for p in suggest_products(session, text)]
        raise ProductNotFound(query=text.strip(), suggestions=suggestions)
    return matches[0]


@dataclass(frozen=True)
class PriceQuote:
    """What a retailer needs to know about one product's price."""

    spec: str
    name_en: str
    status: str
    wholesale_per_carton: Decimal
    retail_per_pack: Decimal
    replacement_spec: str | None
    replacement_name_en: str | None
    star_level: int | None
    quota: int | None
    stock_cartons: int

    @property
    def retail_per_carton(self) -> Decimal:
        return self.retail_per_pack * PACKS_PER_CARTON

    @property
    def margin_per_carton(self) -> Decimal:
        return self.retail_per_carton - self.wholesale_per_carton

    @property
    def margin_rate(self) -> Decimal:
        """Gross margin as a share of the retail price."""
        if not self.retail_per_carton:
            return Decimal(0)
        return self.margin_per_carton / self.retail_per_carton


def quote(product: Product, *, star_level: int | None) -> PriceQuote:
    """The price quote of a product for a retailer of ``star_level`` (None: no shop context)."""
    quota = None
    if product.status == "limited" and star_level is not None:
        quota = next((q.max_cartons for q in product.quotas if q.star_level == star_level), 0)
    replacement = product.replacement
    return PriceQuote(
        spec=product.spec,
        name_en=product.name_en,
        status=product.status,
        wholesale_per_carton=product.wholesale_per_carton,
        retail_per_pack=product.retail_per_pack,
        replacement_spec=replacement.spec if replacement else None,
        replacement_name_en=replacement.name_en if replacement else None,
        star_level=star_level,
        quota=quota,
        stock_cartons=product.stock_cartons,
    )


def quote_price(
    session: Session, principal: Principal, text: str, *, prefer: Sequence[int] = ()
) -> PriceQuote:
    """Resolve ``text`` to a product and quote it; a retailer sees their own star quota."""
    match = resolve_product(session, text, prefer=prefer)
    star = None
    if principal.is_retailer and principal.retailer_id is not None:
        star = session.scalar(
            select(Retailer.star_level).where(Retailer.id == principal.retailer_id)
        )
    return quote(match.product, star_level=star)
