"""Price questions: wholesale per 条, suggested retail per 包 and per 条, margin, status."""

from __future__ import annotations

from actions.base import Reply, RetailAction, Turn
from retail.catalog import PriceQuote, quote_price
from retail.errors import ProductNotFound
from retail.i18n import format_money, format_percent
from retail.orders import ordered_product_ids


def render_quote(turn: Turn, quote: PriceQuote) -> str:
    """The price answer for one product, in the turn's language."""
    english = turn.language == "en"
    spec = f"{quote.name_en} ({quote.spec})" if english else quote.spec
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


class ActionPrice(RetailAction):
    """Answer a price question about the product the user named."""

    action_name = "action_price"

    def respond(self, turn: Turn) -> Reply:
        prefer = ordered_product_ids(turn.session, turn.principal, clock=turn.clock)
        missing: ProductNotFound | None = None
        for query in dict.fromkeys(filter(None, [turn.entity("product"), turn.text])):
            try:
                quote = quote_price(turn.session, turn.principal, query, prefer=prefer)
            except ProductNotFound as error:
                missing = missing or error
                continue
            return Reply(texts=[render_quote(turn, quote)])
        if missing is None or not (turn.entity("product") or missing.params.get("suggestions")):
            return Reply(texts=[turn.t("price.ask_which")])
        return Reply(texts=[self._not_found(turn, missing)])

    @staticmethod
    def _not_found(turn: Turn, missing: ProductNotFound) -> str:
        suggestions: list[str] = missing.params.get("suggestions", [])
        query = str(missing.params.get("query", ""))[:40]
        if not suggestions:
            return turn.t("price.unknown_none", query=query)
        separator = ", " if turn.language == "en" else "、"
        return turn.t("price.unknown", query=query, suggestions=separator.join(suggestions))
