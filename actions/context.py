"""What the conversation is about, kept in slots so that elliptical follow-ups work.

People do not repeat themselves: after 中华多少钱 they ask 那利群呢, after 利群改成3条 they say
不对,改成4条, after "visits last week" a manager asks "and this week?". The actions that answer
a question or show a plan remember its topic, products, period and shop here (``SlotSet``
events on their reply); the follow-up action and the elliptical order change read them back.

Slots (domain.yml, all text, ``influence_conversation: false``: they steer the actions, not the
dialogue policy):

- ``context_topic``: what was last asked about (one of :data:`TOPICS`);
- ``context_products``: the catalog specs it was about, ``|``-separated (specs are stable
  names, readable in a tracker dump, and never contain ``|``);
- ``context_period``: the days last asked about, ``YYYY-MM-DD/YYYY-MM-DD`` (both inclusive);
- ``context_shop``: the retailer code a manager last asked about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.base import Turn
from lang.follow_ups import Variant, pick_variant
from retail.catalog import load_catalog
from retail.models import Product, Retailer

TOPIC_SLOT = "context_topic"
PRODUCTS_SLOT = "context_products"
PERIOD_SLOT = "context_period"
SHOP_SLOT = "context_shop"

PRICE = "price"
ORDER_SHOW = "order_show"
ORDER_CHANGE = "order_change"
SETTLEMENT = "settlement"
POLICY = "policy"
VISIT_HISTORY = "visit_history"
RETAILER_STATUS = "retailer_status"
TOPICS = (PRICE, ORDER_SHOW, ORDER_CHANGE, SETTLEMENT, POLICY, VISIT_HISTORY, RETAILER_STATUS)

_SEPARATOR = "|"


@dataclass(frozen=True)
class Context:
    """The conversation's subject as the slots hold it (empty values when nothing is known)."""

    topic: str | None = None
    products: tuple[str, ...] = ()
    period: tuple[date, date] | None = None
    shop: str | None = None


def _period(raw: Any) -> tuple[date, date] | None:
    """``YYYY-MM-DD/YYYY-MM-DD`` back to its days; None for anything else."""
    try:
        start, end = str(raw).split("/")
        return date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        return None


def context_of(tracker: Tracker) -> Context:
    """The context the earlier turns left in the slots."""
    topic = tracker.get_slot(TOPIC_SLOT)
    products = str(tracker.get_slot(PRODUCTS_SLOT) or "")
    shop = tracker.get_slot(SHOP_SLOT)
    return Context(
        topic=str(topic) if topic in TOPICS else None,
        products=tuple(spec for spec in products.split(_SEPARATOR) if spec),
        period=_period(tracker.get_slot(PERIOD_SLOT)) if tracker.get_slot(PERIOD_SLOT) else None,
        shop=str(shop) if shop else None,
    )


def remember(
    topic: str,
    *,
    products: Iterable[str] | None = None,
    period: tuple[date, date] | None = None,
    shop: str | None = None,
) -> list[dict[str, Any]]:
    """The slot events that make ``topic`` (and, when given, its products, period and shop)
    what the conversation is about. What is not given keeps its earlier value: 看看订单 after
    利群多少钱 is still about 利群 for a following 改成3条."""
    events = [SlotSet(TOPIC_SLOT, topic)]
    if products is not None:
        specs = list(dict.fromkeys(products))
        events.append(SlotSet(PRODUCTS_SLOT, _SEPARATOR.join(specs) or None))
    if period is not None:
        events.append(SlotSet(PERIOD_SLOT, f"{period[0].isoformat()}/{period[1].isoformat()}"))
    if shop is not None:
        events.append(SlotSet(SHOP_SLOT, shop))
    return events


def context_products(turn: Turn) -> list[Product]:
    """The catalog products the conversation is about, in the order they were named."""
    specs = context_of(turn.tracker).products
    if not specs:
        return []
    by_spec = {product.spec: product for product in load_catalog(turn.session)}
    return [by_spec[spec] for spec in specs if spec in by_spec]


def context_shop(turn: Turn) -> Retailer | None:
    """The shop a manager last asked about, if still known."""
    code = context_of(turn.tracker).shop
    if not code:
        return None
    return turn.session.scalar(select(Retailer).where(Retailer.code == code))


def variants_of(turn: Turn, product: Product, variant: Variant) -> list[Product]:
    """The specs of ``product``'s brand that are of ``variant`` (换成软的: 中华(硬) ->
    中华(软)), other than ``product`` itself. Several mean the user must say which."""
    brand = [p for p in load_catalog(turn.session) if p.brand == product.brand]
    picked = pick_variant(product.spec, [(p.spec, p.name_en) for p in brand], variant)
    return [p for p in brand if p.spec in picked]


def product_names(turn: Turn, products: Sequence[Product]) -> str:
    """Products named as a user reads them (spec; English name with the spec in English)."""
    separator = ", " if turn.language == "en" else "、"
    return separator.join(
        f"{p.name_en} ({p.spec})" if turn.language == "en" and p.name_en else p.spec
        for p in products
    )
