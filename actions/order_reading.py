"""Order-line changes read from a message, as the typed requests retail's planner takes.

The words are read by lang.order_changes; products are found by lang.products over the
database's catalog (retail.catalog), with a bare brand meaning the spec already on the user's
order. Kept apart from the action classes so the reading is tested without Rasa.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from lang.order_changes import FoundProduct, read_order_changes
from retail.catalog import resolve_products, suggest_products
from retail.orders import LineRequest


def requested_lines(
    session: Session,
    text: str,
    *,
    entities: Sequence[Mapping[str, Any]] = (),
    prefer: Sequence[int] = (),
) -> list[LineRequest]:
    """Every line change asked for in ``text`` (see lang.order_changes.read_order_changes).

    ``prefer`` holds the product ids on the user's open order (芙蓉王 -> the 芙蓉王 spec already
    ordered); ``entities`` are the NLU's entities for the message.
    """

    def find(piece: str) -> list[FoundProduct]:
        matches = resolve_products(session, piece, prefer=prefer)
        return [(match.product.id, match.start, match.end) for match in matches]

    def suggest(piece: str) -> list[str]:
        return [product.spec for product in suggest_products(session, piece)]

    changes = read_order_changes(
        text, find_products=find, suggest_products=suggest, entities=entities
    )
    return [
        LineRequest(
            product_id=change.product if isinstance(change.product, int) else None,
            action=change.action,
            quantity=change.quantity,
            unit=change.unit,
            phrase=change.phrase,
            suggestions=change.suggestions,
        )
        for change in changes
    ]
