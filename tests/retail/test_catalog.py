"""Resolving what retailers type to catalog specs, and quoting prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from retail import access
from retail.catalog import quote, quote_price, resolve_product, resolve_products
from retail.db import Database
from retail.errors import ProductNotFound
from retail.models import Product


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("芙蓉王(硬)", "芙蓉王(硬)"),
        ("芙蓉王(硬)", "芙蓉王(硬)"),
        ("芙蓉王硬多少钱一条", "芙蓉王(硬)"),
        ("硬芙多少钱", "芙蓉王(硬)"),
        ("芙蓉王多少钱", "芙蓉王(硬)"),
        ("芙容王多少钱", "芙蓉王(硬)"),
        ("how much is Liqun", "利群(新版)"),
        ("Furongwang hard price", "芙蓉王(硬)"),
        ("白沙", "白沙(硬)"),
        ("兰州", "兰州(硬如意)"),
        ("硬红兰州", "兰州(硬红)"),
        ("玉溪", "玉溪(软尚善)"),
        ("大红鹰", "大红鹰(50版)"),
        ("黄果树", "黄果树(佳品)"),
        ("雄狮", "雄狮(硬)"),
        ("双喜", "双喜(硬)"),
        ("liquun", "利群(新版)"),
    ],
)
def test_products_resolve_from_what_retailers_type(db: Database, text: str, spec: str) -> None:
    with db.session() as session:
        assert resolve_product(session, text).product.spec == spec


def test_two_products_in_one_message_are_found_in_order(db: Database) -> None:
    with db.session() as session:
        found = [m.product.spec for m in resolve_products(session, "利群和芙蓉王硬哪个利润高")]
    assert found == ["利群(新版)", "芙蓉王(硬)"]


def test_a_bare_brand_prefers_the_spec_already_on_the_order(db: Database) -> None:
    with db.session() as session:
        soft = session.scalar(select(Product).where(Product.spec == "芙蓉王(软蓝)"))
        assert resolve_product(session, "芙蓉王", prefer=[soft.id]).product.spec == "芙蓉王(软蓝)"


def test_an_unknown_product_raises_with_suggestions(db: Database) -> None:
    with db.session() as session, pytest.raises(ProductNotFound) as missing:
        resolve_product(session, "芙蓉")
    assert "芙蓉王(硬)" in missing.value.params["suggestions"]


def test_nonsense_is_not_a_product(db: Database) -> None:
    with db.session() as session, pytest.raises(ProductNotFound):
        resolve_product(session, "今天天气怎么样")


def test_a_quote_has_retail_per_carton_and_margin(db: Database) -> None:
    with db.session() as session:
        product = session.scalar(select(Product).where(Product.spec == "芙蓉王(硬)"))
        result = quote(product, star_level=None)
    assert result.retail_per_carton == product.retail_per_pack * 10
    assert result.margin_per_carton == result.retail_per_carton - product.wholesale_per_carton
    assert Decimal("0") < result.margin_rate < Decimal("0.3")


def test_a_limited_product_shows_the_retailers_own_quota(db: Database) -> None:
    with db.session() as session:
        limited = session.scalar(select(Product).where(Product.status == "limited"))
        principal = access.principal_for(session, 10001)
        result = quote_price(session, principal, limited.spec)
        expected = next(q.max_cartons for q in limited.quotas if q.star_level == 3)
    assert (result.star_level, result.quota) == (3, expected)


def test_a_discontinued_product_names_its_replacement(db: Database) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        result = quote_price(session, principal, "红河(盖)")
    assert (result.status, result.replacement_spec) == ("discontinued", "时尚宏声")
