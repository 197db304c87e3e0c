"""One rule for a typed yes or no: it answers the offer the user was shown.

Every offer the assistant makes (an order-change plan, a visit-note draft, a deposit claim, a
reminder setting, a request to the manager, the manager's deposit-reminder broadcast) carries a
confirm button, and usually a cancel button, whose payload names exactly what it decides
(``/visit_save{"ref":"12"}``, ``/affirm{"plan":"..."}``). A tap goes straight to its action.
A *typed* 确认 / 保存 / yes or 取消 / 不要了 / no arrives as a plain affirm or deny, and
:func:`answer_typed` (behind ``action_ack``) decides what it answers:

1. The offer in the bot's last reply, if there is one: a clear yes runs what its confirm
   button would run (the same action with the same ref, :func:`as_tapped`), a no runs its
   cancel button. A yes that is not clearly one (a lone emoji), or that was written before the
   offer reached the user (metadata ``message_time`` against the reply's time), offers it again
   and writes nothing. A no that gives a figure to an order plan (不对 是4条) corrects the plan.
2. Otherwise the order plan still waiting in the ``order_plan`` slot, as long as no other offer
   was shown after it (a question in between does not drop the plan): ``action_order_confirm``
   and ``action_order_cancel`` keep their own checks (shown before the yes, order unchanged).
3. Otherwise nothing is pending, and the caller just acknowledges.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rasa_sdk import Tracker

from actions.base import Button, Reply, RetailAction, Turn
from actions.conversation import (
    ShownButton,
    bot_messages_before,
    buttons_of,
    intent_of,
    last_reply,
    user_text,
)
from actions.orders import (
    PLAN_SLOT,
    ActionOrderCancel,
    ActionOrderChange,
    ActionOrderConfirm,
    written_at,
)
from actions.preferences import ActionPrefsConfirm
from actions.settlement import ActionDepositConfirm
from actions.support import ActionPendingCancel, ActionRequestSend
from actions.visits import ActionRemindShortfallsSend, ActionVisitCancel, ActionVisitSave
from lang.confirmations import is_cancellation, is_correction, is_explicit_confirmation

CONFIRMS: dict[str, type[RetailAction]] = {
    "affirm": ActionOrderConfirm,
    "visit_save": ActionVisitSave,
    "deposit_confirm": ActionDepositConfirm,
    "prefs_confirm": ActionPrefsConfirm,
    "request_send": ActionRequestSend,
    "remind_shortfalls_send": ActionRemindShortfallsSend,
}
"""Button intents that save what was offered, and the action a tap on each runs."""
CANCELS: dict[str, type[RetailAction]] = {
    "deny": ActionOrderCancel,
    "visit_cancel": ActionVisitCancel,
    "pending_cancel": ActionPendingCancel,
}
"""Button intents that drop what was offered, and the action a tap on each runs."""
PLAN_BUTTONS = ("affirm", "deny")
"""The order plan's buttons are the generic affirm/deny intents: they count only naming a plan."""


def _decides(button: ShownButton, table: dict[str, type[RetailAction]]) -> bool:
    if button.intent not in table:
        return False
    return button.intent not in PLAN_BUTTONS or bool(button.entities.get("plan"))


@dataclass(frozen=True)
class Offer:
    """A bot message that waits for a yes: its confirm buttons (one, or several choices), its
    cancel button if any, every button under it (to show them again) and when it was sent."""

    confirms: tuple[ShownButton, ...]
    cancel: ShownButton | None
    buttons: tuple[ShownButton, ...]
    shown_at: float | None

    @property
    def is_order_plan(self) -> bool:
        return self.confirms[0].intent == "affirm"


def offer_in(event: dict[str, Any]) -> Offer | None:
    """The offer one bot message makes, or None when none of its buttons saves anything."""
    buttons = buttons_of(event)
    confirms = tuple(b for b in buttons if _decides(b, CONFIRMS))
    if not confirms:
        return None
    cancel = next((b for b in buttons if _decides(b, CANCELS)), None)
    timestamp = event.get("timestamp")
    shown_at = float(timestamp) if isinstance(timestamp, int | float) else None
    return Offer(confirms, cancel, tuple(buttons), shown_at)


