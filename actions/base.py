"""The base every retail action derives from.

How to adopt it: subclass :class:`RetailAction`, set ``action_name``, and implement
:meth:`RetailAction.respond`, which runs in a worker thread with an open database session and
returns a :class:`Reply`. The base first checks that the bot signed the latest message for
this sender (``trust/``; anything else gets a polite refusal and nothing more), then resolves
who is talking (unbound users get the binding instructions and nothing else), takes the reply
language the bot decided for this message (signed with it, ``language`` in the metadata; only
when a message carries none does the action decide it the same way), maps domain exceptions to
polite messages, and makes sure no traceback ever reaches the user.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.runtime import runtime
from lang.language import detect_language
from retail.access import Principal, language_for, principal_for
from retail.clock import Clock
from retail.errors import NotBound, RetailError
from retail.i18n import LANGUAGES, reply_language, t
from trust import LANGUAGE_KEY, verify

log = logging.getLogger(__name__)


@dataclass
class Button:
    """A reply button: its label, and the message (usually ``/intent{...}``) a tap sends back."""

    title: str
    payload: str


@dataclass
class Reply:
    """What an action says (one or more messages, buttons on the last) and the events it sets."""

    texts: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Turn:
    """The current message as an action sees it."""

    tracker: Tracker
    session: Session
    principal: Principal
    language: str
    clock: Clock

    @property
    def text(self) -> str:
        return str(self.tracker.latest_message.get("text") or "")

    def entity(self, name: str) -> str | None:
        """The first value of an entity in the latest message, if any."""
        value = next(self.tracker.get_latest_entity_values(name), None)
        return str(value) if value is not None else None

    def t(self, key: str, **params: Any) -> str:
        """A message in this turn's language."""
        return t(self.language, key, **params)


def telegram_user_id(tracker: Tracker) -> int | None:
    """The sender id is the Telegram user id (CONTRACT.md); anything else is nobody."""
    sender = str(tracker.sender_id or "")
    return int(sender) if sender.isdigit() else None


def unverified_reason(tracker: Tracker, secret: str) -> str | None:
    """Why the latest message is not one the bot signed for this sender, or None if it is.

    The sender id is the key to a shop's data, and anyone who reaches Rasa or the action server
    can claim any; only the bot's signature (metadata of the user message, kept by Rasa) says
    the bot forwarded this text from this Telegram user. No secret configured refuses all.
    """
    if not secret:
        return "no_secret"
    latest = tracker.latest_message or {}
    text = latest.get("text")
    verdict = verify(
        secret,
        latest.get("metadata"),
        sender=str(tracker.sender_id or ""),
        text=text if isinstance(text, str) else None,
    )
    return None if verdict.reason is None else verdict.reason.value


def signed_language(tracker: Tracker) -> str | None:
    """The reply language the bot decided for the latest message, if it stated one we speak.

    Only for a message whose signature verified (:func:`unverified_reason` is None): the
    signature covers the ``language`` entry (``trust.signing``), so it is the bot's decision,
    made once per message with the user's chosen, written and saved languages in view. None
    (a message from an older bot, a test, ``rasa shell``) leaves the action to decide itself.
    """
    metadata = (tracker.latest_message or {}).get("metadata")
    language = metadata.get(LANGUAGE_KEY) if isinstance(metadata, dict) else None
    return language if language in LANGUAGES else None


class RetailAction(Action):
    """Base of the retail actions; see the module docstring for how to use it."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    def _refusal(self, tracker: Tracker) -> Reply | None:
        """A polite refusal when the bot did not sign this message for this sender."""
        reason = unverified_reason(tracker, runtime().signing_secret)
        if reason is None:
            return None
        log.warning(
            "unsigned message refused",
            extra={"action": self.name(), "sender": str(tracker.sender_id), "reason": reason},
        )
        text = str((tracker.latest_message or {}).get("text") or "")
        return Reply(texts=[t(reply_language(detect_language(text), None), "error.unverified")])

    def respond(self, turn: Turn) -> Reply:
        """Build the reply for a bound user (runs in a worker thread)."""
        raise NotImplementedError

    def _run_sync(self, tracker: Tracker) -> Reply:
        """Called only for a message whose signature verified (see :meth:`run`)."""
        user_id = telegram_user_id(tracker)
        decided = signed_language(tracker)
        detected = (
            None if decided else detect_language(str(tracker.latest_message.get("text") or ""))
        )
        language = decided or reply_language(detected, None)
        try:
            with runtime().database.session() as session:
                if user_id is None:
                    raise NotBound()
                if decided is None:
                    language = language_for(session, user_id, detected)
                principal = principal_for(session, user_id)
                turn = Turn(tracker, session, principal, language, runtime().clock)
                return self.respond(turn)
        except RetailError as error:
            return Reply(texts=[t(language, error.key, **error.params)])
        except Exception:
            log.exception("action failed", extra={"action": self.name()})
            return Reply(texts=[t(language, "error.generic")])

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run :meth:`respond` off the event loop and send what it says; nothing at all but a
        refusal for a message the bot did not sign."""
        reply = self._refusal(tracker)
        if reply is None:
            reply = await asyncio.to_thread(self._run_sync, tracker)
        for index, text in enumerate(reply.texts):
            last = index == len(reply.texts) - 1
            buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
            dispatcher.utter_message(text=text, buttons=buttons if last and buttons else None)
        return reply.events
