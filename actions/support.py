"""Contacting the manager, complaints, and the manager's answers.

Retailer side: a contact request, a complaint or an unanswered question is offered first
("I'll pass this to Manager Wang: ... Send?") and only a tap on the send button
(``/request_send{"ref": "<kind>:<message ref>"}``) logs it and notifies the manager. A retailer
can ask what became of their requests at any time.

A complaint is filed with what happened, when and which product. ``action_complaint`` reads
what it can from the first message (利群这周到货有三条破损 says all three); whatever is missing
(all of it for a bare 我要投诉) is asked by ``complaint_form`` (:class:`ValidateComplaintForm`,
shared machinery in actions/forms.py), and the summary is offered with a send button
``/request_send{"ref":"f:<message ref>"}`` naming the turn that finished it: the tap files the
slots as they were at the end of that turn (:func:`actions.forms.slots_after_message`), so it
files exactly what was shown, once (the same text within a day is one request), in 37 bytes.

Manager side: the pushed request carries one-tap replies (``/manager_reply{"ref": "ID:choice"}``)
and "write a reply" (``/manager_write{"ref": "ID"}``), which opens ``manager_answer_form``: the
manager's next message is the answer, delivered to the retailer.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any, ClassVar

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
from actions.forms import (
    CANCELLED,
    FAILURES,
    GAVE_UP,
    Answer,
    Fallback,
    RetailFormValidation,
    ended,
    question,
    slots_after_message,
)
from actions.visits import draft_note, sent_at
from lang.confirmations import is_cancellation
from lang.form_answers import complaint_detail, says_none, says_unknown
from lang.status_questions import asks_for_status
from lang.times import TimeValue, find_times
from retail.catalog import load_catalog, resolve_products, suggest_products
from retail.errors import VisitShopUnknown, WrongRole
from retail.i18n import format_datetime, format_day
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

FORM_COMPLAINT = "f"
"""The kind code of a complaint filed from the form's summary (the others name one message)."""
KIND_CODES = {"q": "question", "m": "contact", "c": "complaint", FORM_COMPLAINT: "complaint"}
ANSWER_REQUEST = "answer_request"
ANSWER_TEXT = "answer_text"
NO_MESSAGE = "-"

COMPLAINT_OPEN = "complaint_open"
"""Set by action_complaint when the complaint lacks something: the rules then run the form."""
WHAT = "complaint_what"
WHEN = "complaint_when"
"""An ISO date (2026-12-03), time (2026-12-03T15:00) or period (first/last), or UNKNOWN_TIME."""
PRODUCT = "complaint_product"
"""Catalog specs joined by PRODUCT_SEP, or NO_PRODUCT."""
COMPLAINT_SLOTS = (WHAT, WHEN, PRODUCT)
UNKNOWN_TIME = "unknown"
NO_PRODUCT = "none"
PRODUCT_SEP = "|"


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
    """A complaint: what it already says is kept, and it is offered for logging with the
    manager when it says what happened, when and which product; otherwise ``complaint_open``
    lets complaint_form ask for the rest. A question about earlier complaints gets their status;
    a manager's grievance about one of their shops is a visit observation."""

    action_name = "action_complaint"

    def respond(self, turn: Turn) -> Reply:
        text = user_text(turn)
        if not turn.principal.is_retailer:
            if turn.principal.is_manager and text:
                return _manager_observation(turn)
            raise WrongRole()
        status = status_reply(turn)
        if status is not None:
            status.events.append(SlotSet(COMPLAINT_OPEN, None))
            return status
        values = read_complaint(turn, text)
        events = [SlotSet(name, value) for name, value in values.items()]
        events.append(SlotSet(FAILURES, None))
        if not all(values.values()):
            return Reply(events=[*events, SlotSet(COMPLAINT_OPEN, True)])
        reply = complaint_offer(turn, values)
        reply.events[:0] = [*events, SlotSet(COMPLAINT_OPEN, None)]
        return reply


def read_complaint(turn: Turn, text: str) -> dict[str, str | None]:
    """What a complaint message already says: what happened (without 我要投诉 before it),
    when (the first time it names, read as past) and which products; None where it says
    nothing."""
    times = find_times(text, now=sent_at(turn), prefer="past")
    products = resolve_products(turn.session, text)
    spans = [(m.start, m.end) for m in times] + [(p.start, p.end) for p in products]
    return {
        WHAT: complaint_detail(text, spans=spans) or None,
        WHEN: stated_time(times[0].value) if times else None,
        PRODUCT: PRODUCT_SEP.join(p.product.spec for p in products) or None,
    }


