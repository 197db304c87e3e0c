"""Price questions beyond one product: comparisons, brand lists, tiers, per-pack prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.prices import read_price_question
from retail import access
from retail.catalog import (
    brand_price_list,
    compare_margins,
    pack_price_list,
    tier_price_list,
)
from retail.db import Database


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("芙蓉王硬多少钱一条", "single"),
        ("双喜和利群哪个利润高", "compare"),
        ("宏声跟红梅哪个更赚钱", "compare"),
        ("白沙有哪些规格 都多少钱", "brand"),
        ("芙蓉王系列价格表发我", "brand"),
        ("list all Furongwang prices", "brand"),
        ("中高端的烟给我列下价格", "tier"),
        ("cheap cigarettes prices", "tier"),
        ("2.5元那档的烟都有哪些", "pack_price"),
        ("多少钱", "none"),
    ],
)
def test_what_a_price_question_asks_for(db: Database, text: str, kind: str) -> None:
    with db.session() as session:
        assert read_price_question(session, text).kind == kind


def test_a_comparison_puts_the_higher_margin_first(db: Database) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        question = read_price_question(session, "双喜和利群哪个利润高")
        quotes = compare_margins(session, principal, question.products)
    assert {q.spec for q in quotes} == {"双喜(硬)", "利群(新版)"}
    assert quotes[0].margin_per_carton >= quotes[1].margin_per_carton


def test_a_brand_list_shows_every_spec_with_the_retailers_own_quota(db: Database) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        quotes = brand_price_list(session, principal, "芙蓉王")
    by_spec = {q.spec: q for q in quotes}
    assert set(by_spec) == {"芙蓉王(硬)", "芙蓉王(软蓝)", "芙蓉王(钻石)", "芙蓉王(硬中支)"}
    assert by_spec["芙蓉王(软蓝)"].quota == 4 and by_spec["芙蓉王(硬)"].quota is None


def test_a_tier_list_holds_only_that_tier_and_nothing_discontinued(db: Database) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 20001)
        quotes = tier_price_list(session, principal, ("low",))
    assert quotes and all(q.wholesale_per_carton < 150 for q in quotes)
    assert all(q.status != "discontinued" for q in quotes)
    assert all(q.quota is None for q in quotes)


def test_a_pack_price_with_no_exact_match_gives_the_nearest(db: Database) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        exact, quotes = pack_price_list(session, principal, Decimal("2.5"))
        exact_25, quotes_25 = pack_price_list(session, principal, Decimal("25"))
    assert not exact and len(quotes) == 3
    assert exact_25 and {q.spec for q in quotes_25} >= {"芙蓉王(硬)", "兰州(硬如意)"}
