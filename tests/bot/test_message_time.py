"""The bot sends the Telegram message time to Rasa, so relative times resolve from it."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from bot.handlers import converse
from bot.services import SERVICES, Services
from retail.clock import FixedClock
from retail.db import Database
from retail.settings import Settings


class RecordingRasa:
    """A Rasa client that records what it is sent and answers nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[Any]:
        self.sent.append((sender, text, metadata))
        return []


def _context(rasa: RecordingRasa, db: Database, clock: FixedClock) -> Any:
    svc = Services(settings=Settings(), database=db, rasa=rasa, clock=clock)  # type: ignore[arg-type]
    return SimpleNamespace(application=SimpleNamespace(bot_data={SERVICES: svc}), bot=None)


async def test_message_time_goes_to_rasa_as_iso_metadata(db: Database, clock: FixedClock) -> None:
    rasa = RecordingRasa()
    sent_at = datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc)
    answered = await converse(
        _context(rasa, db, clock),
        update_id=7,
        user_id=10001,
        chat_id=10001,
        text="明天下午三点送货",
        language="zh",
        sent_at=sent_at,
    )
    assert (answered, rasa.sent) == (
        True,
        [
            (
                "10001",
                "明天下午三点送货",
                {"update_id": 7, "language": "zh", "message_time": "2026-11-24T02:30:00+00:00"},
            )
        ],
    )


async def test_without_a_message_time_the_metadata_has_none(
    db: Database, clock: FixedClock
) -> None:
    rasa = RecordingRasa()
    await converse(
        _context(rasa, db, clock),
        update_id=8,
        user_id=10001,
        chat_id=10001,
        text="你好",
        language="zh",
    )
    assert rasa.sent[0][2] == {"update_id": 8, "language": "zh"}
