"""Balances as the bank reported them, amounts due, shortfalls, and deposit claims."""

from __future__ import annotations

from decimal import Decimal

import pytest

from retail import access
from retail.clock import FixedClock
from retail.db import Database
from retail.errors import NotYourShop, WrongRole
from retail.settlement import record_deposit_claim, settlement_status, shortfalls


def test_a_short_retailer_sees_balance_due_and_shortfall(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        status = settlement_status(session, principal, clock=clock)
    assert status.balance == Decimal("2700.00")
    assert status.amount_due == Decimal("3059.00")
    assert status.shortfall == Decimal("359.00")
    assert status.deduct_at is not None and status.balance_reported_at is not None


def test_a_funded_retailer_has_no_shortfall(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session:
        status = settlement_status(session, access.principal_for(session, 10002), clock=clock)
    assert (status.is_short, status.shortfall) == (False, Decimal("0.00"))


def test_a_manager_lists_only_short_shops_of_their_territory(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        wang = [
            s.retailer_code
            for s in shortfalls(session, access.principal_for(session, 20001), clock=clock)
        ]
        li = [
            s.retailer_code
            for s in shortfalls(session, access.principal_for(session, 20002), clock=clock)
        ]
    assert wang == ["R004", "R001"]
    assert li == ["R006"]


def test_a_manager_cannot_read_another_territorys_account(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        li = access.principal_for(session, 20002)
        r001 = access.principal_for(session, 10001).retailer_id
        with pytest.raises(NotYourShop):
            settlement_status(session, li, clock=clock, retailer_id=r001)


def test_a_deposit_claim_is_recorded_but_is_not_balance(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        record_deposit_claim(
            session, principal, amount=Decimal("500"), message="刚存了500", clock=clock
        )
        status = settlement_status(session, principal, clock=clock)
    assert status.claimed_since_report == Decimal("500")
    assert status.balance == Decimal("2700.00")


def test_a_manager_cannot_claim_a_deposit(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session, pytest.raises(WrongRole):
        record_deposit_claim(
            session, access.principal_for(session, 20001), amount=None, message="x", clock=clock
        )
