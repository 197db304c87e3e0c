"""Weekly orders: finding a retailer's open order and what is on it.

Order-line changes (confirmation, window, quota, stock, optimistic locking, audit) build on
these queries.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from retail.access import Principal
from retail.clock import Clock
from retail.models import Order


def open_order(session: Session, retailer_id: int, *, clock: Clock) -> Order | None:
    """The retailer's order whose window contains now, if any."""
    now = clock.now()
    return session.scalar(
        select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.retailer_id == retailer_id,
            Order.status == "open",
            Order.opens_at <= now,
            Order.closes_at > now,
        )
        .order_by(Order.closes_at)
    )


def ordered_product_ids(session: Session, principal: Principal, *, clock: Clock) -> list[int]:
    """Products on a retailer's open order (a bare brand name prefers these specs)."""
    if not principal.is_retailer or principal.retailer_id is None:
        return []
    order = open_order(session, principal.retailer_id, clock=clock)
    return [line.product_id for line in order.lines] if order else []


def order_total(order: Order) -> Decimal:
    """What the order costs: each line's quantity times its wholesale price per 条."""
    return sum((line.unit_price * line.quantity for line in order.lines), Decimal("0.00"))
