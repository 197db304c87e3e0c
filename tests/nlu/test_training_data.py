"""The NLU training data: every contract intent in both languages, annotations that resolve.

The annotation conventions are enforced here so new examples keep them: every product span
names a catalog product (or a typo of one), every quantity and amount is a number, every unit
is 条/包/件 in some spelling, and every time span resolves.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from lang.numerals import parse_number
from lang.products import ProductResolver
from lang.quantities import canonical_unit
from lang.times import TimeResolver
from tests.lang.time_table import MESSAGE_TIME

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")
MINIMUM = {"zh": 40, "en": 20}
# CONTRACT.md's intents; the domain also has button-payload intents that are never typed.
CONTRACT_INTENTS = [
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "help",
    "out_of_scope",
    "set_language",
    "ask_price",
    "ask_policy",
    "order_show",
    "order_change",
    "order_repeat_last",
    "settlement_status",
    "payment_notice",
    "reminder_prefs",
    "contact_manager",
    "complaint",
    "visit_note",
    "visit_note_amend",
    "visit_history",
    "visit_plan",
    "retailer_status",
    "remind_shortfalls",
]


def _examples(language: str) -> dict[str, list[str]]:
    """Intent -> example lines of one language."""
    examples: dict[str, list[str]] = {}
    for path in sorted((ROOT / "data" / "nlu" / language).glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in block:
                lines = [line[2:] for line in block["examples"].splitlines() if line.strip()]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


def _spans(kind: str) -> list[str]:
    return [
        words
        for language in MINIMUM
        for lines in _examples(language).values()
        for line in lines
        for words, found in ANNOTATION.findall(line)
        if found == kind
    ]


@pytest.mark.parametrize("language", sorted(MINIMUM))
def test_every_intent_has_enough_examples(language: str) -> None:
    counts = {intent: len(lines) for intent, lines in _examples(language).items()}
    short = {i: counts.get(i, 0) for i in CONTRACT_INTENTS if counts.get(i, 0) < MINIMUM[language]}
    assert short == {}


@pytest.mark.parametrize("language", sorted(MINIMUM))
def test_no_example_is_listed_twice(language: str) -> None:
    """Also not with other annotations or case: a copy in another fold inflates the CV figures."""
    lines = [
        ANNOTATION.sub(r"\1", line).strip().lower()
        for lines in _examples(language).values()
        for line in lines
    ]
    assert [line for line, n in Counter(lines).items() if n > 1] == []


def test_every_product_annotation_resolves_to_a_catalog_spec() -> None:
    table = json.loads((ROOT / "data" / "lookup" / "products.json").read_text(encoding="utf-8"))
    resolver = ProductResolver(table["products"])
    assert sorted({words for words in _spans("product") if resolver.resolve(words) is None}) == []


@pytest.mark.parametrize("kind", ["quantity", "amount"])
def test_every_quantity_and_amount_annotation_is_a_number(kind: str) -> None:
    assert sorted({words for words in _spans(kind) if parse_number(words) is None}) == []


def test_every_unit_annotation_is_a_known_unit() -> None:
    assert sorted({words for words in _spans("unit") if canonical_unit(words) is None}) == []


def test_every_time_annotation_resolves() -> None:
    resolver = TimeResolver()
    unresolved = {w for w in _spans("time") if resolver.resolve(w, now=MESSAGE_TIME) is None}
    assert sorted(unresolved) == []
