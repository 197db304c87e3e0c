"""Price questions: one product, a comparison, a brand's or a price tier's list.

Figures are wholesale per 条, suggested retail per 包 and per 条, and the margin; a limited
product shows the asking retailer's own quota, a discontinued one its replacement (with the
replacement's price). :func:`read_price_question` decides which answer fits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from actions.base import Reply, RetailAction, Turn
from actions.context import PRICE, remember
from actions.conversation import user_text
from lang.price_questions import read_price_words
from retail.catalog import (
    PriceQuestion,
    PriceQuote,
    brand_price_list,
    compare_margins,
    pack_price_list,
    price_question,
    quote_price,
    quotes_for,
    resolve_products,
    tier_price_list,
)
from retail.errors import ProductNotFound
from retail.i18n import format_money, format_percent
from retail.orders import ordered_product_ids


def read_price_question(
    session: Session, text: str, *, prefer: Sequence[int] = (), product_hint: str | None = None
) -> PriceQuestion:
    """What a price message asks for: the products it names (or the NLU's product entity,
    when the text names none the catalog knows) and its list, tier and pack-price words."""
    matches = resolve_products(session, text, prefer=prefer)
    if not matches and product_hint:
        matches = resolve_products(session, product_hint, prefer=prefer)
    words = read_price_words(text)
    return price_question(
        matches,
        wants_list=words.wants_list,
        names_series=words.names_series,
        tiers=words.tiers,
        pack_price=words.pack_price,
    )


def _spec(turn: Turn, quote: PriceQuote) -> str:
    return f"{quote.name_en} ({quote.spec})" if turn.language == "en" else quote.spec


def render_quote(turn: Turn, quote: PriceQuote) -> str:
    """The price answer for one product, in the turn's language."""
    english = turn.language == "en"
    spec = _spec(turn, quote)
    lines = [
        turn.t(
            "price.quote",
            spec=spec,
            wholesale=format_money(quote.wholesale_per_carton),
            retail_pack=format_money(quote.retail_per_pack),
            retail_carton=format_money(quote.retail_per_carton),
            margin=format_money(quote.margin_per_carton),
            margin_rate=format_percent(quote.margin_rate),
        )
    ]
    if quote.status == "discontinued":
        if quote.replacement_spec:
            replacement = quote.replacement_name_en if english else quote.replacement_spec
            lines.append(turn.t("price.discontinued", spec=spec, replacement=replacement))
        else:
            lines.append(turn.t("price.discontinued_no_replacement", spec=spec))
    elif quote.status == "limited":
        if quote.quota is not None:
            lines.append(turn.t("price.limited", star=quote.star_level, quota=quote.quota))
        else:
            lines.append(turn.t("price.limited_general"))
    if quote.status != "discontinued" and quote.stock_cartons <= 0:
        lines.append(turn.t("price.out_of_stock"))
    return "\n".join(lines)


def _note(turn: Turn, quote: PriceQuote) -> str:
    """A short status note for a list line: limited (with quota) or discontinued."""
    if quote.status == "discontinued":
        return turn.t("price_list.note_discontinued")
    if quote.status == "limited":
        if quote.quota is not None:
            return turn.t("price_list.note_quota", quota=quote.quota)
        return turn.t("price_list.note_limited")
    return ""


def render_list_item(turn: Turn, quote: PriceQuote) -> str:
    """One line of a price list."""
    return turn.t(
        "price_list.item",
        spec=_spec(turn, quote),
        wholesale=format_money(quote.wholesale_per_carton),
        retail_pack=format_money(quote.retail_per_pack),
        margin=format_money(quote.margin_per_carton),
        note=_note(turn, quote),
    )


def render_comparison(turn: Turn, quotes: list[PriceQuote]) -> str:
    """Products side by side, highest margin per 条 first, with which earns most."""
    lines = [turn.t("price_list.compare_header")]
    for quote in quotes:
        lines.append(
            turn.t(
                "price_list.compare_item",
                spec=_spec(turn, quote),
                wholesale=format_money(quote.wholesale_per_carton),
                retail_pack=format_money(quote.retail_per_pack),
                margin=format_money(quote.margin_per_carton),
                margin_rate=format_percent(quote.margin_rate),
                note=_note(turn, quote),
            )
        )
    best = quotes[0]
    best_rate = max(quotes, key=lambda q: q.margin_rate)
    lines.append(
        turn.t(
            "price_list.compare_best",
            spec=_spec(turn, best),
            margin=format_money(best.margin_per_carton),
        )
    )
    if best_rate.spec != best.spec:
        lines.append(
            turn.t(
                "price_list.compare_best_rate",
                spec=_spec(turn, best_rate),
                margin_rate=format_percent(best_rate.margin_rate),
            )
        )
    if any(q.status == "discontinued" for q in quotes):
        lines.append(turn.t("price_list.compare_discontinued"))
    return "\n".join(lines)


