"""The catalog: products, names and price quotes (comparisons, a brand's list, tiers)."""

from __future__ import annotations

from retail.catalog.prices import (
    PriceQuestion,
    brand_price_list,
    compare_margins,
    pack_price_list,
    price_question,
    quotes_for,
    tier_price_list,
)
from retail.catalog.products import (
    CARTONS_PER_CASE,
    PACKS_PER_CARTON,
    PriceQuote,
    ProductMatch,
    load_catalog,
    quote,
    quote_price,
    resolve_product,
    resolve_products,
    suggest_products,
)

__all__ = [
    "CARTONS_PER_CASE",
    "PACKS_PER_CARTON",
    "PriceQuestion",
    "PriceQuote",
    "ProductMatch",
    "brand_price_list",
    "compare_margins",
    "load_catalog",
    "pack_price_list",
    "price_question",
    "quote",
    "quote_price",
    "quotes_for",
    "resolve_product",
    "resolve_products",
    "suggest_products",
    "tier_price_list",
]