def stated_time(value: TimeValue) -> str:
    """A time as the complaint keeps it: a day, a clock time, or a period's first and last
    day (or first and last time within a day; 24:00 for the end of one)."""
    if value.grain == "day":
        return value.value.date().isoformat()
    if value.grain in ("hour", "minute", "second"):
        return f"{value.value:%Y-%m-%dT%H:%M}"
    start, end = value.start, value.end
    if start.time() == time(0) and end.time() == time(0):
        last = (end - timedelta(days=1)).date()
        return start.date().isoformat() if last <= start.date() else f"{start.date()}/{last}"
    if end.time() == time(0) and end.date() == start.date() + timedelta(days=1):
        return f"{start:%Y-%m-%dT%H:%M}/{start.date()}T24:00"
    return f"{start:%Y-%m-%dT%H:%M}/{end:%Y-%m-%dT%H:%M}"


def _day(turn: Turn, iso: str) -> str:
    return format_day(date.fromisoformat(iso[:10]), turn.language)


def render_when(turn: Turn, stored: str) -> str:
    """A kept time (:func:`stated_time`) for the user: 12月3日(周三) 15:00, 12月1日(周一)–
    12月7日(周日), 不记得."""
    if stored == UNKNOWN_TIME:
        return turn.t("forms.complaint.when_unknown")
    parts = stored.split("/")
    shown = [_day(turn, part) + (f" {part[11:16]}" if "T" in part else "") for part in parts]
    if len(parts) == 2 and "T" in parts[1] and parts[0][:10] == parts[1][:10]:
        return f"{shown[0]}–{parts[1][11:16]}"
    return "–".join(shown)


def render_products(turn: Turn, stored: str) -> str:
    """Kept products by name (English name and spec in English), or "no product"."""
    if stored == NO_PRODUCT:
        return turn.t("forms.complaint.no_product")
    by_spec = {product.spec: product for product in load_catalog(turn.session)}
    names = []
    for spec in stored.split(PRODUCT_SEP):
        product = by_spec.get(spec)
        english = turn.language == "en" and product is not None and product.name_en
        names.append(f"{product.name_en} ({spec})" if english and product else spec)
    return turn.t("forms.complaint.product_sep").join(names)


def _complaint_fields(turn: Turn, values: dict[str, Any]) -> dict[str, str]:
    return {
        "what": quote(str(values[WHAT]), 300),
        "when": render_when(turn, str(values[WHEN])),
        "product": render_products(turn, str(values[PRODUCT])),
    }


def complaint_offer(turn: Turn, values: dict[str, Any]) -> Reply:
    """The complaint's summary with the send and cancel buttons; the send button names this
    turn, whose slots hold what is shown (see the module docstring)."""
    contact = manager_contact(turn.session, turn.principal, turn.language)
    send = Button(
        turn.t("support.complaint_button"),
        payload("request_send", f"{FORM_COMPLAINT}:{message_ref(turn.tracker)}"),
    )
    text = turn.t("forms.complaint.offer", manager=contact.name, **_complaint_fields(turn, values))
    return Reply(texts=[text], buttons=[send, cancel_button(turn)])


def filed_complaint(turn: Turn, ref: str) -> str | None:
    """The text a tap on a summary's send button files: what happened, when and the product,
    as shown in the summary of turn ``ref``; None if that summary is no longer known."""
    values = slots_after_message(turn.tracker, ref, COMPLAINT_SLOTS)
    if values is None or not all(values.values()) or ended(values.values()):
        return None
    return turn.t("forms.complaint.filed", **_complaint_fields(turn, values))


def _manager_observation(turn: Turn) -> Reply:
    """A manager's grievance about one of their shops ("didn't like the display at 张记") is an
    observation from a visit: it is drafted as a visit note (nothing is saved before Save).
    Managers file no complaints, so without a shop of theirs it is the wrong-role answer."""
    try:
        return draft_note(turn, user_text(turn))
    except VisitShopUnknown:
        raise WrongRole() from None


class ActionAskComplaintWhat(RetailAction):
    """complaint_form's first question: what happened."""

    action_name = "action_ask_complaint_what"

    def respond(self, turn: Turn) -> Reply:
        return question(turn, "forms.complaint.ask_what")


