"""The buttons under a reminder, named by what a tap means rather than how a front end says it.

A reminder's :class:`~retail.outbox.PushButton` stores a :class:`ButtonAction` value ("ack",
"deposited", ...) as its payload. The front end that renders the button decides what a tap sends
(bot/ maps each action to its Rasa intent), so the domain holds no conversation vocabulary.
"""

from __future__ import annotations

from enum import Enum

from retail.i18n import t
from retail.outbox import PushButton
from retail.reminders.kinds import DEDUCT_FAILED, ORDER_OPEN


class ButtonAction(str, Enum):
    """What the recipient says by tapping a reminder's button."""

    ACK = "ack"
    """Seen; nothing more to say."""
    DEPOSITED = "deposited"
    """The retailer says they deposited the money."""
    SHOW_ORDER = "show_order"
    """Show this week's order."""
    CONTACT_MANAGER = "contact_manager"
    """Put the retailer in touch with their customer manager."""


def _button(language: str, title_key: str, action: ButtonAction) -> PushButton:
    return PushButton(t(language, title_key), action.value)


def buttons_for(language: str, kind: str) -> tuple[PushButton, ...]:
    """The buttons under a retailer's reminder of ``kind``, titled in ``language``."""
    if kind == DEDUCT_FAILED:
        return (
            _button(language, "reminder.button.contact", ButtonAction.CONTACT_MANAGER),
            _button(language, "reminder.button.ack", ButtonAction.ACK),
        )
    if kind == ORDER_OPEN:
        return (
            _button(language, "reminder.button.order", ButtonAction.SHOW_ORDER),
            _button(language, "reminder.button.ack", ButtonAction.ACK),
        )
    return (
        _button(language, "reminder.button.ack", ButtonAction.ACK),
        _button(language, "reminder.button.deposited", ButtonAction.DEPOSITED),
    )
