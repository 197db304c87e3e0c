"""Small helpers the retailer-conversation actions share: button payloads and message refs.

A button's payload is sent back to Rasa as the user's next message (``/intent{"ref": "..."}``),
so everything a tap needs must be in that payload or findable from it. Payloads stay under
Telegram's 64-byte callback limit: a tap that acts on an earlier message names it by a short
``message ref`` (the start of Rasa's message id) instead of carrying its text, and the action
finds the text again in the tracker's events.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker

from actions.base import Turn

REF_LENGTH = 12


def payload(intent: str, ref: str | None = None) -> str:
    """A button payload that Rasa reads as ``intent`` with the ``ref`` entity."""
    if ref is None:
        return f"/{intent}"
    return f"/{intent}" + json.dumps({"ref": ref}, ensure_ascii=False, separators=(",", ":"))


def is_payload(text: str) -> bool:
    """True if the message is a button payload rather than something the user typed."""
    return text.lstrip().startswith("/")


def user_text(turn: Turn) -> str:
    """What the user typed, or "" when the message is a button payload."""
    text = turn.text.strip()
    return "" if is_payload(text) else text


def intent_of(turn: Turn) -> str | None:
    """The NLU intent of the latest message."""
    intent: dict[str, Any] = turn.tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def _user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def message_ref(tracker: Tracker) -> str:
    """A short reference to the latest user message, for a button that acts on it later."""
    events = _user_events(tracker)
    message_id = str(events[-1].get("message_id") or "") if events else ""
    return message_id[:REF_LENGTH]


def find_user_text(tracker: Tracker, ref: str) -> str | None:
    """The text of the user message ``ref`` points at (newest first), if it is still known."""
    if not ref:
        return None
    for event in reversed(_user_events(tracker)):
        if str(event.get("message_id") or "").startswith(ref):
            text = str(event.get("text") or "")
            return None if is_payload(text) else text
    return None


def split_ref(ref: str | None, *, parts: int) -> list[str] | None:
    """``"a:b"`` -> ``["a", "b"]`` when it has exactly ``parts`` parts, else None."""
    if not ref:
        return None
    pieces = ref.split(":")
    return pieces if len(pieces) == parts and all(pieces) else None


@dataclass(frozen=True)
class ShownButton:
    """A button under one of the bot's replies, read back from its payload: what a tap on it
    would send (``/visit_save{"ref":"12"}`` is intent ``visit_save`` with entity ref ``12``)."""

    title: str
    payload: str
    intent: str
    entities: dict[str, str]


_PAYLOAD = re.compile(r"/(?P<intent>\w+)(?P<entities>\{.*\})?", re.DOTALL)


def read_button(button: dict[str, Any]) -> ShownButton | None:
    """The button as a tap would send it, or None when its payload is no ``/intent{...}``."""
    target = str(button.get("payload") or "").strip()
    match = _PAYLOAD.fullmatch(target)
    if match is None:
        return None
    entities: dict[str, str] = {}
    if match["entities"]:
        try:
            parsed = json.loads(match["entities"])
        except json.JSONDecodeError:
            return None
        if not isinstance(parsed, dict):
            return None
        entities = {str(name): str(value) for name, value in parsed.items()}
    return ShownButton(str(button.get("title") or ""), target, match["intent"], entities)


def buttons_of(event: dict[str, Any]) -> list[ShownButton]:
    """The readable buttons under one bot message, in the order shown."""
    found = (read_button(b) for b in (event.get("data") or {}).get("buttons") or [])
    return [button for button in found if button is not None]


def _before_latest_message(tracker: Tracker) -> list[dict[str, Any]]:
    """The events before the latest user message: Rasa may add events (slots, featurization)
    after the message within its own turn, and the current action's replies are not yet in."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    return events[: users[-1]] if users else events


def bot_messages_before(tracker: Tracker) -> list[dict[str, Any]]:
    """The bot's messages before the latest user message, newest first."""
    return [e for e in reversed(_before_latest_message(tracker)) if e.get("event") == "bot"]


def last_reply(tracker: Tracker) -> list[dict[str, Any]]:
    """The bot's messages answering the user's previous message (the reply the user saw last
    before writing this one), newest first; empty when the bot said nothing since."""
    reply = []
    for event in reversed(_before_latest_message(tracker)):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            reply.append(event)
    return reply
