"""Contacting the manager, complaints, and the manager's answers.

Retailer side: a contact request, a complaint or an unanswered question is offered first
("I'll pass this to Manager Wang: ... Send?") and only a tap on the send button
(``/request_send{"ref": "<kind>:<message ref>"}``) logs it and notifies the manager. A retailer
can ask what became of their requests at any time.

Manager side: the pushed request carries one-tap replies (``/manager_reply{"ref": "ID:choice"}``)
and "write a reply" (``/manager_write{"ref": "ID"}``), which opens ``manager_answer_form``: the
manager's next message is the answer, delivered to the retailer.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import Button, Reply, RetailAction, Turn
from actions.conversation import (
    find_user_text,
    is_payload,
    message_ref,
    payload,
    split_ref,
    user_text,
)
from actions.visits import ActionVisitNote
from lang.confirmations import is_cancellation
from lang.status_questions import asks_for_status
from retail.errors import VisitShopUnknown, WrongRole
from retail.i18n import format_datetime
from retail.support import (
    QUICK_REPLIES,
    WRITE,
    Answered,
    RequestView,
    answer_request,
    manager_contact,
    quote,
    request_for_reply,
    requests_of,
    submit_request,
)

KIND_CODES = {"q": "question", "m": "contact", "c": "complaint"}
ANSWER_REQUEST = "answer_request"
ANSWER_TEXT = "answer_text"
CANCELLED = "\x00cancelled"
NO_MESSAGE = "-"


def manager_reply_payload(request_id: int, choice: str) -> str:
    """What a button under a pushed request sends back: a one-tap reply
    (``/manager_reply{"ref":"ID:choice"}``) or "write a reply" (``/manager_write{"ref":"ID"}``)."""
    if choice == WRITE:
        return payload("manager_write", str(request_id))
    return payload("manager_reply", f"{request_id}:{choice}")


def cancel_button(turn: Turn) -> Button:
    """The "cancel, change nothing" button every offer carries."""
    return Button(turn.t("support.cancel_button"), payload("pending_cancel"))


def render_requests(turn: Turn, requests: list[RequestView]) -> str:
    """The retailer's recent requests with their status and the latest answer."""
    if not requests:
        return turn.t("support.status_none")
    lines = [turn.t("support.status_header")]
    for request in requests:
        lines.append(
            turn.t(
                "support.status_item",
                id=request.id,
                kind=turn.t(f"support.kind.{request.kind}"),
                at=format_datetime(request.created_at, turn.language),
                text=quote(request.text, 40),
                status=turn.t(f"support.status.{request.status}"),
            )
        )
        if request.answer:
            lines.append(turn.t("support.status_answer", answer=quote(request.answer, 120)))
    return "\n".join(lines)


def status_reply(turn: Turn) -> Reply | None:
    """The retailer's requests, if their message asks what became of them (whatever intent
    the NLU gave it: 我的投诉处理得怎么样了 often looks like a policy question)."""
    text = user_text(turn)
    if not turn.principal.is_retailer or not text or not asks_for_status(text):
        return None
    return Reply(texts=[render_requests(turn, requests_of(turn.session, turn.principal))])


class ActionContactManager(RetailAction):
    """ "I want my manager": who they are, how to call, and the offer to have them get in touch."""

    action_name = "action_contact_manager"

    def respond(self, turn: Turn) -> Reply:
        status = status_reply(turn)
        if status is not None:
            return status
        contact = manager_contact(turn.session, turn.principal, turn.language)
        texts = [
            turn.t("support.contact_info", manager=contact.name, phone=contact.phone),
            turn.t("support.contact_offer", manager=contact.name),
        ]
        ref = message_ref(turn.tracker) if user_text(turn) else NO_MESSAGE
        send = Button(
            turn.t("support.contact_button", manager=contact.name),
            payload("request_send", f"m:{ref}"),
        )
        return Reply(texts=texts, buttons=[send, cancel_button(turn)])


class ActionComplaint(RetailAction):
    """A complaint: offered for logging with the manager; or, if asked, earlier ones' status."""

    action_name = "action_complaint"

    def respond(self, turn: Turn) -> Reply:
        text = user_text(turn)
        if not turn.principal.is_retailer:
            if turn.principal.is_manager and text:
                return _manager_observation(turn)
            raise WrongRole()
        if not text:
            return Reply(texts=[turn.t("support.complaint_ask")])
        status = status_reply(turn)
        if status is not None:
            return status
        contact = manager_contact(turn.session, turn.principal, turn.language)
        send = Button(
            turn.t("support.complaint_button"),
            payload("request_send", f"c:{message_ref(turn.tracker)}"),
        )
        return Reply(
            texts=[turn.t("support.complaint_offer", manager=contact.name, text=quote(text, 300))],
            buttons=[send, cancel_button(turn)],
        )


def _manager_observation(turn: Turn) -> Reply:
    """A manager's grievance about one of their shops ("didn't like the display at 张记") is an
    observation from a visit: it is drafted as a visit note (nothing is saved before Save).
    Managers file no complaints, so without a shop of theirs it is the wrong-role answer."""
    try:
        return ActionVisitNote().respond(turn)
    except VisitShopUnknown:
        raise WrongRole() from None


