"""The fast intent cross-validation script (scripts/rasa_venv/intent_cv.py): what it reads."""

from __future__ import annotations

from scripts.rasa_venv.intent_cv import (
    fold_numbers,
    load_examples,
    lookup_tables,
    only_existing,
    paired_folds,
    plain_text,
    production_c,
)


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


def test_the_examples_of_a_commit_are_read_from_git() -> None:
    at_head = load_examples("zh", "HEAD")
    assert len(at_head) > 1000
    assert {"ask_price", "order_change", "out_of_scope"} <= {i for _, i in at_head}


def test_only_the_examples_already_there_are_scored() -> None:
    examples = [("利群多少钱", "ask_price"), ("那利群呢", "follow_up"), ("你好", "greet")]
    predicted = ["ask_price", "ask_price", "follow_up"]
    old, guesses = only_existing(
        examples, predicted, [("利群多少钱", "ask_price"), ("你好", "greet")]
    )
    assert old == [("利群多少钱", "ask_price"), ("你好", "greet")]
    assert guesses == ["ask_price", "follow_up"]


def test_paired_folds_keep_each_old_example_in_its_fold() -> None:
    old = [(f"旧{i}", "ask_price" if i % 2 else "greet") for i in range(20)]
    new = old[:5] + [(f"新{i}", "follow_up") for i in range(10)] + old[5:]
    before = dict(zip(old, fold_numbers(old, folds=5, seed=7), strict=True))
    after = paired_folds(new, old, folds=5, seed=7)
    assert all(after[i] == before[e] for i, e in enumerate(new) if e in before)
    added = [after[i] for i, e in enumerate(new) if e not in before]
    assert sorted(added) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]  # spread evenly


def test_the_folds_use_the_c_of_the_model_in_use() -> None:
    assert production_c() == 300.0  # config.yml, LinearIntentClassifier
