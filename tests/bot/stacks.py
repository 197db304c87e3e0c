"""The bot process and the Bot API stand-in on a freshly seeded SQLite database, with Rasa at a
closed port: what the bot does on its own (binding, limits, retries, voice checks)."""

from __future__ import annotations

from pathlib import Path

from scripts.stack import Ports, Stack, free_port, seeded_sqlite


def bot_stack(work: Path, **env: str) -> Stack:
    """A :class:`Stack` (not started) for the stand-in and the bot; ``env`` adds settings.
    Rasa's port is reserved but nothing listens there unless a test puts something on it."""
    url = seeded_sqlite(work)
    ports = Ports(rasa=free_port(), actions=free_port(), http=free_port(), standin=free_port())
    base = {
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": f"http://127.0.0.1:{ports.standin}",
        "RASA_TIMEOUT": "3",
    }
    return Stack(env=base | env, log_dir=work / "logs", ports=ports)
