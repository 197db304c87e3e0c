"""Deposit messages: claims told from promises, amounts read, claims recorded and passed on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from retail import access
from retail.clock import FixedClock
from retail.db import Database
from retail.deposits import (
    ImplausibleAmount,
    parse_amount,
    read_deposit_statement,
    report_deposit,
)
from retail.models import BalanceSnapshot, DepositClaim, OutboxMessage


@pytest.mark.parametrize(
    ("text", "amount", "done"),
    [
        ("刚存了2000", "2000.00", True),
        ("已经存了两千", "2000.00", True),
        ("存了1.5万", "15000.00", True),
        ("存了2k", "2000.00", True),
        ("刚刚存了一千五", "1500.00", True),
        ("存了¥3,000", "3000.00", True),
        ("12点存了2000", "2000.00", True),
        ("存好了", None, True),
        ("老婆去存了", None, True),
        ("知道了 下午去存", None, False),
        ("好 今晚转过去", None, False),
        ("I deposited 500 just now", "500.00", True),
        ("I will deposit 300 tomorrow", "300.00", False),
        ("存了-500", "-500.00", True),
    ],
)
def test_deposit_messages_are_read(text: str, amount: str | None, done: bool) -> None:
    statement = read_deposit_statement(text)
    assert statement.amount == (Decimal(amount) if amount else None)
    assert statement.done is done


def test_the_amount_entity_wins_when_it_holds_a_number() -> None:
    assert read_deposit_statement("存了", amount_entity="两千五").amount == Decimal("2500.00")
    assert parse_amount("no number here") is None


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
