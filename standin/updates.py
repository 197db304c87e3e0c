"""Updates waiting for the bot, fetched by ``getUpdates`` or pushed to a webhook.

Telegram keeps an update until the bot confirms it: with ``getUpdates(offset=N)`` every update
below N is gone; with a webhook, a 2xx answer confirms it. A re-delivered update (the same
``update_id`` again, as after a bot crash or a webhook timeout) is queued as a copy that is handed
out on its own, so the bot's offset bookkeeping stays consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UPDATE_TYPES = frozenset({"message", "edited_message", "callback_query"})


@dataclass(eq=False)
class PendingUpdate:
    """One update not yet confirmed by the bot."""

    update: dict[str, Any]
    redelivery: bool = False
    handed_out: bool = False
    in_flight: bool = False
    attempts: int = 0
    retry_at: float = 0.0

    @property
    def update_id(self) -> int:
        """The update's id."""
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        """``message``, ``callback_query``, ...: the one field besides ``update_id``."""
        return next(k for k in self.update if k != "update_id")

    @property
    def chat_id(self) -> int | None:
        """The chat this update belongs to; a webhook delivers one chat's updates in order."""
        body = self.update[self.kind]
        chat = body.get("chat") or (body.get("message") or {}).get("chat")
        if chat is not None:
            return int(chat["id"])
        sender = body.get("from")
        return int(sender["id"]) if sender else None


class UpdateQueue:
    """Pending updates in arrival order."""

    def __init__(self) -> None:
        self._entries: list[PendingUpdate] = []

    def __len__(self) -> int:
        return len(self._entries)

    def push(self, update: dict[str, Any], *, redelivery: bool = False) -> None:
        """Queue ``update`` for delivery."""
        self._entries.append(PendingUpdate(update, redelivery=redelivery))

    def clear(self) -> None:
        """Forget every pending update (``drop_pending_updates``)."""
        self._entries.clear()

    def remove(self, entry: PendingUpdate) -> None:
        """Forget one delivered update, if it is still queued."""
        if entry in self._entries:
            self._entries.remove(entry)

    def confirm(self, offset: int | None) -> None:
        """Apply ``getUpdates(offset=...)``: updates below ``offset`` are confirmed and dropped.

        A negative offset keeps only the last ``-offset`` updates, as on Telegram. A re-delivered
        copy counts as confirmed once it has been handed out.
        """
        if offset is None:
            return
        if offset < 0:
            del self._entries[: max(0, len(self._entries) + offset)]
            return
        self._entries = [
            e for e in self._entries if e.update_id >= offset or (e.redelivery and not e.handed_out)
        ]

    def drop_unwanted(self, allowed: frozenset[str] | None) -> None:
        """Drop updates of types the bot did not ask for (``allowed_updates``)."""
        if allowed:
            self._entries = [e for e in self._entries if e.kind in allowed]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` updates for ``getUpdates``, in order, without removing them.

        A re-delivered copy goes out alone: the bot moves its offset to the last id of a batch,
        and a batch must not end with an id lower than the others in it.
        """
        batch: list[PendingUpdate] = []
        for entry in self._entries:
            if len(batch) >= limit:
                break
            if entry.redelivery and entry.handed_out:
                continue
            if entry.redelivery:
                if not batch:
                    batch.append(entry)
                break
            batch.append(entry)
        for entry in batch:
            entry.handed_out = True
        return [e.update for e in batch]

    def next_for_webhook(self, now: float) -> PendingUpdate | None:
        """The oldest update that may be posted now: one update per chat at a time, in order."""
        busy: set[int | None] = set()
        for entry in self._entries:
            chat = entry.chat_id
            if chat in busy:
                continue
            busy.add(chat)
            if not entry.in_flight and entry.retry_at <= now:
                return entry
        return None

    def next_retry_at(self) -> float | None:
        """When the earliest failed delivery may be retried, if any is waiting."""
        times = [e.retry_at for e in self._entries if not e.in_flight and e.retry_at > 0]
        return min(times) if times else None

    def in_flight(self) -> int:
        """How many webhook posts are under way."""
        return sum(1 for e in self._entries if e.in_flight)
