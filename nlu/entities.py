"""Entity post-processing: from the spans the extractor found to values the actions can use.

Each function takes a message's text and its entity dicts (Rasa's shape: ``entity``, ``start``,
``end``, ``value``, ...) and rewrites the values of one kind in place, keeping what was said in
``original``. The Rasa components in nlu/components.py are thin wrappers around these, so the
behaviour is tested here without Rasa.

Entity fields added (CONTRACT.md entity names and value types are unchanged):

- amount: ``value`` a number (两千五 -> 2500); ``original``.
- quantity: ``value`` the number of 条 (两包 -> 0.2, 1件 -> 50, 十二 -> 12); ``number`` as said
  (2), ``unit`` 条/包/件 or None when no unit was said (then 条 is assumed); ``original``.
- unit: ``value`` 条/包/件 (cartons -> 条); ``cartons_per_unit``; ``original``.
- time: ``value`` ISO 8601 in Asia/Shanghai; ``grain`` (minute, hour, part_of_day, day, week,
  month), ``from`` and ``to`` (the period, end exclusive), ``relation`` (before, after, until),
  ``recurrence`` (daily, weekly, monthly), ``resolved``; ``original``.
- product: ``value`` the catalog spec (硬芙 -> 芙蓉王(硬)); ``confidence_resolution``, ``method``,
  ``brand``, ``bare_brand``, ``resolved``; ``original``.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

from lang.numerals import parse_fraction, parse_number
from lang.products import ProductResolver
from lang.quantities import (
    CARTONS_PER_UNIT,
    canonical_unit,
    parse_quantity,
    parse_quantity_phrase,
)
from lang.times import Prefer, TimeResolver

Entity = MutableMapping[str, Any]

# What may stand between a quantity and its unit: "2 more cartons", "3 of the cases", 两个件.
_BETWEEN_QUANTITY_AND_UNIT = re.compile(r"^\s*(?:more|extra|x|of|个|多)?\s*$", re.IGNORECASE)
_UNIT_AFTER = re.compile(
    r"^\s*(?:more |extra )?"
    r"(条|包|盒|件|箱|cartons?|cartns|cartoons?|ctns?|packs?|packets?|paks|cases?)(?![a-z])",
    re.IGNORECASE,
)
_MONEY_BEFORE = re.compile(
    r"(?:(?<!库)存|转|补|充|差|欠|扣|付|交|打了?|卖|涨到|降到|标的|价|还是|[¥￥$]"
    r"|\b(?:deposit(?:ed)?|paid|pay|transferred|wired|topped up(?: with)?|short|owe|charged"
    r"|overcharged(?: by)?|took|needs?|at"
    r"|(?:price|cost|costs|balance|amount|deposit|total|bill|shortfall)\s+(?:is|was)))"
    r"\s*(?:了|进去|过去)?\s*$",
    re.IGNORECASE,
)
_MONEY_AFTER = re.compile(
    r"^\s*(?:块|元|圆|rmb|yuan|kuai|bucks|short\b|more than\b|too much\b|(?:is )?enough\b"
    r"|for (?:the )?deduction\b|[一每](?:条|包|盒|件)|(?:a|per) (?:pack|carton|case)\b)",
    re.IGNORECASE,
)
# A bare number that counts goods: "stock is 12", "库存12", or right after a product ("Baisha is
# 11", "Liqun 8 not 3").
_COUNT_BEFORE = re.compile(
    r"(?:\b(?:stock|count)\s*(?:is|was|of|:)?|库存|还剩|剩)\s*$", re.IGNORECASE
)
_AFTER_PRODUCT = re.compile(r"^\s*(?:(?:stock\s+)?(?:is|was)|:|还有|有)?\s*$", re.IGNORECASE)
# "a", "an", "half a" count goods only right before a unit: "a case", not "a week", "a pack"
# of "a genuine pack", "send Chen's a reminder".
_ARTICLE = re.compile(r"^(?:an?|half(?:\s+an?)?|an?\s+half)$", re.IGNORECASE)
# A number that counts something other than goods, or says when: "3 hours late", "two price
# tags", "10 km", "10am".
_NOT_GOODS_AFTER = re.compile(
    r"^\s*(?:(?:price\s+)?tags?|hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?|km"
    r"|kilomet(?:er|re)s?|miles?|people|persons?|customers?|times|percent|%|am\b|pm\b"
    r"|a\.m\.|p\.m\.|o'?clock|小时|分钟|公里|个人|次)(?![a-z])",
    re.IGNORECASE,
)
_HALF_BEFORE = re.compile(r"\bhalf\s+$", re.IGNORECASE)
_CLOCK = re.compile(r"^\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)$", re.IGNORECASE)
_ORDINAL_BEFORE = re.compile(r"[上下前这那每第同]\s*$")
_BEFORE_AFTER_SPAN = re.compile(r"^\s*(?:之前|以前|前|为止)")
_AFTER_AFTER_SPAN = re.compile(r"^\s*(?:以后|之后)")
_BEFORE_PREFIX = re.compile(r"(?:\bby|\bbefore|\bno later than)\s*$", re.IGNORECASE)
_UNTIL_PREFIX = re.compile(r"(?:到|直到|截至|\buntil|\btill|\btil)\s*$", re.IGNORECASE)
_AFTER_PREFIX = re.compile(r"(?:\bafter|\bfrom)\s*$", re.IGNORECASE)


def _original(text: str, entity: Entity) -> str:
    """The words of the span as the user wrote them."""
    return text[entity["start"] : entity["end"]]


def _of_kind(entities: list[Entity], kind: str) -> list[Entity]:
    return [e for e in entities if e.get("entity") == kind]


def normalise_amounts(text: str, entities: list[Entity]) -> None:
    """Amounts of money to numbers: 两千五 -> 2500, 1.5万 -> 15000, 2k -> 2000, 3000块 -> 3000."""
    for entity in _of_kind(entities, "amount"):
        original = _original(text, entity)
        entity["original"] = original
        value = parse_number(original)
        if value is not None:
            entity["value"] = value


def _unit_for(text: str, quantity: Entity, units: list[Entity]) -> tuple[str | None, int]:
    """The unit word that goes with a quantity and the offset where it ends.

    Prefer a unit entity right after the quantity; failing that (the extractor missed it),
    a unit word in the text right after it.
    """
    for unit in sorted(units, key=lambda u: int(u["start"])):
        gap = text[quantity["end"] : unit["start"]]
        if unit["start"] >= quantity["end"] and _BETWEEN_QUANTITY_AND_UNIT.match(gap):
            return _original(text, unit), int(unit["end"])
    after = _UNIT_AFTER.match(text[quantity["end"] :])
    if after:
        return after.group(1), int(quantity["end"]) + after.end()
    return None, int(quantity["end"])


def _money_context(text: str, entity: Entity) -> bool:
    """Whether the words around a number make it money (存两千, 卖二十八块, deposited 500)."""
    before, after = text[: entity["start"]], text[entity["end"] :]
    return bool(_MONEY_BEFORE.search(before) or _MONEY_AFTER.match(after))


def _count_context(text: str, entity: Entity, products: list[Entity]) -> bool:
    """Whether the words before a number make it a count of goods (stock is 12, Baisha is 11)."""
    if _COUNT_BEFORE.search(text[: entity["start"]]):
        return True
    return any(
        p["end"] <= entity["start"] and _AFTER_PRODUCT.match(text[p["end"] : entity["start"]])
        for p in products
    )


def correct_kinds(text: str, entities: list[Entity]) -> None:
    """Fix what the extractor confuses, by the words around the span.

    A number followed by a unit, or after stock words or a product name, counts goods
    (quantity); a number after 存/转/卖/deposited or before 块/元/short without a unit is money
    (amount); 上一条 / 这一条 is "the last one", not one 条. Spans stay as found; only their
    kind changes, or they are dropped.
    """
    units = _of_kind(entities, "unit")
    products = _of_kind(entities, "product")
    for entity in _of_kind(entities, "quantity") + _of_kind(entities, "amount"):
        unit_text, _ = _unit_for(text, entity, units)
        money = _money_context(text, entity)
        if entity["entity"] == "amount" and (
            unit_text is not None or (not money and _count_context(text, entity, products))
        ):
            entity["entity"] = "quantity"
        elif entity["entity"] == "quantity" and unit_text is None and money:
            entity["entity"] = "amount"
    _drop_non_counts(text, entities, units)
    ordinals = []
    for quantity in _of_kind(entities, "quantity"):
        ordinal = _ORDINAL_BEFORE.search(text[: quantity["start"]])
        unit_text, unit_end = _unit_for(text, quantity, units)
        if ordinal and _original(text, quantity) in ("一", "1") and unit_text == "条":
            ordinals.append(quantity)
            ordinals += [u for u in units if u["start"] >= quantity["end"] and u["end"] <= unit_end]
    for entity in ordinals:
        entities.remove(entity)


def _drop_non_counts(text: str, entities: list[Entity], units: list[Entity]) -> None:
    """Quantity spans that count no goods: a clock time becomes a time; an article with no unit
    after it ("a week"), a number of something else ("3 hours", "two price tags") and a span
    with no number in it are dropped."""
    for entity in _of_kind(entities, "quantity"):
        original = _original(text, entity).strip()
        half = _HALF_BEFORE.search(text[: entity["start"]])
        if (
            original.lower() in ("a", "an")
            and half
            and not _overlaps(half.start(), entity["end"], entities, entity)
        ):
            entity["start"] = half.start()  # "half a case", not "a case"
        if _CLOCK.match(original):
            if _overlaps(entity["start"], entity["end"], entities, entity):
                entities.remove(entity)  # already inside a time span ("around 10am")
            else:
                entity["entity"] = "time"
        elif (
            (_ARTICLE.match(original) and _unit_for(text, entity, units)[0] is None)
            or _NOT_GOODS_AFTER.match(text[entity["end"] :])
            or (parse_fraction(original) is None and parse_quantity_phrase(original) is None)
        ):
            entities.remove(entity)


def normalise_quantities(text: str, entities: list[Entity]) -> None:
    """Quantities to the number of 条 with the unit kept; units to 条, 包 or 件.

    三条 -> 3 (unit 条), 两包 -> 0.2 (unit 包, number 2), 半件 -> 25, 一条半 -> 1.5,
    "half a case" -> 25, a bare "5" -> 5 with unit None (orders are in 条).
    """
    units = _of_kind(entities, "unit")
    for unit in units:
        original = _original(text, unit)
        unit["original"] = original
        canonical = canonical_unit(original)
        if canonical is not None:
            unit["value"] = canonical
            unit["cartons_per_unit"] = float(CARTONS_PER_UNIT[canonical])
    for entity in _of_kind(entities, "quantity"):
        original = _original(text, entity)
        entity["original"] = original
        found = parse_quantity_phrase(original)
        if found is None:
            unit_text, unit_end = _unit_for(text, entity, units)
            found = parse_quantity(original, unit_text, trailing=text[unit_end:])
        if found is None:
            continue
        entity["value"] = found.cartons
        entity["number"] = found.number
        entity["unit"] = found.unit


def _relation(text: str, entity: Entity) -> str | None:
    """before / after / until from the words around a time span (周二[前], by [Friday])."""
    after, before = text[entity["end"] :], text[: entity["start"]]
    if _BEFORE_AFTER_SPAN.match(after) or _BEFORE_PREFIX.search(before):
        return "before"
    if _UNTIL_PREFIX.search(before):
        return "until"
    if _AFTER_AFTER_SPAN.match(after) or _AFTER_PREFIX.search(before):
        return "after"
    return None


def resolve_times(
    text: str,
    entities: list[Entity],
    *,
    resolver: TimeResolver,
    now: datetime | None,
    prefer: Prefer,
) -> None:
    """Time spans to ISO 8601 in Asia/Shanghai relative to ``now`` (the message time)."""
    for entity in _of_kind(entities, "time"):
        original = _original(text, entity)
        entity["original"] = original
        resolved = resolver.resolve(original, now=now, prefer=prefer)
        entity["resolved"] = resolved is not None
        if resolved is None:
            continue
        entity.update(resolved.as_dict())
        entity["relation"] = resolved.relation or _relation(text, entity)


def resolve_products(text: str, entities: list[Entity], *, resolver: ProductResolver) -> None:
    """Product spans to catalog spec names with a confidence; unknown ones keep their text."""
    _absorb_spec_numbers(text, entities, resolver)
    for entity in _of_kind(entities, "product"):
        original = _original(text, entity)
        entity["original"] = original
        match = resolver.resolve(original)
        entity["resolved"] = match is not None
        if match is None:
            entity["value"] = original
            entity["confidence_resolution"] = 0.0
            continue
        entity["value"] = match.spec
        entity["confidence_resolution"] = match.confidence
        entity["method"] = match.method
        entity["brand"] = match.brand
        entity["bare_brand"] = match.bare_brand


def _overlaps(start: int, end: int, entities: list[Entity], *besides: Entity) -> bool:
    """Whether ``start``-``end`` overlaps a span other than ``besides`` (Rasa forbids overlaps)."""
    return any(
        all(other is not b for b in besides) and other["start"] < end and start < other["end"]
        for other in entities
    )


def _absorb_spec_numbers(text: str, entities: list[Entity], resolver: ProductResolver) -> None:
    """A number that is part of a spec name joins the product: "Dahongying 50" is 大红鹰(50版),
    not Dahongying and 50 cartons. Only when the joined words are a catalog name."""
    for product in _of_kind(entities, "product"):
        for number in _of_kind(entities, "quantity") + _of_kind(entities, "amount"):
            first, second = sorted((product, number), key=lambda e: int(e["start"]))
            if text[first["end"] : second["start"]].strip():
                continue
            start, end = int(first["start"]), int(second["end"])
            if resolver.is_spec_name(text[start:end]) and not _overlaps(
                start, end, entities, product, number
            ):
                product["start"], product["end"] = start, end
                product["value"] = _original(text, product)
                entities.remove(number)
                break