class ActionPrice(RetailAction):
    """Answer a price question: one product, a comparison, or a brand's or tier's list."""

    action_name = "action_price"

    def respond(self, turn: Turn) -> Reply:
        text = user_text(turn)
        prefer = ordered_product_ids(turn.session, turn.principal, clock=turn.clock)
        question = read_price_question(
            turn.session, text, prefer=prefer, product_hint=turn.entity("product")
        )
        reply = self.answer(turn, question, text)
        specs = [product.spec for product in question.products]
        reply.events.extend(remember(PRICE, products=specs or None))
        return reply

    def answer(self, turn: Turn, question: PriceQuestion, text: str) -> Reply:
        """The answer to a price question already read (a follow-up such as 那利群呢 builds
        its question from the product in context and asks here)."""
        if question.kind == "compare":
            quotes = compare_margins(turn.session, turn.principal, question.products)
            return Reply(texts=[render_comparison(turn, quotes)])
        if question.kind == "brand" and question.brand:
            quotes = brand_price_list(turn.session, turn.principal, question.brand)
            product = question.products[0]
            brand = product.brand_en if turn.language == "en" else product.brand
            header = turn.t("price_list.brand_header", brand=brand)
            return Reply(texts=["\n".join([header, *(render_list_item(turn, q) for q in quotes)])])
        if question.kind == "tier":
            quotes = tier_price_list(turn.session, turn.principal, question.tiers)
            separator = " / " if turn.language == "en" else "、"
            tiers = separator.join(turn.t(f"price_list.tier.{tier}") for tier in question.tiers)
            header = turn.t("price_list.tier_header", tiers=tiers)
            return Reply(texts=["\n".join([header, *(render_list_item(turn, q) for q in quotes)])])
        if question.kind == "pack_price" and question.pack_price is not None:
            exact, quotes = pack_price_list(turn.session, turn.principal, question.pack_price)
            key = "price_list.pack_header" if exact else "price_list.pack_nearest"
            header = turn.t(key, price=format_money(question.pack_price))
            return Reply(texts=["\n".join([header, *(render_list_item(turn, q) for q in quotes)])])
        if question.kind == "single":
            [quote] = quotes_for(turn.session, turn.principal, question.products)
            return Reply(texts=[self._single(turn, quote)])
        return self._not_found(turn, text)

    def _single(self, turn: Turn, quote: PriceQuote) -> str:
        """One product; a discontinued one also shows its replacement's price."""
        text = render_quote(turn, quote)
        if quote.status == "discontinued" and quote.replacement_spec:
            replacement = quote_price(turn.session, turn.principal, quote.replacement_spec)
            text += "\n" + turn.t(
                "price_list.replacement_price",
                spec=_spec(turn, replacement),
                wholesale=format_money(replacement.wholesale_per_carton),
                retail_pack=format_money(replacement.retail_per_pack),
            )
        return text

    @staticmethod
    def _not_found(turn: Turn, text: str) -> Reply:
        query = (turn.entity("product") or text).strip()
        if not query:
            return Reply(texts=[turn.t("price.ask_which")])
        try:
            quote_price(turn.session, turn.principal, query)
        except ProductNotFound as missing:
            suggestions: list[str] = missing.params.get("suggestions", [])
            if not suggestions and not turn.entity("product"):
                return Reply(texts=[turn.t("price.ask_which")])
            if not suggestions:
                return Reply(texts=[turn.t("price.unknown_none", query=query[:40])])
            separator = ", " if turn.language == "en" else "、"
            return Reply(
                texts=[
                    turn.t(
                        "price.unknown", query=query[:40], suggestions=separator.join(suggestions)
                    )
                ]
            )
        return Reply(texts=[turn.t("price.ask_which")])
