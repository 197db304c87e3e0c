"""Follow-up questions: 那利群呢, 上周呢, 那硬中华呢, "and Liqun?", "what about last week?".

A follow-up keeps the question and changes one thing: the product, the period, the shop or
the pack variant (换成软的, "how about the soft one?"). ``action_follow_up`` reads what changed
and asks the last topic again (actions/context.py keeps the topic):

- price: the price of the new product (or the soft/hard variant of the one in context);
- order (shown or changed): the new product's line on this week's order, so that a following
  改成4条 applies to it; a variant while a change waits for confirmation moves that change to
  the variant (as 换成软的 does); another week is answered with what can be done (only this
  week's order can be shown or changed);
- settlement: the position is always the latest one, said as such, with the status;
- policy: the earlier policy question asked again about the new product;
- a manager's visit history: the visits of the new period or the last visit to the new shop;
  a typed question (stock-outs, suspected fakes, follow-ups due, shops not visited) keeps its
  kind and looks back to the start of the new period (or ahead to its end, for follow-ups);
- a manager's shop status: the status of the new shop.

With no topic in context, or nothing in the message that fits the topic, the user is asked
politely what they mean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from actions.base import Reply, RetailAction, Turn
from actions.context import (
    ORDER_CHANGE,
    ORDER_SHOW,
    POLICY,
    PRICE,
    RETAILER_STATUS,
    SETTLEMENT,
    VISIT_HISTORY,
    Context,
    context_of,
    context_products,
    context_shop,
    product_names,
    remember,
    variants_of,
)
from actions.conversation import is_payload, user_text
from actions.orders import PLAN_SLOT, ActionOrderChange, cartons, product_label
from actions.policy import ActionPolicy
from actions.prices import ActionPrice
from actions.settlement import render_status
from actions.visits import (
    ActionRetailerStatus,
    ActionVisitHistory,
    _shops,
    _times,
    render_follow_ups,
    sent_at,
)
from lang.follow_ups import Variant, read_variant
from lang.order_changes import EllipticalChange
from lang.times import TimeResolver, TimeValue, to_shanghai
from lang.visit_queries import (
    COUNTERFEITS,
    FOLLOW_UPS,
    NOT_VISITED,
    STOCK_OUTS,
    days_said,
    period_days,
    read_history_query,
)
from retail.catalog import PriceQuestion, resolve_products
from retail.errors import RecordNotFound
from retail.i18n import format_money
from retail.models import Product
from retail.orders import ordered_product_ids, show_order
from retail.settlement import settlement_status
from retail.visits import require_manager

_TIMES = TimeResolver()
VISIT_HISTORY_INTENT = "visit_history"
"""The NLU intent of a manager's visit question (data/nlu/*/visits.yml)."""
_TYPED_KINDS = (NOT_VISITED, FOLLOW_UPS, STOCK_OUTS, COUNTERFEITS)


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up changes: the products it names (``named``) or the variant of the one
    in context it asks for, the period it names, and the shops (for managers)."""

    products: list[Product] = field(default_factory=list)
    named: bool = False
    variant: Variant | None = None
    period: TimeValue | None = None
    shops: tuple[int, ...] = ()


def read_follow_up(turn: Turn, text: str) -> FollowUp:
    """The follow-up's products (lang.products over the catalog, the NLU's product entity when
    the text names none), pack variant, period (the NLU's time entity; lang.times over the text,
    in the past, when it found none) and shops."""
    prefer = ordered_product_ids(turn.session, turn.principal, clock=turn.clock)
    matches = resolve_products(turn.session, text, prefer=prefer)
    hint = turn.entity("product")
    if not matches and hint:
        matches = resolve_products(turn.session, hint, prefer=prefer)
    found = _times(turn)
    period = found[0][1] if found else _TIMES.resolve(text, now=sent_at(turn), prefer="past")
    shops = _shops(turn, text) if turn.principal.is_manager else ()
    return FollowUp(
        products=[match.product for match in matches],
        named=bool(matches),
        variant=read_variant(text),
        period=period,
        shops=shops,
    )


def _unclear(turn: Turn) -> Reply:
    return Reply(texts=[turn.t("context.follow_up.unclear")])


def _not_yet(turn: Turn) -> Reply:
    """下周呢 after a visits question: that period has no visits yet."""
    return Reply(texts=[turn.t("context.follow_up.future_visits")])


class ActionFollowUp(RetailAction):
    """Ask the conversation's last topic again with what the follow-up changed."""

    action_name = "action_follow_up"

    def respond(self, turn: Turn) -> Reply:
        context = context_of(turn.tracker)
        if context.topic is None:
            return Reply(texts=[turn.t("context.follow_up.no_topic")])
        asked = read_follow_up(turn, user_text(turn))
        handlers: dict[str, Callable[[Turn, FollowUp, Context], Reply]] = {
            PRICE: self._price,
            ORDER_SHOW: self._order,
            ORDER_CHANGE: self._order,
            SETTLEMENT: self._settlement,
            POLICY: self._policy,
            VISIT_HISTORY: self._visits,
            RETAILER_STATUS: self._retailer,
        }
        if asked.variant is not None and not asked.named:
            if context.topic == ORDER_CHANGE and turn.tracker.get_slot(PLAN_SLOT):
                change = EllipticalChange("set", None, "carton", asked.variant)
                return ActionOrderChange().correct(turn, change)
            swapped = self._swap(turn, asked.variant)
            if isinstance(swapped, Reply):
                return swapped
            asked = FollowUp(swapped, False, asked.variant, asked.period, asked.shops)
        return handlers[context.topic](turn, asked, context)

    @staticmethod
    def _swap(turn: Turn, variant: Variant) -> list[Product] | Reply:
        """The ``variant`` spec of the one product in context (那软的呢 after 硬中华多少钱), or
        the reply that asks which one when that is not clear."""
        products = context_products(turn)
        if len(products) != 1:
            return Reply(texts=[turn.t("context.which_product")])
        options = variants_of(turn, products[0], variant)
        if len(options) == 1:
            return options
        key = "context.no_variant" if not options else "context.which_variant"
        return Reply(
            texts=[
                turn.t(
                    key,
                    product=product_names(turn, products),
                    variant=turn.t(f"context.variant.{variant}"),
                    options=product_names(turn, options),
                )
            ]
        )

    @staticmethod
    def _price(turn: Turn, asked: FollowUp, context: Context) -> Reply:
        if not asked.products:
            key = "context.follow_up.price_now" if asked.period else "context.follow_up.unclear"
            return Reply(texts=[turn.t(key)])
        kind = "compare" if len(asked.products) > 1 else "single"
        reply = ActionPrice().answer(turn, PriceQuestion(kind, products=asked.products), "")
        reply.events.extend(remember(PRICE, products=[p.spec for p in asked.products]))
        return reply

    @staticmethod
    def _order(turn: Turn, asked: FollowUp, context: Context) -> Reply:
        """那利群呢 about the order: that product's line this week (a retailer then says 改成4条
        about it); another week: only this week's order is shown here."""
        if not asked.products:
            key = "context.follow_up.order_period" if asked.period else "context.follow_up.unclear"
            return Reply(texts=[turn.t(key)])
        try:
            view = show_order(turn.session, turn.principal, clock=turn.clock)
        except RecordNotFound:
            return Reply(texts=[turn.t("order.none")])
        lines = {line.product_id: line for line in view.lines}
        texts = []
        for product in asked.products:
            label = product_label(turn, product.spec, product.name_en)
            line = lines.get(product.id)
            if line is None:
                texts.append(turn.t("context.follow_up.not_on_order", product=label))
                continue
            texts.append(
                turn.t(
                    "context.follow_up.order_line",
                    product=label,
                    quantity=cartons(turn, line.quantity),
                    price=format_money(line.unit_price),
                    total=format_money(line.line_total),
                )
            )
        if view.state == "open":
            texts.append(turn.t("context.follow_up.order_hint"))
        specs = [p.spec for p in asked.products]
        return Reply(
            texts=["\n".join(texts)], events=remember(context.topic or ORDER_SHOW, products=specs)
        )

    @staticmethod
    def _settlement(turn: Turn, asked: FollowUp, context: Context) -> Reply:
        """上周呢 about the account: the bank's latest position is the only one there is."""
        if asked.period is None:
            return _unclear(turn)
        status = settlement_status(turn.session, turn.principal, clock=turn.clock)
        return Reply(
            texts=[turn.t("context.follow_up.settlement_now"), render_status(turn, status)],
            events=remember(SETTLEMENT),
        )

    @staticmethod
    def _policy(turn: Turn, asked: FollowUp, context: Context) -> Reply:
        """那利群呢 about a policy: the earlier question, about the new product."""
        question = _last_question(turn, "ask_policy")
        if not asked.products or question is None:
            return _unclear(turn)
        named = resolve_products(turn.session, question)
        new_name = asked.products[0].spec
        if named:
            first = named[0]
            question = question[: first.start] + new_name + question[first.end :]
        else:
            question = f"{question} {new_name}"
        reply = ActionPolicy().answer(turn, question)
        reply.events.extend(remember(POLICY, products=[p.spec for p in asked.products]))
        return reply

    @staticmethod
    def _visits(turn: Turn, asked: FollowUp, context: Context) -> Reply:
        """About visits: 上周呢 after a typed question (上个月哪些店断货了) asks it again for the
        new period; else it lists the new period's visits (of the shop in context, when the
        last question was about one shop), 那李姐呢 that shop's visits in the period in context,
        or its last visit when no period is."""
        kind = None if asked.shops else _earlier_kind(turn)
        if kind is not None:
            return _typed_visits(turn, kind, asked)
        shop = context_shop(turn)
        shops = asked.shops or ((shop.id,) if shop is not None and asked.period else ())
        days = context.period
        if asked.period is not None:
            days = period_days(asked.period, to_shanghai(sent_at(turn)).date())
            if days is None:
                return _not_yet(turn)
        if shops and days is not None:
            return ActionVisitHistory().shop_visits(turn, shops, *days)
        if not shops and asked.period is None:
            return _unclear(turn)
        return ActionVisitHistory().answer(turn, user_text(turn), period=asked.period)

    @staticmethod
    def _retailer(turn: Turn, asked: FollowUp, context: Context) -> Reply:
        if not asked.shops:
            return _unclear(turn)
        return ActionRetailerStatus().answer(turn, asked.shops)


