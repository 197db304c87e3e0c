"""What the handlers need, built in ``post_init`` and kept in ``application.bot_data``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from telegram.ext import ContextTypes

from bot.rasa_client import RasaClient
from retail.clock import Clock
from retail.db import Database
from retail.settings import Settings

T = TypeVar("T")
SERVICES = "services"


@dataclass
class Services:
    """The database, the Rasa client, the clock and the settings of one running bot."""

    settings: Settings
    database: Database
    rasa: RasaClient
    clock: Clock
    button_payloads: dict[str, str] = field(default_factory=dict)

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` with a session in a worker thread (SQLAlchemy is blocking)."""

        def run() -> T:
            with self.database.session() as session:
                return work(session)

        return await asyncio.to_thread(run)


def services(context: ContextTypes.DEFAULT_TYPE | Any) -> Services:
    """The services of the application a handler runs in."""
    found: Services = context.application.bot_data[SERVICES]
    return found
