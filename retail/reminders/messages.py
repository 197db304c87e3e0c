"""A reminder's words and its outbox row: the text in the recipient's language, its buttons,
dedupe key, priority and validity."""

from __future__ import annotations

from datetime import datetime

from retail.i18n import format_datetime, format_money, t
from retail.models import Manager, Order, Retailer
from retail.outbox import NewMessage
from retail.reminders.buttons import buttons_for
from retail.reminders.kinds import (
    DEDUCT_FAILED,
    FUNDING_FIRST,
    FUNDING_LAST,
    MANAGER_DEDUCT_FAILED,
    MANUAL,
    ORDER_OPEN,
    ORDER_OPEN_FUNDING,
    PRIORITY,
    dedupe_key,
)
from retail.reminders.shops import Funding, Shop


def shop_name(retailer: Retailer, language: str) -> str:
    """The shop's name as a reader of ``language`` knows it."""
    return retailer.name_en or retailer.name if language == "en" else retailer.name


def _manager_name(manager: Manager, language: str) -> str:
    return manager.display_en if language == "en" else manager.display_zh


def reminder_text(
    kind: str,
    language: str,
    *,
    retailer: Retailer,
    order: Order,
    funding: Funding,
    manager: Manager | None = None,
) -> str:
    """The text of a reminder of ``kind`` about ``order``, in ``language``."""
    balance = (
        format_money(funding.balance)
        if funding.balance is not None
        else t(language, "reminder.balance_unknown")
    )
    params = {
        "shop": shop_name(retailer, language),
        "code": retailer.code,
        "amount_due": format_money(funding.amount_due),
        "balance": balance,
        "shortfall": format_money(funding.shortfall),
        "cutoff": format_datetime(order.closes_at, language),
        "deadline": format_datetime(order.deduct_at, language),
        "manager": _manager_name(manager, language) if manager else "",
    }
    key = {
        FUNDING_FIRST: "reminder.funding_first",
        FUNDING_LAST: (
            "reminder.funding_last_claimed" if funding.claim_covers else "reminder.funding_last"
        ),
        ORDER_OPEN: "reminder.order_open",
        ORDER_OPEN_FUNDING: "reminder.order_open_funding",
        DEDUCT_FAILED: "reminder.deduct_failed",
        MANUAL: "reminder.manual",
        MANAGER_DEDUCT_FAILED: "reminder.manager.deduct_failed",
    }[kind]
    return t(language, key, **params)


def planned(
    kind: str,
    slot: str,
    *,
    shop: Shop,
    order: Order,
    funding: Funding,
    not_before: datetime,
    expires: datetime | None,
    manager: Manager | None = None,
) -> NewMessage:
    """The outbox row of a reminder to a bound shop (``shop.recipient`` must be set)."""
    assert shop.recipient is not None
    language = shop.recipient.language
    # The opening notice is keyed as one whether or not it carries the shortfall, so a shop
    # gets one opening message per cycle.
    key_kind = ORDER_OPEN if kind == ORDER_OPEN_FUNDING else kind
    return NewMessage(
        dedupe_key=dedupe_key(shop.retailer.code, key_kind, order.cycle, slot),
        kind=kind,
        chat_id=shop.recipient.chat_id,
        language=language,
        text=reminder_text(
            kind, language, retailer=shop.retailer, order=order, funding=funding, manager=manager
        ),
        retailer_id=shop.retailer.id,
        cycle=order.cycle,
        buttons=buttons_for(language, kind),
        not_before=not_before,
        expires_at=expires,
        priority=PRIORITY[kind],
    )
