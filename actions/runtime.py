"""The action server's database and clock, built on first use from the environment.

rasa-sdk has no start-up hook, so the first action to run builds them; tests replace them
with :func:`configure` before any action runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retail.clock import Clock, SystemClock
from retail.db import Database
from retail.settings import Settings


@dataclass
class Runtime:
    """What actions need from the outside world."""

    database: Database
    clock: Clock
    signing_secret: str = field(default="", repr=False)
    """``BOT_SIGNING_SECRET``: every retail action checks the bot's signature with it."""


_runtime: Runtime | None = None


def configure(runtime: Runtime | None) -> None:
    """Use ``runtime`` for every later action (None: rebuild from the environment)."""
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    """The configured runtime, built from :class:`Settings` the first time it is needed."""
    global _runtime
    if _runtime is None:
        settings = Settings.from_env()
        _runtime = Runtime(
            Database(settings.database_url), SystemClock(), settings.bot_signing_secret
        )
    return _runtime
