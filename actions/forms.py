"""What the retail forms share: checking an answer, cancelling, side questions, and reading
a finished form back later.

How a form works here (complaint_form in actions/support.py, visit_shop_form in
actions/visits.py): an opening action reads the user's first message, fills what it can and
sets the form's *gate* slot (a bool the rules test with ``slot_was_set``) only when something
is missing, so a message that says everything gets its offer at once and no form runs. Each
question is an ``action_ask_<slot>`` retail action; every answer arrives raw, through a
``from_text`` mapping conditioned on the form and the requested slot, so the validator sees the
text whatever intent the NLU gave it (算了 read as deny or as a complaint). After the form a
submit action (rule in data/rules/forms.yml) makes the offer, or says the form was cancelled.

How to adopt :class:`RetailFormValidation`: subclass it, set ``gate_slot`` and ``fallbacks``,
implement :meth:`RetailFormValidation.read` (one answer in, an :class:`Answer` out; runs in a
worker thread with a database session, like a retail action) and add a one-line
``validate_<slot>`` per slot that awaits :meth:`RetailFormValidation.check`. The base then:

- cancels at any question on a cancel word (lang.confirmations.is_cancellation: 算了, 不要了,
  取消, cancel, never mind) or a tap on a cancel button: the slot is set to :data:`CANCELLED`,
  the form ends, and the submit action says so and writes nothing;
- answers a side question and asks its question again (see :data:`SIDE_QUESTIONS`);
- counts failed answers: after ``max_failures`` (:data:`MAX_FAILURES`) a slot with a fallback
  takes it (a complaint's time becomes "unknown"), a slot without one ends the form
  (:data:`GAVE_UP`);
- ends the form (:data:`CANCELLED`) for a message the bot did not sign: the submit action, a
  retail action, then gives the usual refusal.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import Button, Reply, RetailAction, Turn, unverified_reason
from actions.conversation import is_payload, payload
from actions.runtime import runtime
from lang.confirmations import is_cancellation
from lang.form_answers import is_question
from retail.errors import RetailError

REQUESTED_SLOT = "requested_slot"
FAILURES = "form_failures"
"""How many answers in a row the current question got that could not be used."""
CANCELLED = "\x00cancelled"
"""A slot value meaning: the user called the form off (nothing is written)."""
GAVE_UP = "\x00gave_up"
"""A slot value meaning: the answers could not be used, and the slot has no fallback."""
MAX_FAILURES = 2
SIDE_QUESTIONS = ("ask_price", "ask_policy", "settlement_status", "order_show")
"""Questions answered in the middle of a form, which then asks its question again.

A retailer halfway through a complaint who asks 利群多少钱? or 我账户还有多少钱 expects the
answer, and the complaint not to be lost: so a message the NLU reads as one of these with
:data:`SIDE_CONFIDENCE` and that is put as a question (or is no usable answer) gets that
action's answer (text only: buttons would start another flow) and the same question again.
Anything else in the middle (an order change, another complaint) is taken as an answer and,
if it is none, asked again politely; the user can always cancel and start the other task.
"""
SIDE_CONFIDENCE = 0.8
CANCEL_PAYLOAD = payload("pending_cancel")
"""What the cancel button under each question sends."""


@dataclass(frozen=True)
class Answer:
    """What a form made of one answer: the value to keep (None: ask again), what to say first
    (why it was not taken), and values for the form's other slots the same words gave (an
    answer to "what happened?" that also says when), kept only where nothing is yet."""

    value: str | None
    texts: tuple[str, ...] = ()
    also: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Fallback:
    """The value a slot takes after :data:`MAX_FAILURES` unusable answers, and what to say."""

    value: str
    text_key: str


Step = Callable[[Turn], Reply]


class _TurnStep(RetailAction):
    """Runs one function with a :class:`Turn`, as a retail action would (session, principal,
    language, domain errors mapped to polite texts), for code that is not an action.

    No action name of its own: the action server registers every Action subclass it can
    build, and this one must not be callable from Rasa (built without a step, it does nothing).
    """

    def __init__(self, step: Step | None = None) -> None:
        self._step = step

    def respond(self, turn: Turn) -> Reply:
        return self._step(turn) if self._step is not None else Reply()


async def in_turn(tracker: Tracker, step: Step) -> Reply:
    """``step`` run in a worker thread with the turn of ``tracker``'s latest message."""
    return await asyncio.to_thread(_TurnStep(step)._run_sync, tracker)


def _intent(turn: Turn) -> tuple[str, float]:
    intent = turn.tracker.latest_message.get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def _side_actions() -> dict[str, RetailAction]:
    # Imported on use: actions.policy and actions.settlement import actions.support, which
    # imports this module.
    from actions.orders import ActionOrderShow
    from actions.policy import ActionPolicy
    from actions.prices import ActionPrice
    from actions.settlement import ActionSettlementStatus

    return {
        "ask_price": ActionPrice(),
        "ask_policy": ActionPolicy(),
        "settlement_status": ActionSettlementStatus(),
        "order_show": ActionOrderShow(),
    }


def side_answer(turn: Turn) -> list[str]:
    """The answer to a side question (see :data:`SIDE_QUESTIONS`), or [] if it is none."""
    name, confidence = _intent(turn)
    if name not in SIDE_QUESTIONS or confidence < SIDE_CONFIDENCE:
        return []
    try:
        return _side_actions()[name].respond(turn).texts
    except RetailError as error:
        return [turn.t(error.key, **error.params)]