class ActionRequestSend(RetailAction):
    """The retailer tapped "send to my manager": log the request and notify the manager."""

    action_name = "action_request_send"

    def respond(self, turn: Turn) -> Reply:
        parts = split_ref(turn.entity("ref"), parts=2)
        kind = KIND_CODES.get(parts[0]) if parts else None
        text = find_user_text(turn.tracker, parts[1]) if parts else None
        if kind == "contact" and parts and parts[1] == NO_MESSAGE:
            text = turn.t("support.contact_default")
        if kind is None or not text:
            return Reply(texts=[turn.t("button.expired")])
        submitted = submit_request(
            turn.session,
            turn.principal,
            kind=kind,
            text=text,
            clock=turn.clock,
            language=turn.language,
            reply_payload=manager_reply_payload,
        )
        manager = submitted.manager
        key = f"support.sent.{kind}" if manager.on_telegram else "support.sent_offline"
        texts = [turn.t(key, manager=manager.name, phone=manager.phone, id=submitted.request.id)]
        buttons = []
        if kind == "complaint":
            buttons.append(Button(turn.t("support.status_button"), payload("complaint_status")))
        return Reply(texts=texts, buttons=buttons)


class ActionRequestStatus(RetailAction):
    """What became of the retailer's complaints and questions."""

    action_name = "action_request_status"

    def respond(self, turn: Turn) -> Reply:
        return Reply(texts=[render_requests(turn, requests_of(turn.session, turn.principal))])


class ActionPendingCancel(RetailAction):
    """The user tapped cancel on an offer: nothing is written."""

    action_name = "action_pending_cancel"

    def respond(self, turn: Turn) -> Reply:
        return Reply(texts=[turn.t("support.cancelled")])


def _request_id(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


class ActionManagerReply(RetailAction):
    """A manager's one-tap reply to a request: status updated, retailer told."""

    action_name = "action_manager_reply"

    def respond(self, turn: Turn) -> Reply:
        parts = split_ref(turn.entity("ref"), parts=2)
        request_id = _request_id(parts[0]) if parts else None
        if parts is None or request_id is None or parts[1] not in QUICK_REPLIES:
            return Reply(texts=[turn.t("button.expired")])
        answered = answer_request(
            turn.session, turn.principal, request_id, clock=turn.clock, choice=parts[1]
        )
        return Reply(texts=[self.confirmation(turn, answered.request, answered)])

    @staticmethod
    def confirmation(turn: Turn, request: RequestView, answered: Answered) -> str:
        """What the manager is told after answering."""
        text = turn.t(
            "support.reply_sent",
            shop=request.retailer_name,
            answer=quote(request.answer, 200),
            status=turn.t(f"support.status.{request.status}"),
        )
        if not answered.retailer_on_telegram:
            text += "\n" + turn.t("support.retailer_offline", phone=answered.retailer_phone)
        return text


class ActionManagerWrite(RetailAction):
    """A manager tapped "write a reply": remember which request; the form asks for the text."""

    action_name = "action_manager_write"

    def respond(self, turn: Turn) -> Reply:
        request_id = _request_id(turn.entity("ref"))
        if request_id is None:
            return Reply(texts=[turn.t("button.expired")], events=[SlotSet(ANSWER_REQUEST, None)])
        request = request_for_reply(turn.session, turn.principal, request_id)
        return Reply(events=[SlotSet(ANSWER_REQUEST, str(request.id)), SlotSet(ANSWER_TEXT, None)])

    def _run_sync(self, tracker: Tracker) -> Reply:
        """On a refusal (not their shop, no such request) forget any request: the form ends."""
        reply = super()._run_sync(tracker)
        if not reply.events:
            reply.events.append(SlotSet(ANSWER_REQUEST, None))
        return reply


class ActionAskAnswerText(RetailAction):
    """The form's question: ask the manager for the reply text."""

    action_name = "action_ask_answer_text"

    def respond(self, turn: Turn) -> Reply:
        request_id = _request_id(turn.tracker.get_slot(ANSWER_REQUEST))
        if request_id is None:
            return Reply(texts=[turn.t("button.expired")])
        request = request_for_reply(turn.session, turn.principal, request_id)
        return Reply(
            texts=[
                turn.t(
                    "support.write_prompt",
                    shop=request.retailer_name,
                    code=request.retailer_code,
                    text=quote(request.text, 200),
                )
            ]
        )


class ValidateManagerAnswerForm(FormValidationAction):
    """Checks the manager's reply text; ends the form at once when there is no request."""

    def name(self) -> str:
        return "validate_manager_answer_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """No request to answer (expired button, no access): nothing to ask."""
        return domain_slots if tracker.get_slot(ANSWER_REQUEST) else []

    def validate_answer_text(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A cancel word cancels; a button payload is not an answer; anything else is."""
        text = str(slot_value or "").strip()
        if not text or is_payload(text):
            return {ANSWER_TEXT: None}
        if is_cancellation(text):
            return {ANSWER_TEXT: CANCELLED}
        return {ANSWER_TEXT: text}


class ActionManagerAnswer(RetailAction):
    """The form is done: deliver the manager's written reply to the retailer."""

    action_name = "action_manager_answer"

    def respond(self, turn: Turn) -> Reply:
        reset = [SlotSet(ANSWER_REQUEST, None), SlotSet(ANSWER_TEXT, None)]
        request_id = _request_id(turn.tracker.get_slot(ANSWER_REQUEST))
        text = str(turn.tracker.get_slot(ANSWER_TEXT) or "")
        if request_id is None or not text:
            return Reply(events=reset)
        if text == CANCELLED:
            return Reply(texts=[turn.t("support.write_cancelled")], events=reset)
        answered = answer_request(
            turn.session, turn.principal, request_id, clock=turn.clock, text=text
        )
        return Reply(
            texts=[ActionManagerReply.confirmation(turn, answered.request, answered)], events=reset
        )
