"""The demo data the visit readers are tested on, read from data/ without a database."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lang.products import ProductResolver
from lang.shops import ShopNames

ROOT = Path(__file__).resolve().parents[2]


def m001_shops() -> list[ShopNames]:
    """Manager M001's shops from the demo people file, keyed by shop code."""
    people = yaml.safe_load((ROOT / "data" / "demo" / "people.yml").read_text(encoding="utf-8"))
    return [
        ShopNames(shop["code"], shop["name"], shop.get("owner", ""), shop.get("name_en", ""))
        for shop in people["retailers"]
        if shop["manager"] == "M001"
    ]


def demo_products() -> ProductResolver:
    """The product reader on the table `make nlu-tables` generates from the demo catalog."""
    table = json.loads((ROOT / "data" / "lookup" / "products.json").read_text(encoding="utf-8"))
    return ProductResolver(table["products"])
