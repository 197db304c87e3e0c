"""The fast intent cross-validation script (scripts/rasa_venv/intent_cv.py): what it reads."""

from __future__ import annotations

from scripts.rasa_venv.intent_cv import load_examples, lookup_tables, plain_text


def test_annotations_are_stripped_to_the_words_a_user_types() -> None:
    assert plain_text("加[两](quantity)[条](unit)[硬芙](product)") == "加两条硬芙"
    assert plain_text("[Zhang's](retailer) [today](time)") == "Zhang's today"


def test_examples_carry_their_intent_and_no_markup() -> None:
    examples = load_examples("en")
    assert len(examples) > 1000
    assert not [text for text, _ in examples if "](" in text]
    assert {"ask_price", "order_change", "visit_note", "out_of_scope"} <= {i for _, i in examples}


def test_the_lookup_tables_hold_products_and_shops() -> None:
    tables = lookup_tables()
    assert {"硬芙", "Liqun"} <= set(tables["product"])
    assert "张记烟酒" in tables["retailer"]