class RetailFormValidation(FormValidationAction):
    """Base of the retail form validators; see the module docstring for how to use it.

    Abstract, so the action server does not register it as an action of its own.
    """

    gate_slot: ClassVar[str] = ""
    fallbacks: ClassVar[dict[str, Fallback]] = {}
    max_failures: ClassVar[int] = MAX_FAILURES
    free_text: ClassVar[tuple[str, ...]] = ()
    """Slots that take any words (what happened): a question there is a side question only
    when put as one, never because it was no usable answer."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    @abstractmethod
    def read(self, turn: Turn, slot: str, text: str) -> Answer:
        """Read one typed answer to ``slot``'s question."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Nothing to ask when the form was not opened (no gate) or has ended (cancelled,
        given up): the form then ends at once."""
        if not tracker.get_slot(self.gate_slot):
            return []
        if any(tracker.get_slot(slot) in (CANCELLED, GAVE_UP) for slot in domain_slots):
            return []
        return domain_slots

    async def check(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """The slot values after one answer to ``slot``'s question (see the module docstring).

        A value that is no answer to the question being asked (the opening action filled it
        from the first message, read already) is kept as it is.
        """
        if tracker.get_slot(REQUESTED_SLOT) != slot:
            return {slot: value}
        if unverified_reason(tracker, runtime().signing_secret) is not None:
            return {slot: CANCELLED}
        text = str(value or "").strip()
        reply = await in_turn(tracker, lambda turn: self._judge(turn, slot, text))
        for message in reply.texts:
            dispatcher.utter_message(text=message)
        values = {e["name"]: e["value"] for e in reply.events if e.get("event") == "slot"}
        if slot not in values:
            # The step failed (its error was said): end the form rather than loop on it.
            values[slot] = GAVE_UP
        return values

    def _judge(self, turn: Turn, slot: str, text: str) -> Reply:
        if is_payload(text):
            if text.startswith(CANCEL_PAYLOAD):
                return Reply(events=[SlotSet(slot, CANCELLED)])
            return Reply(texts=[turn.t("forms.answer_first")], events=[SlotSet(slot, None)])
        if not text:
            return Reply(events=[SlotSet(slot, None)])
        if is_cancellation(text):
            return Reply(events=[SlotSet(slot, CANCELLED)])
        side = side_answer(turn) if is_question(text) else []
        if side:
            return Reply(texts=side, events=[SlotSet(slot, None)])
        answer = self.read(turn, slot, text)
        if answer.value is not None:
            also = [
                SlotSet(name, v) for name, v in answer.also if turn.tracker.get_slot(name) is None
            ]
            return Reply(
                texts=list(answer.texts),
                events=[SlotSet(slot, answer.value), SlotSet(FAILURES, None), *also],
            )
        if slot not in self.free_text:
            side = side_answer(turn)
            if side:
                return Reply(texts=side, events=[SlotSet(slot, None)])
        return self._failed(turn, slot, answer)

    def _failed(self, turn: Turn, slot: str, answer: Answer) -> Reply:
        failures = int(turn.tracker.get_slot(FAILURES) or 0) + 1
        if failures < self.max_failures:
            return Reply(
                texts=list(answer.texts),
                events=[SlotSet(slot, None), SlotSet(FAILURES, failures)],
            )
        fallback = self.fallbacks.get(slot)
        if fallback is None:
            return Reply(events=[SlotSet(slot, GAVE_UP), SlotSet(FAILURES, None)])
        return Reply(
            texts=[turn.t(fallback.text_key)],
            events=[SlotSet(slot, fallback.value), SlotSet(FAILURES, None)],
        )


def question(turn: Turn, key: str, **params: Any) -> Reply:
    """A form's question (``action_ask_<slot>``), with a cancel button under it."""
    return Reply(
        texts=[turn.t(key, **params)],
        buttons=[Button(turn.t("support.cancel_button"), CANCEL_PAYLOAD)],
    )


def ended(values: Iterable[Any]) -> str | None:
    """:data:`CANCELLED` or :data:`GAVE_UP` if a form holding ``values`` was ended early."""
    found = set(values)
    for outcome in (CANCELLED, GAVE_UP):
        if outcome in found:
            return outcome
    return None


def slots_after_message(tracker: Tracker, ref: str, names: Iterable[str]) -> dict[str, Any] | None:
    """The values ``names`` had at the end of the turn of the user message ``ref`` points at
    (the start of its Rasa message id), or None when that message is no longer known.

    An offer made at the end of a form names the turn that finished it, so a tap on it later
    files what was shown, even after the slots were cleared or another complaint began.
    """
    if not ref:
        return None
    wanted = set(names)
    values: dict[str, Any] = {}
    found = False
    for event in tracker.events:
        kind = event.get("event")
        if kind == "user":
            if found:
                break
            found = str(event.get("message_id") or "").startswith(ref)
        elif kind == "slot" and event.get("name") in wanted:
            values[str(event["name"])] = event.get("value")
        elif kind in ("restart", "reset_slots"):
            values.clear()
    return {name: values.get(name) for name in wanted} if found else None
