"""Product resolution and price quotes.

Retailers name products many ways: the spec (芙蓉王(硬)), a nickname (硬芙), a bare brand
(芙蓉王, meaning the brand's default spec), English or pinyin (Furongwang hard), or with a
homophone typo from a pinyin keyboard (芙容王). :func:`resolve_products` maps such words to
catalog specs with a confidence; :func:`quote_price` turns one into the figures a retailer needs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from retail.access import Principal
from retail.errors import ProductNotFound
from retail.models import Product, Retailer, StarQuota

PACKS_PER_CARTON = 10
CARTONS_PER_CASE = 50
_STRIP = re.compile(r"[\s()()\[\]【】·.,,。、!!??'\"“”‘’:_\-]+")
_MIN_FUZZY = 86.0
_CJK = re.compile(r"[^\x00-\x7f]").search


def normalise(text: str) -> str:
    """Lower-case, full-width to half-width, no spaces or punctuation: the matching form."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=8192)
def pinyin_key(text: str) -> str:
    """Toneless pinyin of the normalised text, so homophone typos still match (芙容王 = 芙蓉王).

    Cached: every resolution computes it for each catalog name, and names rarely change.
    """
    return "".join(lazy_pinyin(normalise(text)))


@dataclass(frozen=True)
class ProductMatch:
    """A product found in the user's words, with how sure we are (0..1)."""

    product: Product
    confidence: float
    matched: str


@dataclass(frozen=True)
class _Key:
    text: str
    product: Product
    specific: bool


def _keys(products: Iterable[Product]) -> list[_Key]:
    """Every normalised name of every product; bare brand names point at the brand default."""
    keys: list[_Key] = []
    for product in products:
        names = [product.spec, product.name_en, product.code, *(a.alias for a in product.aliases)]
        keys.extend(_Key(normalise(name), product, True) for name in names)
        if product.is_brand_default:
            keys.append(_Key(normalise(product.brand), product, False))
            keys.append(_Key(normalise(product.brand_en), product, False))
    return [key for key in keys if key.text]


def _pick_default(match: _Key, prefer: Sequence[int], products: Sequence[Product]) -> Product:
    """A bare brand resolves to a spec of that brand already on the user's order, else default."""
    if match.specific:
        return match.product
    for product in products:
        if product.id in prefer and product.brand == match.product.brand:
            return product
    return match.product


def _exact_and_contained(text: str, keys: list[_Key]) -> list[tuple[_Key, int]]:
    """Keys found verbatim in the text, longest first, not overlapping a longer hit."""
    hits: list[tuple[_Key, int]] = []
    taken: list[tuple[int, int]] = []
    for key in sorted(keys, key=lambda k: len(k.text), reverse=True):
        if len(key.text) < 2:
            continue
        start = text.find(key.text)
        while start != -1:
            end = start + len(key.text)
            if all(end <= s or start >= e for s, e in taken):
                taken.append((start, end))
                hits.append((key, start))
                break
            start = text.find(key.text, start + 1)
    return sorted(hits, key=lambda hit: hit[1])


def load_catalog(session: Session) -> list[Product]:
    """Every product with its aliases and quotas loaded (the catalog is small)."""
    query = select(Product).options(selectinload(Product.aliases), selectinload(Product.quotas))
    return list(session.scalars(query.order_by(Product.code)))


def resolve_products(
    session: Session, text: str, *, prefer: Sequence[int] = ()
) -> list[ProductMatch]:
    """All products named in ``text``, in the order they appear.

    Tries, in turn: names found verbatim (longest wins, so 芙蓉王硬 beats 芙蓉王), the same on
    toneless pinyin (homophone typos), then a fuzzy match for small typos in a short query.
    ``prefer`` holds product ids (e.g. the user's order lines) that a bare brand should pick.
    """
    products = load_catalog(session)
    keys = _keys(products)
    query = normalise(text)
    if not query:
        return []
    found: dict[int, ProductMatch] = {}

    def add(key: _Key, confidence: float) -> None:
        product = _pick_default(key, prefer, products)
        if product.id not in found:
            found[product.id] = ProductMatch(product, confidence, key.text)

    for key, _ in _exact_and_contained(query, keys):
        add(key, 1.0 if key.text == query else 0.95)
    if found:
        return list(found.values())

    pinyin_keys = [
        _Key(pinyin_key(k.text), k.product, k.specific)
        for k in keys
        if re.search(r"[^\x00-\x7f]", k.text)
    ]
    for key, _ in _exact_and_contained(pinyin_key(query), pinyin_keys):
        add(key, 0.85)
    if found:
        return list(found.values())

    choice = process.extractOne(
        query, [k.text for k in keys], scorer=fuzz.ratio, score_cutoff=_MIN_FUZZY
    )
    if choice is not None:
        add(keys[choice[2]], round(choice[1] / 100 * 0.9, 2))
    return list(found.values())


def suggest_products(session: Session, text: str, *, limit: int = 3) -> list[Product]:
    """Near misses to offer when nothing matched, best first."""
    keys = _keys(load_catalog(session))
    scored = process.extract(
        normalise(text), [k.text for k in keys], scorer=fuzz.partial_ratio, limit=limit * 4
    )
    suggestions: list[Product] = []
    for _, score, index in scored:
        product = keys[index].product
        if score >= 50 and product not in suggestions:
            suggestions.append(product)
    return suggestions[:limit]


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


def quota_for(session: Session, product_id: int, star_level: int) -> int | None:
    """The per-order quota of a limited product at a star level, or None if unlimited."""
    row = session.get(StarQuota, (product_id, star_level))
    return row.max_cartons if row else None