def shown_offer(tracker: Tracker) -> Offer | None:
    """The offer in the bot's last reply, the one a typed yes or no answers."""
    return next(filter(None, map(offer_in, last_reply(tracker))), None)


def _plan_waiting(tracker: Tracker) -> bool:
    """Whether the order plan in the slot is still what a typed yes answers: a plan is
    remembered, and the newest offer shown (if the history holds any) is an order plan, not
    something offered after it."""
    if not tracker.get_slot(PLAN_SLOT):
        return False
    newest = next(filter(None, map(offer_in, bot_messages_before(tracker))), None)
    return newest is None or newest.is_order_plan


def as_tapped(turn: Turn, button: ShownButton) -> Turn:
    """This turn as if the user had tapped ``button``: the same text, metadata (signature,
    message time, update id) and history, with the button's intent and entities, so the
    button's own action runs exactly as for the tap."""
    tracker = turn.tracker
    latest = {
        **tracker.latest_message,
        "intent": {"name": button.intent, "confidence": 1.0},
        "entities": [{"entity": name, "value": value} for name, value in button.entities.items()],
    }
    tapped = Tracker(
        tracker.sender_id,
        tracker.slots,
        latest,
        tracker.events,
        tracker.is_paused(),
        tracker.followup_action,
        tracker.active_loop,
        tracker.latest_action_name,
    )
    return replace(turn, tracker=tapped)


def _run(turn: Turn, button: ShownButton) -> Reply:
    action = {**CONFIRMS, **CANCELS}[button.intent]()
    return action.respond(as_tapped(turn, button))


def _offer_again(turn: Turn, offer: Offer, key: str) -> Reply:
    """Nothing is written: say why, with the offer's buttons again under the message."""
    return Reply(
        texts=[turn.t(key, button=offer.confirms[0].title)],
        buttons=[Button(b.title, b.payload) for b in offer.buttons],
    )


def _shown_after_written(turn: Turn, offer: Offer) -> bool:
    """Whether the offer went out after the user wrote this message (a yes typed during an
    outage and replayed later). Telegram dates messages in whole seconds, so an offer sent
    within the second the message is dated counts as shown before it."""
    written = written_at(turn.tracker)
    if written is None or offer.shown_at is None:
        return False
    return int(offer.shown_at) > written.timestamp()


def _accept(turn: Turn, offer: Offer, text: str) -> Reply:
    if len(offer.confirms) > 1:
        return _offer_again(turn, offer, "offers.choose")
    if not is_explicit_confirmation(text):
        return _offer_again(turn, offer, "offers.unclear")
    if _shown_after_written(turn, offer):
        return _offer_again(turn, offer, "offers.shown_later")
    return _run(turn, offer.confirms[0])


def _decline(turn: Turn, offer: Offer, text: str) -> Reply:
    if offer.is_order_plan and is_correction(text):
        return ActionOrderChange().respond(turn)
    if offer.cancel is not None:
        return _run(turn, offer.cancel)
    return ActionPendingCancel().respond(turn)


def _answer_plan(turn: Turn, *, declined: bool, text: str) -> Reply:
    """The typed answer to the order plan remembered in the slot (step 2 of the module doc)."""
    if not declined:
        return ActionOrderConfirm().respond(turn)
    if is_correction(text):
        return ActionOrderChange().respond(turn)
    return ActionOrderCancel().respond(turn)


def answer_typed(turn: Turn) -> Reply | None:
    """Answer a typed yes or no (an affirm or deny without a button's entities) to whatever is
    pending, as the module docstring describes; None when nothing is, so the caller just
    acknowledges. A tap on a bare ``/affirm`` (a pushed reminder's 收到) confirms nothing."""
    text = user_text(turn)
    if not text:
        return None
    declined = intent_of(turn) == "deny" or is_cancellation(text)
    offer = shown_offer(turn.tracker)
    if offer is not None:
        return _decline(turn, offer, text) if declined else _accept(turn, offer, text)
    if _plan_waiting(turn.tracker):
        return _answer_plan(turn, declined=declined, text=text)
    return None
