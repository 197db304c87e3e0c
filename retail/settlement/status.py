"""E-settlement: the bank-reported balance, what the open order will take, and the shortfall.

The balance is only ever what the bank last reported (a snapshot with its time); a retailer
saying "I deposited 2000" is recorded as a claim for the manager to see, never as balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.access import Principal, own_shop, require_retailer, visible_retailers
from retail.balances import latest_balance
from retail.clock import Clock
from retail.models import DepositClaim, Retailer
from retail.orders import open_order, order_total

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class SettlementStatus:
    """One shop's funding position for its open order."""

    retailer_id: int
    retailer_code: str
    retailer_name: str
    balance: Decimal | None
    balance_reported_at: datetime | None
    amount_due: Decimal
    order_cycle: str | None
    order_closes_at: datetime | None
    deduct_at: datetime | None
    claimed_since_report: Decimal

    @property
    def shortfall(self) -> Decimal:
        """How much more must be deposited before the deduction (0 when funded)."""
        return max(ZERO, self.amount_due - (self.balance or ZERO))

    @property
    def is_short(self) -> bool:
        return self.shortfall > ZERO


def _claimed_since(session: Session, retailer_id: int, since: datetime | None) -> Decimal:
    query = select(DepositClaim.amount).where(DepositClaim.retailer_id == retailer_id)
    if since is not None:
        query = query.where(DepositClaim.claimed_at > since)
    return sum((amount for amount in session.scalars(query) if amount), ZERO)


def status_of(session: Session, retailer: Retailer, *, clock: Clock) -> SettlementStatus:
    """The funding position of a shop (no access check: callers have done it)."""
    snapshot = latest_balance(session, retailer.id)
    order = open_order(session, retailer.id, clock=clock)
    reported_at = snapshot.reported_at if snapshot else None
    return SettlementStatus(
        retailer_id=retailer.id,
        retailer_code=retailer.code,
        retailer_name=retailer.name,
        balance=snapshot.balance if snapshot else None,
        balance_reported_at=reported_at,
        amount_due=order_total(order) if order else ZERO,
        order_cycle=order.cycle if order else None,
        order_closes_at=order.closes_at if order else None,
        deduct_at=order.deduct_at if order else None,
        claimed_since_report=_claimed_since(session, retailer.id, reported_at),
    )


def settlement_status(
    session: Session, principal: Principal, *, clock: Clock, retailer_id: int | None = None
) -> SettlementStatus:
    """A retailer's own position, or (for their manager) a shop in the territory."""
    if retailer_id is None:
        retailer = own_shop(session, principal)
    else:
        retailer = require_retailer(session, principal, retailer_id)
    return status_of(session, retailer, clock=clock)


def shortfalls(session: Session, principal: Principal, *, clock: Clock) -> list[SettlementStatus]:
    """Every visible shop whose balance does not cover its open order, largest gap first."""
    statuses = [status_of(session, r, clock=clock) for r in visible_retailers(session, principal)]
    return sorted((s for s in statuses if s.is_short), key=lambda s: s.shortfall, reverse=True)


def record_deposit_claim(
    session: Session, principal: Principal, *, amount: Decimal | None, message: str, clock: Clock
) -> DepositClaim:
    """Record that a retailer says they deposited ``amount`` (a claim, not a balance)."""
    retailer = own_shop(session, principal)
    if amount is not None and amount <= 0:
        raise ValueError("a deposit amount must be positive")
    claim = DepositClaim(
        retailer_id=retailer.id,
        user_id=principal.user_id,
        amount=amount,
        claimed_at=clock.now(),
        message=message[:512],
    )
    session.add(claim)
    session.flush()
    return claim