def _last_question(turn: Turn, intent: str) -> str | None:
    """The text of the user's latest earlier message classified as ``intent`` and typed (a
    tapped button's payload is no question to ask again)."""
    users = [e for e in turn.tracker.events if e.get("event") == "user"]
    for event in reversed(users[:-1]):
        parse = event.get("parse_data") or {}
        text = str(event.get("text") or "").strip()
        if (parse.get("intent") or {}).get("name") == intent and text and not is_payload(text):
            return text
    return None


def _earlier_kind(turn: Turn) -> str | None:
    """The kind of the manager's earlier visit question when it was a typed one (stock-outs,
    suspected fakes, follow-ups due, shops not visited) and the conversation has not moved to
    a shop since (那李姐呢 after it makes a following 上周呢 about 李姐's visits); else None."""
    users = [e for e in turn.tracker.events if e.get("event") == "user"]
    for event in reversed(users[:-1]):
        text = str(event.get("text") or "").strip()
        if not text or is_payload(text):
            continue
        names_shop = bool(_shops(turn, text, entities=False))
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == VISIT_HISTORY_INTENT:
            kind = read_history_query(text, now=sent_at(turn), names_shop=names_shop).kind
            return kind if kind in _TYPED_KINDS else None
        if names_shop:
            return None
    return None


