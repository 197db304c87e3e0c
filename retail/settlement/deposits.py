"""A retailer's deposit claim: checked, recorded, and passed to their manager.

"刚存了2000" is a claim, not a balance: the balance is only ever what the bank reports
(:mod:`retail.settlement`). The words are read elsewhere (lang.amounts, through the action);
this module takes the amount as a :class:`~decimal.Decimal`: :func:`check_amount` refuses one
nobody deposits, and :func:`report_deposit` records a confirmed claim and tells the retailer's
manager through the outbox in the same transaction. A claim confirmed from an offer carries the
offer's key: confirming the same offer again (a double tap, a replayed tap) records nothing new
and tells nobody twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from retail.access import Principal, own_shop
from retail.clock import Clock
from retail.errors import RetailError
from retail.i18n import format_datetime, format_money, supported, t
from retail.models import DepositClaim, Manager, Retailer, User
from retail.outbox import enqueue
from retail.settlement.status import SettlementStatus, record_deposit_claim, status_of

MAX_CLAIM = Decimal("1000000.00")
"""A single deposit claim above this is taken as a typo, not recorded."""
CENT = Decimal("0.01")
_SHOWN_DIGITS = 15
"""Digits of an absurd amount quoted back: a 400-digit paste is refused, not echoed."""


class ImplausibleAmount(RetailError):
    """A deposit amount that is zero, negative or far too large to be a weekly deposit."""

    key = "deposit.implausible"


def _shown(amount: Decimal) -> str:
    """The refused amount as the retailer will read it, cut short when it is absurdly long."""
    if amount.is_finite() and amount.adjusted() < _SHOWN_DIGITS:
        return format_money(amount)
    return f"{str(amount)[:_SHOWN_DIGITS]}…"


def check_amount(amount: Decimal | None) -> None:
    """Refuse amounts nobody deposits: zero, negative, above :data:`MAX_CLAIM`, not a whole
    number of fen (money is kept to two places), or not a number at all."""
    if amount is None:
        return
    if (
        not amount.is_finite()
        or amount <= 0
        or amount > MAX_CLAIM
        or amount != amount.quantize(CENT)
    ):
        raise ImplausibleAmount(amount=_shown(amount))


@dataclass(frozen=True)
class DepositReport:
    """A recorded deposit claim and the account position it was made against.

    ``already_recorded`` is True when the offer had been confirmed before: the claim is the
    one recorded then, and nothing was written or sent this time."""

    claim_id: int
    amount: Decimal | None
    status: SettlementStatus
    manager_notified: bool
    already_recorded: bool = False


def _claim_of_offer(session: Session, retailer_id: int, offer_key: str) -> DepositClaim | None:
    return session.scalar(
        select(DepositClaim).where(
            DepositClaim.retailer_id == retailer_id, DepositClaim.offer_key == offer_key
        )
    )


def _record_once(
    session: Session,
    principal: Principal,
    retailer: Retailer,
    *,
    amount: Decimal | None,
    message: str,
    clock: Clock,
    offer_key: str | None,
) -> tuple[DepositClaim, bool]:
    """The claim for this offer and whether it is new. A claim of the same offer committed
    first (even one racing this one) wins on the unique (shop, offer key)."""
    if offer_key is None:
        claim = record_deposit_claim(
            session, principal, amount=amount, message=message, clock=clock
        )
        return claim, True
    existing = _claim_of_offer(session, retailer.id, offer_key)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            claim = record_deposit_claim(
                session, principal, amount=amount, message=message, clock=clock
            )
            claim.offer_key = offer_key
            session.flush()
    except IntegrityError:
        existing = _claim_of_offer(session, retailer.id, offer_key)
        if existing is None:
            raise
        return existing, False
    return claim, True


def report_deposit(
    session: Session,
    principal: Principal,
    *,
    amount: Decimal | None,
    message: str,
    clock: Clock,
    offer_key: str | None = None,
) -> DepositReport:
    """Record the retailer's confirmed claim and tell their manager, in one transaction.

    ``offer_key`` names the offer confirmed (what the confirm button carried); a second
    confirmation of it returns the first claim with ``already_recorded`` and writes nothing.
    """
    check_amount(amount)
    retailer = own_shop(session, principal)
    key = offer_key[:64] if offer_key else None
    claim, new = _record_once(
        session, principal, retailer, amount=amount, message=message, clock=clock, offer_key=key
    )
    status = status_of(session, retailer, clock=clock)
    if not new:
        return DepositReport(
            claim_id=claim.id,
            amount=claim.amount,
            status=status,
            manager_notified=False,
            already_recorded=True,
        )
    manager_user = session.scalar(
        select(User)
        .where(User.manager_id == retailer.manager_id, User.telegram_user_id.is_not(None))
        .limit(1)
    )
    manager = session.get(Manager, retailer.manager_id)
    notified = False
    if manager_user is not None and manager_user.telegram_user_id is not None and manager:
        language = supported(manager_user.language)
        unknown = t(language, "deposit.unknown")
        text = t(
            language,
            "deposit.notify_manager",
            shop=retailer.name,
            code=retailer.code,
            amount=format_money(amount) if amount is not None else unknown,
            at=format_datetime(claim.claimed_at, language),
            balance=format_money(status.balance) if status.balance is not None else unknown,
            reported_at=(
                format_datetime(status.balance_reported_at, language)
                if status.balance_reported_at
                else unknown
            ),
            due=format_money(status.amount_due),
            shortfall=format_money(status.shortfall),
        )
        enqueue(
            session,
            dedupe_key=f"deposit_claim:{claim.id}",
            kind="deposit_claim",
            chat_id=manager_user.telegram_user_id,
            language=language,
            text=text,
            clock=clock,
            retailer_id=retailer.id,
        )
        notified = True
    return DepositReport(claim_id=claim.id, amount=amount, status=status, manager_notified=notified)
