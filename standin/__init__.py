"""A local stand-in for the Telegram Bot API, for ``make run`` without a token and for tests.

The real python-telegram-bot client works against it unchanged (``base_url=f"{url}/bot"``,
``base_file_url=f"{url}/file/bot"``), in polling and webhook mode, with Telegram's errors and
flood limits. A ``/_test/`` API plays the users and reads back what the bot sent:
:class:`StandinClient` wraps it; ``python -m standin.chat`` and ``/chat`` are chat front ends.
"""

from standin.client import SentMessage, StandinClient, StandinError, Tap, UserMessage
from standin.errors import ApiError
from standin.limits import FloodLimits
from standin.server import STANDIN_KEY, create_app
from standin.state import Standin

__all__ = [
    "STANDIN_KEY",
    "ApiError",
    "FloodLimits",
    "SentMessage",
    "Standin",
    "StandinClient",
    "StandinError",
    "Tap",
    "UserMessage",
    "create_app",
]
