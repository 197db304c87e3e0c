"""Trackers with a conversation history, for actions that act on an earlier message (a button
tap that sends what the user typed before) or read slots."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from trust import secret_from_env, signed_metadata

_update_ids = itertools.count(1)


def bot_metadata(
    sender: str,
    text: str,
    update_id: int | None = None,
    *,
    message_time: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The metadata the bot sends with a message: its update id, the Telegram message time and
    the reply language it decided if given, and its signature for ``sender`` and ``text``
    (``BOT_SIGNING_SECRET``, which tests/conftest.py sets and the run_action fixture hands the
    actions), as Rasa keeps it on the user message."""
    update = next(_update_ids) if update_id is None else update_id
    metadata: dict[str, Any] = {"update_id": update}
    if message_time is not None:
        metadata["message_time"] = message_time
    if language is not None:
        metadata["language"] = language
    return signed_metadata(secret_from_env(), sender=sender, text=text, metadata=metadata)


@dataclass(frozen=True)
class Said:
    """One user message: text, intent, entities and Rasa's message id."""

    text: str
    intent: str
    message_id: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Bot:
    """One bot reply in the history, with the buttons it carried."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def tap(intent: str, ref: str | None = None) -> Said:
    """A button tap as Rasa sees it: the payload text with its ``ref`` entity."""
    if ref is None:
        return Said(f"/{intent}", intent)
    text = f"/{intent}" + json.dumps({"ref": ref}, ensure_ascii=False, separators=(",", ":"))
    return Said(text, intent, entities=[{"entity": "ref", "value": ref}])


def conversation(sender: str, *said: Said | Bot, slots: dict[str, Any] | None = None) -> Tracker:
    """A tracker whose events hold every message of ``said``; the last one is the latest."""
    events: list[dict[str, Any]] = []
    for item in said:
        if isinstance(item, Bot):
            events.append({"event": "bot", "text": item.text, "data": {"buttons": item.buttons}})
            continue
        parse = {
            "text": item.text,
            "intent": {"name": item.intent, "confidence": 0.99},
            "entities": item.entities,
            "metadata": bot_metadata(sender, item.text),
        }
        events.append(
            {"event": "user", "text": item.text, "parse_data": parse, "message_id": item.message_id}
        )
        # As Rasa does, events may follow the user message within its own turn.
        events.append({"event": "user_featurization", "use_text_for_featurization": False})
    latest = next(e["parse_data"] for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(
    action: Action, tracker: Tracker
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``action`` on ``tracker``; (messages, events). Use with the run_action fixture, which
    points the actions at the seeded test database."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events
