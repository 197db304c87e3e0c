"""Webhook delivery: POST each pending update to the URL ``setWebhook`` gave, until it is taken.

Like Telegram, the dispatcher keeps at most ``max_connections`` posts under way, delivers one
chat's updates in order, sends ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set, and
retries an update (with growing pauses) until the bot answers 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

import aiohttp

from standin.state import Standin, WebhookConfig
from standin.updates import PendingUpdate

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_RETRY_PAUSE = 10.0


class WebhookDispatcher:
    """Runs while the server runs; idle until a webhook is set."""

    def __init__(self, standin: Standin, *, timeout: float) -> None:
        self.standin = standin
        self.timeout = timeout
        self._posts: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Deliver pending updates for as long as the task lives."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while True:
                    entry, hook = await self._next()
                    post = asyncio.create_task(self._deliver(session, entry, hook))
                    self._posts.add(post)
                    post.add_done_callback(self._posts.discard)
            finally:
                for post in self._posts:
                    post.cancel()
                await asyncio.gather(*self._posts, return_exceptions=True)

    async def _next(self) -> tuple[PendingUpdate, WebhookConfig]:
        """Wait for an update that may be posted now."""
        standin = self.standin
        loop = asyncio.get_running_loop()
        async with standin.changed:
            while True:
                hook = standin.webhook
                wait: float | None = None
                if hook.url and len(self._posts) < hook.max_connections:
                    entry = standin.queue.next_for_webhook(loop.time())
                    if entry is not None:
                        entry.in_flight = True
                        return entry, hook
                    retry_at = standin.queue.next_retry_at()
                    wait = None if retry_at is None else max(0.0, retry_at - loop.time())
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(standin.changed.wait(), wait)

    async def _deliver(
        self, session: aiohttp.ClientSession, entry: PendingUpdate, hook: WebhookConfig
    ) -> None:
        """POST one update and settle it: gone on 2xx, retried later otherwise."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        body = json.dumps(entry.update, ensure_ascii=False).encode()
        error: str | None = None
        try:
            async with session.post(hook.url, data=body, headers=headers) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as failure:
            error = f"Connection failed: {type(failure).__name__}"
        self._settle(entry, hook, error)
        await self.standin.notify()

    def _settle(self, entry: PendingUpdate, hook: WebhookConfig, error: str | None) -> None:
        standin = self.standin
        entry.in_flight = False
        standin.stats.webhook_posts += 1
        if error is None:
            standin.queue.remove(entry)
            return
        standin.stats.webhook_failures += 1
        entry.attempts += 1
        pause = min(0.25 * 2**entry.attempts, MAX_RETRY_PAUSE)
        entry.retry_at = asyncio.get_running_loop().time() + pause
        hook.last_error_date = int(standin.now())
        hook.last_error_message = error
        log.info("webhook delivery failed", extra={"update_id": entry.update_id, "error": error})


@contextlib.asynccontextmanager
async def running_dispatcher(standin: Standin, *, timeout: float) -> AsyncIterator[None]:
    """Run a :class:`WebhookDispatcher` for the lifetime of the ``async with`` block."""
    task = asyncio.create_task(WebhookDispatcher(standin, timeout=timeout).run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
