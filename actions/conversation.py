"""Small helpers the retailer-conversation actions share: button payloads and message refs.

A button's payload is sent back to Rasa as the user's next message (``/intent{"ref": "..."}``),
so everything a tap needs must be in that payload or findable from it. Payloads stay under
Telegram's 64-byte callback limit: a tap that acts on an earlier message names it by a short
``message ref`` (the start of Rasa's message id) instead of carrying its text, and the action
finds the text again in the tracker's events.
"""

from __future__ import annotations

import json
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


CONFIRM_INTENTS = (
    "deposit_confirm",
    "prefs_confirm",
    "request_send",
    "visit_save",
    "remind_shortfalls_send",
)
"""Button intents that save something the user was offered (each with a cancel beside it)."""


def offered_confirmation(tracker: Tracker) -> str | None:
    """The title of the confirm button under the bot's last reply, if that reply was an offer
    waiting for a tap (so a typed "yes" can be pointed at it)."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    # Rasa may add events (slots, featurization) after the current message: cut at it.
    earlier = events[: users[-1]] if users else events
    for event in reversed(earlier):
        if event.get("event") == "user":
            return None
        if event.get("event") != "bot":
            continue
        for button in (event.get("data") or {}).get("buttons") or []:
            target = str(button.get("payload") or "")
            if any(target.startswith(f"/{intent}") for intent in CONFIRM_INTENTS):
                return str(button.get("title") or "")
    return None
