"""Entity post-processing on Rasa-shaped entity dicts (nlu/entities.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lang.products import ProductResolver
from lang.times import TimeResolver
from nlu.entities import (
    correct_kinds,
    normalise_amounts,
    normalise_quantities,
    resolve_products,
    resolve_times,
)
from tests.lang.time_table import MESSAGE_TIME

TABLE = Path(__file__).resolve().parents[2] / "data" / "lookup" / "products.json"


def spans(text: str, *marked: tuple[str, str]) -> list[dict[str, Any]]:
    """Entities as DIET returns them, for each (kind, words) in order of appearance.

    An empty kind only moves past its words (to mark the "a" of "half a", not the one in "half").
    """
    entities: list[dict[str, Any]] = []
    position = 0
    for kind, words in marked:
        start = text.index(words, position)
        position = start + len(words)
        if not kind:
            continue
        entities.append(
            {"entity": kind, "start": start, "end": position, "value": words, "extractor": "DIET"}
        )
    return entities


@pytest.fixture(scope="module")
def products() -> ProductResolver:
    return ProductResolver(json.loads(TABLE.read_text(encoding="utf-8"))["products"])


def test_quantity_and_unit_become_cartons_with_the_unit_kept() -> None:
    text = "白沙改成十二条"
    entities = spans(text, ("quantity", "十二"), ("unit", "条"))
    normalise_quantities(text, entities)
    assert [(e["value"], e.get("number"), e.get("unit")) for e in entities] == [
        (12, 12, "条"),
        ("条", None, None),
    ]


def test_packs_are_converted_to_cartons_and_the_pack_count_is_kept() -> None:
    text = "红梅再来两包"
    entities = spans(text, ("quantity", "两"), ("unit", "包"))
    normalise_quantities(text, entities)
    assert (entities[0]["value"], entities[0]["number"], entities[0]["unit"]) == (0.2, 2, "包")


def test_a_case_is_fifty_cartons() -> None:
    text = "加一件白沙"
    entities = spans(text, ("quantity", "一"), ("unit", "件"))
    normalise_quantities(text, entities)
    assert (entities[0]["value"], entities[1]["value"], entities[1]["cartons_per_unit"]) == (
        50,
        "件",
        50.0,
    )


def test_half_after_the_unit_counts() -> None:
    text = "硬芙一条半"
    entities = spans(text, ("quantity", "一"), ("unit", "条"))
    normalise_quantities(text, entities)
    assert entities[0]["value"] == 1.5


def test_english_half_a_case_is_twenty_five_cartons() -> None:
    text = "add half a case of Baisha"
    entities = spans(text, ("quantity", "half a"), ("unit", "case"))
    normalise_quantities(text, entities)
    assert (entities[0]["value"], entities[0]["unit"], entities[1]["value"]) == (25, "件", "件")


def test_unit_word_the_extractor_missed_is_still_used() -> None:
    text = "add 5 cartons of Liqun"
    entities = spans(text, ("quantity", "5"))
    normalise_quantities(text, entities)
    assert (entities[0]["value"], entities[0]["unit"]) == (5, "条")


def test_quantity_without_unit_is_cartons_with_no_unit() -> None:
    text = "set Furongwang to 5"
    entities = spans(text, ("quantity", "5"))
    normalise_quantities(text, entities)
    assert (entities[0]["value"], entities[0]["unit"], entities[0]["original"]) == (5, None, "5")


def test_each_quantity_pairs_with_its_own_unit() -> None:
    text = "刚才说的两条其实是两件"
    entities = spans(text, ("quantity", "两"), ("unit", "条"), ("quantity", "两"), ("unit", "件"))
    normalise_quantities(text, entities)
    assert [e["value"] for e in entities if e["entity"] == "quantity"] == [2, 100]


def test_amounts_become_numbers_and_keep_what_was_said() -> None:
    text = "刚存了两千五 另外转了1.5万"
    entities = spans(text, ("amount", "两千五"), ("amount", "1.5万"))
    normalise_amounts(text, entities)
    assert [(e["value"], e["original"]) for e in entities] == [(2500, "两千五"), (15000, "1.5万")]


def test_time_resolves_against_the_message_time() -> None:
    text = "今天下午去了张记烟酒"
    entities = spans(text, ("time", "今天下午"), ("retailer", "张记烟酒"))
    resolve_times(text, entities, resolver=TimeResolver(), now=MESSAGE_TIME, prefer="past")
    assert (entities[0]["value"], entities[0]["grain"], entities[1]["value"]) == (
        "2026-11-24T15:00:00+08:00",
        "part_of_day",
        "张记烟酒",
    )


def test_deadline_word_outside_the_span_sets_the_relation() -> None:
    text = "提醒他周二前存款"
    entities = spans(text, ("time", "周二"))
    resolve_times(text, entities, resolver=TimeResolver(), now=MESSAGE_TIME, prefer="future")
    assert (entities[0]["value"], entities[0]["relation"]) == (
        "2026-11-24T00:00:00+08:00",
        "before",
    )


def test_english_by_before_the_span_sets_the_relation() -> None:
    text = "i'll put the money in by end of month"
    entities = spans(text, ("time", "end of month"))
    resolve_times(text, entities, resolver=TimeResolver(), now=MESSAGE_TIME, prefer="future")
    assert (entities[0]["value"], entities[0]["relation"]) == (
        "2026-11-30T00:00:00+08:00",
        "before",
    )


def test_unreadable_time_keeps_its_text_and_says_it_is_unresolved() -> None:
    text = "那会儿去的"
    entities = spans(text, ("time", "那会儿"))
    resolve_times(text, entities, resolver=TimeResolver(), now=MESSAGE_TIME, prefer="past")
    assert (entities[0]["value"], entities[0]["resolved"]) == ("那会儿", False)


def test_product_value_becomes_the_spec_and_the_words_are_kept(products: ProductResolver) -> None:
    text = "硬芙啥价"
    entities = spans(text, ("product", "硬芙"))
    resolve_products(text, entities, resolver=products)
    assert {k: entities[0][k] for k in ("value", "original", "confidence_resolution")} == {
        "value": "芙蓉王(硬)",
        "original": "硬芙",
        "confidence_resolution": 1.0,
    }


def test_bare_brand_is_marked_so_actions_can_prefer_the_spec_on_the_order(
    products: ProductResolver,
) -> None:
    text = "芙蓉王再加2条"
    entities = spans(text, ("product", "芙蓉王"))
    resolve_products(text, entities, resolver=products)
    assert (entities[0]["value"], entities[0]["bare_brand"], entities[0]["brand"]) == (
        "芙蓉王(硬)",
        True,
        "芙蓉王",
    )


def test_unknown_product_keeps_its_words_with_zero_confidence(products: ProductResolver) -> None:
    text = "茅台多少钱"
    entities = spans(text, ("product", "茅台"))
    resolve_products(text, entities, resolver=products)
    assert (entities[0]["value"], entities[0]["confidence_resolution"]) == ("茅台", 0.0)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("刚存了两千五", "两千五"),
        ("老板说明天存3000块", "3000"),
        ("I deposited 500 just now", "500"),
    ],
)
def test_a_number_in_money_words_without_a_unit_becomes_an_amount(text: str, number: str) -> None:
    entities = spans(text, ("quantity", number))
    correct_kinds(text, entities)
    assert entities[0]["entity"] == "amount"


def test_a_number_followed_by_a_unit_is_a_quantity_even_if_tagged_amount() -> None:
    text = "白沙库存二十二条"
    entities = spans(text, ("amount", "二十二"), ("unit", "条"))
    correct_kinds(text, entities)
    assert [e["entity"] for e in entities] == ["quantity", "unit"]


def test_the_last_one_is_not_one_carton() -> None:
    text = "上一条删掉 白沙改成一条"
    entities = spans(text, ("quantity", "一"), ("unit", "条"), ("quantity", "一"), ("unit", "条"))
    correct_kinds(text, entities)
    assert [(e["entity"], e["start"]) for e in entities] == [("quantity", 10), ("unit", 11)]


def test_an_ordinary_quantity_keeps_its_kind() -> None:
    text = "再来两条软中华"
    entities = spans(text, ("quantity", "两"), ("unit", "条"))
    correct_kinds(text, entities)
    assert [e["entity"] for e in entities] == ["quantity", "unit"]


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("correction, Liqun stock is 6", [("product", "Liqun"), ("{kind}", "6")]),
        ("last note: Baisha was 15 not 5", [("product", "Baisha"), ("{kind}", "15")]),
        ("stock count wrong, Hongmei is 8", [("product", "Hongmei"), ("{kind}", "8")]),
        ("张记 库存12", [("{kind}", "12")]),
    ],
)
@pytest.mark.parametrize("kind", ["quantity", "amount"])
def test_a_stock_count_is_a_quantity_whichever_kind_the_extractor_gave(
    text: str, marked: list[tuple[str, str]], kind: str
) -> None:
    entities = spans(text, *[(k.format(kind=kind), words) for k, words in marked])
    correct_kinds(text, entities)
    assert entities[-1]["entity"] == "quantity"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("remind Qiu's they're 800 short", "800"),
        ("i was overcharged by 500", "500"),
        ("is Liqun still 190 a carton", "190"),
        ("有人卖硬芙二十八一包", "二十八"),
    ],
)
def test_money_words_around_a_bare_number_make_it_an_amount(text: str, number: str) -> None:
    entities = spans(text, ("quantity", number))
    correct_kinds(text, entities)
    assert entities[0]["entity"] == "amount"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("send Chen's a funding reminder", "a"),
        ("how to spot a counterfeit pack", "a"),
        ("shops not visited for a month", "a month"),
        ("the driver came 3 hours late again", "3"),
        ("visited Zhou's today and fixed two price tags", "two"),
        ("convert 10 km to miles", "10"),
        ("Zhao's selling Furongwang at 28 a pack", "at"),
    ],
)
def test_a_span_that_counts_no_goods_is_not_a_quantity(text: str, words: str) -> None:
    entities = spans(text, ("quantity", words))
    correct_kinds(text, entities)
    assert entities == []


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("price of a case of tsingtao", [("quantity", "a"), ("unit", "case")]),
        ("the box was short a carton", [("", "short"), ("quantity", "a")]),
        ("make Shuangxi zero", [("quantity", "zero")]),
        ("Baisha 20 cartons", [("quantity", "20"), ("unit", "cartons")]),
    ],
)
def test_a_count_of_goods_stays_a_quantity(text: str, marked: list[tuple[str, str]]) -> None:
    entities = spans(text, *marked)
    correct_kinds(text, entities)
    assert [e["entity"] for e in entities] == [kind for kind, _ in marked if kind]


def test_half_before_a_is_part_of_the_quantity() -> None:
    text = "add half a case of Baisha"
    entities = spans(text, ("", "half"), ("quantity", "a"), ("unit", "case"))
    correct_kinds(text, entities)
    normalise_quantities(text, entities)
    assert (entities[0]["original"], entities[0]["value"]) == ("half a", 25)


def test_a_clock_time_tagged_as_a_quantity_becomes_a_time() -> None:
    text = "visit log Sister Li's 10am, 9 cartons in stock"
    entities = spans(text, ("quantity", "10am"), ("quantity", "9"), ("unit", "cartons"))
    correct_kinds(text, entities)
    assert [e["entity"] for e in entities] == ["time", "quantity", "unit"]


@pytest.mark.parametrize(
    ("text", "marked", "spec"),
    [
        (
            "Dahongying 50 4 cartons",
            [("product", "Dahongying"), ("quantity", "50")],
            "大红鹰(50版)",
        ),
        ("大红鹰50多少钱", [("product", "大红鹰"), ("amount", "50")], "大红鹰(50版)"),
    ],
)
def test_a_number_in_a_spec_name_joins_the_product(
    products: ProductResolver, text: str, marked: list[tuple[str, str]], spec: str
) -> None:
    entities = spans(text, *marked)
    resolve_products(text, entities, resolver=products)
    assert [(e["entity"], e["value"]) for e in entities] == [("product", spec)]


def test_a_count_after_a_product_is_not_joined_to_it(products: ProductResolver) -> None:
    text = "Liqun 8 not 3"
    entities = spans(text, ("product", "Liqun"), ("quantity", "8"), ("quantity", "3"))
    resolve_products(text, entities, resolver=products)
    assert [e["entity"] for e in entities] == ["product", "quantity", "quantity"]


def test_a_clock_time_inside_a_time_span_is_dropped_not_doubled() -> None:
    text = "Zhou's around 10am, 3 cartons left"
    entities = spans(text, ("time", "around 10am"), ("quantity", "3"))
    entities.insert(1, spans(text, ("quantity", "10am"))[0])
    correct_kinds(text, entities)
    assert [(e["entity"], _words(text, e)) for e in entities] == [
        ("time", "around 10am"),
        ("quantity", "3"),
    ]


def _words(text: str, entity: dict[str, Any]) -> str:
    return text[entity["start"] : entity["end"]]
