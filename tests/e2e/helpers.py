"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

from sqlalchemy import select

from retail.db import Database
from retail.i18n import format_money
from retail.models import Product


def wholesale(database: Database, spec: str) -> str:
    """A product's wholesale price per 条 as the bot shows it (¥1,234.00), from the database."""
    with database.session() as session:
        product = session.scalar(select(Product).where(Product.spec == spec))
        assert product is not None, spec
        return format_money(product.wholesale_per_carton)
