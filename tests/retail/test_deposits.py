"""Deposit claims: implausible amounts refused, claims recorded and passed to the manager."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from retail import access
from retail.clock import FixedClock
from retail.db import Database
from retail.models import BalanceSnapshot, DepositClaim, OutboxMessage
from retail.settlement import ImplausibleAmount, check_amount, report_deposit


def test_a_confirmed_claim_is_recorded_not_as_balance_and_the_manager_is_told(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        balances_before = session.scalars(select(BalanceSnapshot.balance)).all()
        report = report_deposit(
            session, principal, amount=Decimal("500.00"), message="刚存了500", clock=clock
        )
        [claim] = session.scalars(select(DepositClaim)).all()
        [push] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "deposit_claim")
        ).all()
        assert session.scalars(select(BalanceSnapshot.balance)).all() == balances_before
    assert (claim.amount, claim.message) == (Decimal("500.00"), "刚存了500")
    assert report.manager_notified and push.chat_id == 20001
    assert "张记烟酒" in push.text and "¥500.00" in push.text and "¥2,700.00" in push.text
    assert report.status.balance == Decimal("2700.00")


@pytest.mark.parametrize("amount", ["0", "-500", "1000000.01"])
def test_implausible_amounts_are_refused_and_nothing_is_written(
    db: Database, clock: FixedClock, amount: str
) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        with pytest.raises(ImplausibleAmount):
            report_deposit(session, principal, amount=Decimal(amount), message="x", clock=clock)
        assert session.scalars(select(DepositClaim)).all() == []


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "2000.001", "9" * 400])
def test_amounts_that_are_no_money_are_refused_with_a_short_quote(amount: str) -> None:
    with pytest.raises(ImplausibleAmount) as refused:
        check_amount(Decimal(amount))
    assert len(refused.value.params["amount"]) <= 20


def test_the_same_offer_confirmed_twice_records_one_claim_and_tells_the_manager_once(
    any_db: Database, clock: FixedClock
) -> None:
    reports = []
    for _ in range(2):
        with any_db.session() as session:
            principal = access.principal_for(session, 10001)
            reports.append(
                report_deposit(
                    session,
                    principal,
                    amount=Decimal("2000.00"),
                    message="刚存了2000",
                    clock=clock,
                    offer_key="2000.00:0123456789ab",
                )
            )
    first, second = reports
    assert (first.already_recorded, second.already_recorded) == (False, True)
    assert (first.manager_notified, second.manager_notified) == (True, False)
    assert second.claim_id == first.claim_id and second.amount == Decimal("2000.00")
    with any_db.session() as session:
        [claim] = session.scalars(select(DepositClaim)).all()
        pushes = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "deposit_claim")
        ).all()
    assert claim.offer_key == "2000.00:0123456789ab"
    assert len(pushes) == 1


def test_another_offer_is_another_claim(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        for key in ("500.00:aaaaaaaaaaaa", "500.00:bbbbbbbbbbbb"):
            report_deposit(
                session,
                principal,
                amount=Decimal("500.00"),
                message="存了500",
                clock=clock,
                offer_key=key,
            )
        assert len(session.scalars(select(DepositClaim)).all()) == 2
