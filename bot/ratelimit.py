"""Sending within Telegram's limits: overall, per chat, and retrying 429s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

SEND_METHODS = frozenset(
    {
        "sendmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "senddocument",
        "sendphoto",
        "sendvoice",
        "sendaudio",
        "copymessage",
        "forwardmessage",
    }
)


class ChatRateLimiter(BaseRateLimiter[int]):
    """At most ``overall_per_second`` sends in all and ``chat_per_second`` per chat, with retries.

    PTB's AIORateLimiter has no per-chat limit for private chats and does not retry by default;
    Telegram allows about one message a second per chat, so replies of several messages to one
    user would draw 429s. A RetryAfter is honoured (sleep ``retry_after``) up to ``max_retries``.
    """

    def __init__(
        self, *, overall_per_second: float, chat_per_second: float, max_retries: int = 3
    ) -> None:
        # One slot every 1/rate seconds: a bucket of size `rate` would let a burst of twice
        # the rate through in the first second, which Telegram (and the stand-in) refuse.
        self._overall = AsyncLimiter(1, 1 / max(1.0, overall_per_second))
        self._chat_period = 1 / chat_per_second if chat_per_second > 0 else 0.0
        self._chats: dict[int, AsyncLimiter] = {}
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter | None:
        if not self._chat_period:
            return None
        if chat_id not in self._chats:
            self._chats[chat_id] = AsyncLimiter(1, self._chat_period)
        return self._chats[chat_id]

    async def process_request(
        self,
        callback: Callable[
            ..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]] | None]
        ],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]] | None:
        """Wait for the limits, send, and retry after a 429."""
        chat_id = data.get("chat_id")
        limited = endpoint.lower() in SEND_METHODS
        chat_limiter = None
        if limited and isinstance(chat_id, int | str) and str(chat_id).lstrip("-").isdigit():
            chat_limiter = self._chat_limiter(int(chat_id))
        for attempt in range(self._max_retries + 1):
            async with contextlib.AsyncExitStack() as stack:
                if limited:
                    await stack.enter_async_context(self._overall)
                if chat_limiter is not None:
                    await stack.enter_async_context(chat_limiter)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self._max_retries:
                    raise
                delay = error.retry_after
                seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else delay
                log.info("flood limit, retrying", extra={"endpoint": endpoint, "after": seconds})
                await asyncio.sleep(float(seconds) + 0.05)
        return None
