"""Bank-reported balances of the e-settlement accounts (电子结算账户), as the bank last said.

Its own module, below both orders and settlement: an order change shows the shortfall against
the balance, and settlement builds on orders, so neither may hold this query for the other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.models import BalanceSnapshot, SettlementAccount


def latest_balance(session: Session, retailer_id: int) -> BalanceSnapshot | None:
    """The newest balance the bank reported for a shop's account."""
    return session.scalar(
        select(BalanceSnapshot)
        .join(SettlementAccount, SettlementAccount.id == BalanceSnapshot.account_id)
        .where(SettlementAccount.retailer_id == retailer_id)
        .order_by(BalanceSnapshot.reported_at.desc(), BalanceSnapshot.id.desc())
        .limit(1)
    )
