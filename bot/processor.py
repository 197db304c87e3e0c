"""Concurrent updates across chats, strictly in order within one chat, fair between chats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

IN_FLIGHT = "in_flight"


def chat_key(update: object) -> int | None:
    """The chat (or user) an update belongs to, if any."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class InFlight:
    """The update ids this process is handling right now (a handler or a retry).

    The retry job skips them: re-sending a message to Rasa while its first attempt is still
    running would run its actions twice. Memory only: after a crash nothing is in flight, and
    the retry job's age threshold decides instead.
    """

    def __init__(self) -> None:
        self._ids: set[int] = set()

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._ids

    def ids(self) -> frozenset[int]:
        """A snapshot, for the retry query."""
        return frozenset(self._ids)

    @contextmanager
    def holding(self, update_id: int | None) -> Iterator[None]:
        """Mark ``update_id`` in flight for the duration of the block (None: nothing to mark)."""
        if update_id is None:
            yield
            return
        self._ids.add(update_id)
        try:
            yield
        finally:
            self._ids.discard(update_id)


def in_flight(bot_data: dict[Any, Any]) -> InFlight:
    """The application's :class:`InFlight` (``bot.app`` shares it with the processor)."""
    found = bot_data.get(IN_FLIGHT)
    if not isinstance(found, InFlight):
        found = bot_data[IN_FLIGHT] = InFlight()
    return found


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Processes different chats concurrently and each chat's updates one at a time, in order.

    PTB's default handles one update at a time for everyone, which caps the bot at the speed of
    one Rasa round trip; plain ``concurrent_updates=True`` could answer one user's second
    message before the first. A FIFO lock per chat gives both speed and order.

    An update waits for its chat's turn first and only then for one of the
    ``max_concurrent_updates`` global slots. PTB's own ``process_update`` takes the slot first:
    a chat flooding 50 messages would then hold every slot with updates that only wait for
    their chat's lock, and every other chat would queue behind the flood. Here a chat holds at
    most one slot, so the others always get theirs.
    """

    def __init__(self, max_concurrent_updates: int, *, in_flight: InFlight | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self.in_flight = in_flight if in_flight is not None else InFlight()
        self._locks: dict[int, asyncio.Lock] = {}
        self._pending: dict[int, int] = {}

    # PTB marks process_update @final because it holds the slot around do_process_update; the
    # order of lock and slot is the whole point of this class, so it is taken over here.
    async def process_update(  # type: ignore[misc]
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Wait for the chat's turn, then for a global slot, then run ``coroutine``."""
        update_id = update.update_id if isinstance(update, Update) else None
        with self.in_flight.holding(update_id):
            async with self._chat_turn(chat_key(update)), self._semaphore:
                await self.do_process_update(update, coroutine)

    @asynccontextmanager
    async def _chat_turn(self, key: int | None) -> AsyncIterator[None]:
        """One update of chat ``key`` at a time, in arrival order; locks of idle chats go."""
        if key is None:
            yield
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._pending[key] = self._pending.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._pending[key] -= 1
            if not self._pending[key]:
                del self._pending[key]
                del self._locks[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handlers: the ordering already happened in :meth:`process_update`."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
