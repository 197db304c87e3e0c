"""Run actions as the action server would: a tracker built from a JSON-like dict."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import Runtime, configure
from retail.clock import FixedClock
from retail.db import Database
from tests.actions.history import bot_metadata
from trust import secret_from_env

RunAction = Callable[..., Coroutine[Any, Any, tuple[list[dict[str, Any]], list[dict[str, Any]]]]]


def tracker(
    sender: str, text: str, intent: str, entities: list[dict[str, Any]] | None = None
) -> Tracker:
    """A tracker whose latest message is ``text`` classified as ``intent``, signed by the bot."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": bot_metadata(sender, text),
    }
    return Tracker(
        sender_id=sender,
        slots={},
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def run_action(db: Database, clock: FixedClock) -> Iterator[RunAction]:
    """Run an action against the seeded demo database, with the bot's signing secret;
    returns (messages, events)."""
    configure(Runtime(db, clock, secret_from_env()))

    async def run(action: Any, sender: str, text: str, intent: str, **kw: Any) -> Any:
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, tracker(sender, text, intent, **kw), {})
        return dispatcher.messages, events

    yield run
    configure(None)
