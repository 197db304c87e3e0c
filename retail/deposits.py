"""What a retailer says about depositing money, and passing their claim to the manager.

"刚存了2000" is a claim, not a balance: the balance is only ever what the bank reports
(:mod:`retail.settlement`). :func:`read_deposit_statement` tells a claim ("I deposited") from a
promise ("I'll deposit this afternoon") and reads the amount however it was written (2000,
两千五, 1.5万, 2k, ¥3,000); :func:`report_deposit` records a confirmed claim and tells the
retailer's manager through the outbox in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an
from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.access import Principal, own_shop
from retail.clock import Clock
from retail.errors import RetailError
from retail.i18n import format_datetime, format_money, supported, t
from retail.models import Manager, User
from retail.outbox import enqueue
from retail.settlement import SettlementStatus, record_deposit_claim, status_of

MAX_CLAIM = Decimal("1000000.00")
"""A single deposit claim above this is taken as a typo, not recorded."""


class ImplausibleAmount(RetailError):
    """A deposit amount that is zero, negative or far too large to be a weekly deposit."""

    key = "deposit.implausible"


_NUMBER = re.compile(
    r"(?P<sign>[-−])?\s*[¥￥]?\s*(?P<number>\d[\d,，]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
    r"\s*(?P<scale>[kK千wW万](?![a-zA-Z]))?(?!\s*(?:点|号|日|月|时|:|：|天|分|am|pm|[\d.]))"
)
_PAST = re.compile(
    r"(已经?|刚刚?|存了|存好|存过|存进|存入|转了|转好|打了|打进|充了|补了|补上|补足|到账|"
    r"\bdeposited\b|\bpaid\b|\btransferred\b|\bsent\b|\bput in\b|\bdone\b)",
    re.IGNORECASE,
)
_FUTURE = re.compile(
    r"(去存|就存|要存|会存|再存|马上存|等下|待会|一会|稍后|明天|明早|今晚|下午去|晚上去|前存|存上|"
    r"\bwill\b|\bgoing to\b|\blater\b|\btomorrow\b|\btonight\b|\bsoon\b)",
    re.IGNORECASE,
)
_ACKS = re.compile(r"(知道了|好了吗|收到了)")


@dataclass(frozen=True)
class DepositStatement:
    """A deposit message understood: how much (if said) and whether it already happened."""

    amount: Decimal | None
    done: bool


def parse_amount(text: str) -> Decimal | None:
    """The first money amount in ``text`` (2000, 两千五, 1.5万, 2k, -500), or None.

    Negative amounts come back negative so the caller can refuse them rather than read 500.
    """
    for match in _NUMBER.finditer(text):
        raw = match.group("number").replace(",", "").replace(",", "")
        try:
            value = Decimal(raw) if raw[0].isdigit() else Decimal(str(cn2an.cn2an(raw, "smart")))
        except (InvalidOperation, ValueError, KeyError, IndexError):
            continue
        scale = (match.group("scale") or "").lower()
        if scale in {"k", "千"}:
            value *= 1000
        elif scale in {"w", "万"}:
            value *= 10000
        if match.group("sign"):
            value = -value
        return value.quantize(Decimal("0.01"))
    return None


def read_deposit_statement(text: str, *, amount_entity: str | None = None) -> DepositStatement:
    """Read a payment_notice message: the amount (from the NLU entity when it holds one) and
    whether the money was deposited already or is only promised."""
    amount = parse_amount(amount_entity) if amount_entity else None
    if amount is None:
        amount = parse_amount(text)
    cleaned = _ACKS.sub("", text)
    done = bool(_PAST.search(cleaned)) or not _FUTURE.search(cleaned)
    return DepositStatement(amount=amount, done=done)


def check_amount(amount: Decimal | None) -> None:
    """Refuse amounts nobody deposits: zero, negative, or above :data:`MAX_CLAIM`."""
    if amount is not None and (amount <= 0 or amount > MAX_CLAIM):
        raise ImplausibleAmount(amount=format_money(amount))


@dataclass(frozen=True)
class DepositReport:
    """A recorded deposit claim and the account position it was made against."""

    claim_id: int
    amount: Decimal | None
    status: SettlementStatus
    manager_notified: bool


def report_deposit(
    session: Session,
    principal: Principal,
    *,
    amount: Decimal | None,
    message: str,
    clock: Clock,
) -> DepositReport:
    """Record the retailer's confirmed claim and tell their manager, in one transaction."""
    check_amount(amount)
    retailer = own_shop(session, principal)
    claim = record_deposit_claim(session, principal, amount=amount, message=message, clock=clock)
    status = status_of(session, retailer, clock=clock)
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
