"""Product mentions to catalog spec names (lang/products.py), on the generated product table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lang.products import ProductMatch, ProductResolver

TABLE = Path(__file__).resolve().parents[2] / "data" / "lookup" / "products.json"


@pytest.fixture(scope="module")
def resolver() -> ProductResolver:
    """The resolver on the table `make nlu-tables` generates from the demo catalog."""
    return ProductResolver(json.loads(TABLE.read_text(encoding="utf-8"))["products"])


@pytest.mark.parametrize(
    ("mention", "spec"),
    [
        ("硬芙", "芙蓉王(硬)"),
        ("芙蓉王（硬）", "芙蓉王(硬)"),
        ("芙蓉王硬", "芙蓉王(硬)"),
        ("软蓝芙蓉王", "芙蓉王(软蓝)"),
        ("芙蓉王蓝的", "芙蓉王(软蓝)"),
        ("中支芙", "芙蓉王(硬中支)"),
        ("和天下", "白沙(和天下)"),
        ("硬中华", "中华(硬)"),
        ("盖红河", "红河(盖)"),
        ("紫云烟", "云烟(紫)"),
        ("50版大红鹰", "大红鹰(50版)"),
        ("Furongwang hard", "芙蓉王(硬)"),
        ("hard Zhonghua", "中华(硬)"),
        ("furongwang ying", "芙蓉王(硬)"),
        ("Xuanhemen", "南京(炫赫门)"),
    ],
)
def test_aliases_and_spec_spellings_resolve_exactly(
    resolver: ProductResolver, mention: str, spec: str
) -> None:
    found = resolver.resolve(mention)
    actual = (found.spec, found.confidence) if found else None
    assert actual == (spec, 1.0)


@pytest.mark.parametrize(
    ("brand", "spec"),
    [
        ("芙蓉王", "芙蓉王(硬)"),
        ("白沙", "白沙(硬)"),
        ("利群", "利群(新版)"),
        ("双喜", "双喜(硬)"),
        ("兰州", "兰州(硬如意)"),
        ("黄果树", "黄果树(佳品)"),
        ("雄狮", "雄狮(硬)"),
        ("玉溪", "玉溪(软尚善)"),
        ("大红鹰", "大红鹰(50版)"),
        ("Liqun", "利群(新版)"),
    ],
)
def test_bare_brand_resolves_to_its_default_spec_and_says_so(
    resolver: ProductResolver, brand: str, spec: str
) -> None:
    found = resolver.resolve(brand)
    actual = (found.spec, found.bare_brand) if found else None
    assert actual == (spec, True)


@pytest.mark.parametrize(
    ("mention", "spec"),
    [
        ("芙蓉王软", "芙蓉王(软蓝)"),
        ("Furongwang blue", "芙蓉王(软蓝)"),
        ("钻石的芙蓉王", "芙蓉王(钻石)"),
    ],
)
def test_brand_with_variant_words_in_any_order_finds_the_variant(
    resolver: ProductResolver, mention: str, spec: str
) -> None:
    found = resolver.resolve(mention)
    actual = (found.spec, found.method, found.bare_brand) if found else None
    assert actual == (spec, "variant", False)


@pytest.mark.parametrize(
    ("typo", "spec"),
    [("利裙", "利群(新版)"), ("芙容王", "芙蓉王(硬)"), ("百沙", "白沙(硬)"), ("中化", "中华(硬)")],
)
def test_homophone_typos_resolve_through_pinyin(
    resolver: ProductResolver, typo: str, spec: str
) -> None:
    found = resolver.resolve(typo)
    actual = (found.spec, found.method, found.confidence) if found else None
    assert actual == (spec, "pinyin", 0.9)


def test_pinyin_nickname_resolves(resolver: ProductResolver) -> None:
    assert resolver.resolve("yingfu") == ProductMatch(
        spec="芙蓉王(硬)",
        brand="芙蓉王",
        confidence=0.9,
        method="pinyin",
        bare_brand=False,
        matched="硬芙",
    )


@pytest.mark.parametrize(("typo", "spec"), [("furongwnag", "芙蓉王(硬)"), ("Liqn", "利群(新版)")])
def test_small_latin_typos_resolve_fuzzily_with_lower_confidence(
    resolver: ProductResolver, typo: str, spec: str
) -> None:
    found = resolver.resolve(typo)
    assert found is not None
    assert (found.spec, found.method, found.confidence < 0.9) == (spec, "fuzzy", True)


@pytest.mark.parametrize("mention", ["矿泉水", "茅台", "价格表", "", "  "])
def test_words_that_are_no_product_resolve_to_none(resolver: ProductResolver, mention: str) -> None:
    assert resolver.resolve(mention) is None


def test_every_catalog_spec_resolves_to_itself(resolver: ProductResolver) -> None:
    found = {spec: resolver.resolve(spec) for spec in resolver.specs}
    assert {spec: m.spec if m else None for spec, m in found.items()} == {s: s for s in found}
