"""Quantities with their unit, normalised to 条 (cartons), the unit orders are placed in.

1 条 (carton) = 10 包 (packs); 1 件 (case) = 50 条. A retailer says 三条, 两包, 1件, 半件,
一条半, "5 cartons" or "half a case"; the assistant orders in 条 but must not forget what was said
(a manager counting 七包 loose packs means packs). :func:`parse_quantity` turns the words of a
quantity and its unit into a :class:`Quantity` with both. No Rasa import: tested in the app venv.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from lang.numerals import Number, as_number, parse_fraction

CARTON = "条"
PACK = "包"
CASE = "件"
# Cartons per unit. 盒 is a pack and 箱 a case in tobacco trade talk.
CARTONS_PER_UNIT: dict[str, Fraction] = {
    CARTON: Fraction(1),
    PACK: Fraction(1, 10),
    CASE: Fraction(50),
}
_UNIT_WORDS: dict[str, str] = {
    "条": CARTON,
    "包": PACK,
    "盒": PACK,
    "件": CASE,
    "箱": CASE,
    "carton": CARTON,
    "cartons": CARTON,
    "ctn": CARTON,
    "ctns": CARTON,
    "cart": CARTON,
    "cartns": CARTON,
    "cartoon": CARTON,
    "cartoons": CARTON,
    "pack": PACK,
    "packs": PACK,
    "packet": PACK,
    "packets": PACK,
    "pk": PACK,
    "pks": PACK,
    "pkt": PACK,
    "paks": PACK,
    "case": CASE,
    "cases": CASE,
}
_PHRASE = re.compile(
    r"^(?P<number>.+?)\s*(?:of\s+)?(?P<unit>条|包|盒|件|箱|[a-z]+)(?P<half>半)?$",
)


@dataclass(frozen=True)
class Quantity:
    """A quantity as said (``number`` ``unit``) and the same in cartons.

    ``unit`` is the canonical unit (条, 包 or 件) or None when none was said, in which case
    ``cartons`` assumes 条 (orders are in cartons).
    """

    number: Number
    unit: str | None
    cartons: Number

    @property
    def unit_or_default(self) -> str:
        """The unit said, or 条 when none was."""
        return self.unit or CARTON


def canonical_unit(text: str) -> str | None:
    """条, 包 or 件 for a unit word in either language (cartons -> 条, 盒 -> 包), else None."""
    word = unicodedata.normalize("NFKC", text).strip().lower().rstrip(".")
    return _UNIT_WORDS.get(word)


def quantity(number: Fraction, unit: str | None) -> Quantity:
    """A :class:`Quantity` of ``number`` ``unit`` (canonical or None), converted to cartons."""
    factor = CARTONS_PER_UNIT[unit] if unit else Fraction(1)
    return Quantity(number=as_number(number), unit=unit, cartons=as_number(number * factor))


def parse_quantity(
    number_text: str, unit_text: str | None = None, *, trailing: str = ""
) -> Quantity | None:
    """The quantity of a number word and an optional unit word; None if the number is unreadable.

    ``trailing`` is the text right after the unit: 一条半 is annotated as 一 + 条 with 半 after
    it, and means one and a half cartons.
    """
    number = parse_fraction(number_text)
    if number is None:
        return None
    unit = canonical_unit(unit_text) if unit_text else None
    if unit and trailing.lstrip().startswith("半") and number == int(number):
        number += Fraction(1, 2)
    return quantity(number, unit)


def parse_quantity_phrase(text: str) -> Quantity | None:
    """A whole phrase such as 三条, 两包, 1件, 半件, 一条半, "5 cartons", "half a case"."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    match = _PHRASE.match(cleaned)
    if match is None or canonical_unit(match.group("unit")) is None:
        return None
    return parse_quantity(
        match.group("number"), match.group("unit"), trailing=match.group("half") or ""
    )
