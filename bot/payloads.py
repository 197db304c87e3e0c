"""What a tap on a pushed reminder's button says to Rasa.

retail/ names what a reminder's buttons mean (:class:`retail.reminders.ButtonAction`) and
stores that name in the outbox row; which intent each meaning is in the Rasa domain is the
bot's business, so the table lives here. The sender puts the Rasa payload in the button's
callback data, and a tap goes to Rasa as the user's message (``bot.handlers.on_button``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from retail.reminders import ButtonAction

log = logging.getLogger(__name__)

REMINDER_PAYLOADS: Mapping[ButtonAction, str] = {
    ButtonAction.ACK: "/affirm",
    ButtonAction.DEPOSITED: "/payment_notice",
    ButtonAction.SHOW_ORDER: "/order_show",
    ButtonAction.CONTACT_MANAGER: "/contact_manager",
}
"""The intent (in domain.yml) a tap on each reminder button stands for."""


def rasa_payload(stored: str) -> str:
    """The message a tap on a pushed button sends to Rasa, for the payload stored in its row.

    A stored payload that starts with "/" is already Rasa's and passes through unchanged: pushes
    whose buttons the actions built (visit confirmation, manager replies), and reminders queued
    before the buttons were named by action. Anything else unknown also passes through, as the
    sender did before; it is logged, since Rasa would read it as typed text.
    """
    if stored.startswith("/"):
        return stored
    try:
        return REMINDER_PAYLOADS[ButtonAction(stored)]
    except (ValueError, KeyError):
        log.warning("a pushed button has no Rasa payload", extra={"stored": stored})
        return stored