def _typed_days(kind: str, asked: FollowUp, text: str, now: datetime) -> int | None:
    """The day count a typed visit question takes for the follow-up's period: the span it
    says (两周呢), else back to the period's first day (上周呢 on a Tuesday: 9 days), or, for
    follow-ups due, ahead to its last day. None when the period does not fit the kind (下周呢
    about stock-outs) or the follow-up names none."""
    said = days_said(text)
    if said is not None:
        return said
    if asked.period is None:
        return None
    period, today = asked.period, to_shanghai(now).date()
    if kind == FOLLOW_UPS:
        end = period.end - timedelta(microseconds=1) if period.end > period.start else period.end
        return max((to_shanghai(end).date() - today).days, 0)
    first = to_shanghai(period.start).date()
    if first > today:
        return None
    return (today - first).days + 1


def _typed_visits(turn: Turn, kind: str, asked: FollowUp) -> Reply:
    """The typed visit question asked again over the follow-up's period, as
    ActionVisitHistory answers it: stock-outs and fakes over the period's days (上周呢: last
    Monday to Sunday), the others a number of days back, or ahead."""
    require_manager(turn.principal)
    text, now = user_text(turn), sent_at(turn)
    if kind in (STOCK_OUTS, COUNTERFEITS) and days_said(text) is None and asked.period:
        span = period_days(asked.period, to_shanghai(now).date())
        if span is None:
            return _not_yet(turn)
        answer = ActionVisitHistory.sightings(turn, kind, None, span=span)
        return Reply(texts=[answer], events=remember(VISIT_HISTORY))
    days = _typed_days(kind, asked, text, now)
    if days is None:
        return _unclear(turn)
    if kind == NOT_VISITED:
        answer = ActionVisitHistory.not_visited(turn, days)
    elif kind == FOLLOW_UPS:
        answer = render_follow_ups(turn, days)
    else:
        answer = ActionVisitHistory.sightings(turn, kind, days)
    return Reply(texts=[answer], events=remember(VISIT_HISTORY))
