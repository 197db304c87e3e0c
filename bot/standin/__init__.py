"""A local stand-in for the Telegram Bot API, for ``make run`` without a token and for tests.

The real python-telegram-bot client works against it unchanged (``base_url=f"{url}/bot"``,
``base_file_url=f"{url}/file/bot"``), in polling and webhook mode, with Telegram's errors and
flood limits. A ``/_test/`` API plays the users and reads back what the bot sent:
:class:`StandinClient` wraps it; ``python -m bot.standin.chat`` and ``/chat`` are chat front ends.
"""

from bot.standin.client import SentMessage, StandinClient, StandinError, Tap, UserMessage
from bot.standin.errors import ApiError
from bot.standin.limits import FloodLimits
from bot.standin.server import STANDIN_KEY, create_app
from bot.standin.state import Standin

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