class ActionAskComplaintWhen(RetailAction):
    """complaint_form: when it happened (不记得 is an answer)."""

    action_name = "action_ask_complaint_when"

    def respond(self, turn: Turn) -> Reply:
        return question(turn, "forms.complaint.ask_when")


class ActionAskComplaintProduct(RetailAction):
    """complaint_form: which product (没有 / 不涉及 is an answer)."""

    action_name = "action_ask_complaint_product"

    def respond(self, turn: Turn) -> Reply:
        return question(turn, "forms.complaint.ask_product")


class ValidateComplaintForm(RetailFormValidation):
    """Reads the answers to complaint_form's questions (lang reads the words, the catalog the
    products). A time or product that cannot be read is asked again, politely; after two such
    answers the time is kept as unknown and the product as none. "What happened" takes any
    words that say something (not 我要投诉 again); after two empty answers the form ends.
    Cancel words, side questions and other messages: see actions/forms.py."""

    gate_slot = COMPLAINT_OPEN
    fallbacks: ClassVar[dict[str, Fallback]] = {
        WHEN: Fallback(UNKNOWN_TIME, "forms.complaint.when_fallback"),
        PRODUCT: Fallback(NO_PRODUCT, "forms.complaint.product_fallback"),
    }
    free_text = (WHAT,)

    def name(self) -> str:
        return "validate_complaint_form"

    def read(self, turn: Turn, slot: str, text: str) -> Answer:
        """One answer to the question about ``slot``."""
        if slot == WHAT:
            found = read_complaint(turn, text)
            what = found.pop(WHAT)
            if what is None:
                return Answer(None, (turn.t("forms.complaint.what_unclear"),))
            return Answer(what, also=tuple((k, v) for k, v in found.items() if v is not None))
        if slot == WHEN:
            times = find_times(text, now=sent_at(turn), prefer="past")
            if times:
                return Answer(stated_time(times[0].value))
            if says_unknown(text):
                return Answer(UNKNOWN_TIME)
            return Answer(None, (turn.t("forms.complaint.when_unclear"),))
        products = resolve_products(turn.session, text)
        if products:
            return Answer(PRODUCT_SEP.join(p.product.spec for p in products))
        if says_none(text):
            return Answer(NO_PRODUCT)
        suggestions = [p.spec for p in suggest_products(turn.session, text)]
        key = (
            "forms.complaint.product_unknown_suggest"
            if suggestions
            else "forms.complaint.product_unknown"
        )
        sep = turn.t("forms.complaint.product_sep")
        return Answer(None, (turn.t(key, text=quote(text, 30), suggestions=sep.join(suggestions)),))

    async def validate_complaint_what(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """What happened."""
        return await self.check(WHAT, value, dispatcher, tracker)

    async def validate_complaint_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """When it happened."""
        return await self.check(WHEN, value, dispatcher, tracker)

    async def validate_complaint_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Which product."""
        return await self.check(PRODUCT, value, dispatcher, tracker)


class ActionComplaintOffer(RetailAction):
    """complaint_form is done: offer the summary for sending, or say the complaint was
    cancelled (nothing written). Nothing at all when no complaint form was open."""

    action_name = "action_complaint_offer"

    def respond(self, turn: Turn) -> Reply:
        if not turn.tracker.get_slot(COMPLAINT_OPEN):
            return Reply()
        values = {name: turn.tracker.get_slot(name) for name in COMPLAINT_SLOTS}
        closed = [SlotSet(COMPLAINT_OPEN, None), SlotSet(FAILURES, None)]
        outcome = ended(values.values())
        if outcome is not None or not all(values.values()):
            key = "forms.complaint.gave_up" if outcome == GAVE_UP else "forms.complaint.cancelled"
            cleared = [SlotSet(name, None) for name in COMPLAINT_SLOTS]
            return Reply(texts=[turn.t(key)], events=[*closed, *cleared])
        reply = complaint_offer(turn, values)
        reply.events[:0] = closed
        return reply


class ActionRequestSend(RetailAction):
    """The retailer tapped "send to my manager": log the request and notify the manager."""

    action_name = "action_request_send"

    def respond(self, turn: Turn) -> Reply:
        parts = split_ref(turn.entity("ref"), parts=2)
        kind = KIND_CODES.get(parts[0]) if parts else None
        text = None
        if parts and parts[0] == FORM_COMPLAINT:
            text = filed_complaint(turn, parts[1])
        elif parts:
            text = find_user_text(turn.tracker, parts[1])
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
