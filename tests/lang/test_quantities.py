"""Quantities with units, normalised to 条 (lang/quantities.py)."""

from __future__ import annotations

import pytest

from lang.quantities import Quantity, canonical_unit, parse_quantity, parse_quantity_phrase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三条", Quantity(number=3, unit="条", cartons=3)),
        ("十二条", Quantity(number=12, unit="条", cartons=12)),
        ("两包", Quantity(number=2, unit="包", cartons=0.2)),
        ("7包", Quantity(number=7, unit="包", cartons=0.7)),
        ("1件", Quantity(number=1, unit="件", cartons=50)),
        ("半件", Quantity(number=0.5, unit="件", cartons=25)),
        ("一条半", Quantity(number=1.5, unit="条", cartons=1.5)),
        ("两盒", Quantity(number=2, unit="包", cartons=0.2)),
        ("一箱", Quantity(number=1, unit="件", cartons=50)),
        ("5 cartons", Quantity(number=5, unit="条", cartons=5)),
        ("a carton", Quantity(number=1, unit="条", cartons=1)),
        ("2 packs", Quantity(number=2, unit="包", cartons=0.2)),
        ("half a case", Quantity(number=0.5, unit="件", cartons=25)),
        ("two cases", Quantity(number=2, unit="件", cartons=100)),
    ],
)
def test_phrase_is_normalised_to_cartons_with_unit_kept(text: str, expected: Quantity) -> None:
    assert parse_quantity_phrase(text) == expected


def test_phrase_with_a_counter_that_is_no_unit_is_not_a_quantity() -> None:
    assert parse_quantity_phrase("三张") is None


def test_quantity_without_unit_counts_as_cartons_and_says_no_unit() -> None:
    assert parse_quantity("5", None) == Quantity(number=5, unit=None, cartons=5)


def test_half_after_the_unit_adds_half_a_unit() -> None:
    assert parse_quantity("一", "条", trailing="半 白沙") == Quantity(
        number=1.5, unit="条", cartons=1.5
    )


@pytest.mark.parametrize(
    ("word", "unit"),
    [
        ("条", "条"),
        ("cartons", "条"),
        ("Carton", "条"),
        ("pack", "包"),
        ("盒", "包"),
        ("cases", "件"),
    ],
)
def test_unit_words_of_both_languages_map_to_chinese_units(word: str, unit: str) -> None:
    assert canonical_unit(word) == unit
