"""Telegram's flood limits: about 30 messages a second in all and 1 a second per chat.

Telegram rejects a send past a limit with 429 and ``retry_after``; it does not queue it. The
stand-in does the same with sliding windows, so a bot that ignores the limits sees the same
errors it would see in production, and a benchmark can count them.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

PRUNE_AT_CHATS = 10_000


@dataclass(frozen=True)
class FloodLimits:
    """How many send-like calls the stand-in accepts before answering 429.

    ``overall_per_second`` is measured over a sliding ``window_seconds`` (so a small window makes
    tests fast without changing the rate). Per chat, ``chat_burst`` messages may go at once and
    then ``chat_per_second`` on average: at most ``chat_burst`` in any
    ``chat_burst / chat_per_second`` seconds. ``grace_seconds`` shortens each window a little:
    a client that paces itself at exactly the limit is not refused because its requests took
    different times to arrive. ``enabled=False`` accepts everything.
    """

    enabled: bool = True
    overall_per_second: float = 30.0
    chat_per_second: float = 1.0
    chat_burst: int = 1
    window_seconds: float = 1.0
    grace_seconds: float = 0.05

    @property
    def overall_capacity(self) -> int:
        """Sends allowed in any overall window."""
        return max(1, math.floor(self.overall_per_second * self.window_seconds))

    @property
    def chat_window_seconds(self) -> float:
        """Length of the per-chat window that holds ``chat_burst`` sends."""
        return max(1, self.chat_burst) / self.chat_per_second


class _Window:
    """Timestamps of accepted sends within the last ``length`` seconds."""

    def __init__(self, length: float, capacity: int) -> None:
        self.length = length
        self.capacity = capacity
        self.times: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Seconds until one more send fits; 0 if it fits now."""
        while self.times and self.times[0] <= now - self.length:
            self.times.popleft()
        if len(self.times) < self.capacity:
            return 0.0
        return self.times[len(self.times) - self.capacity] + self.length - now


class FloodGate:
    """Admits or refuses each send-like call under :class:`FloodLimits`."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = self._window(limits.window_seconds, limits.overall_capacity)
        self._chats: dict[int, _Window] = {}
        self._prune_at = PRUNE_AT_CHATS

    def admit(self, chat_id: int) -> int | None:
        """Record a send to ``chat_id`` and return None, or return ``retry_after`` (>= 1 s).

        A refused send is not recorded: it does not use up the window, as on Telegram.
        """
        if not self.limits.enabled:
            return None
        now = self._clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            capacity = max(1, self.limits.chat_burst)
            chat = self._chats[chat_id] = self._window(self.limits.chat_window_seconds, capacity)
        wait = max(self._overall.wait_needed(now), chat.wait_needed(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._overall.times.append(now)
        chat.times.append(now)
        if len(self._chats) > self._prune_at:
            self._forget_idle_chats(now)
        return None

    def _window(self, length: float, capacity: int) -> _Window:
        return _Window(max(length - self.limits.grace_seconds, length / 2), capacity)

    def _forget_idle_chats(self, now: float) -> None:
        """Drop windows with nothing in them so memory stays bounded under many chats."""
        idle = [c for c, w in self._chats.items() if w.wait_needed(now) == 0 and not w.times]
        for chat_id in idle:
            del self._chats[chat_id]
        self._prune_at = max(PRUNE_AT_CHATS, 2 * len(self._chats))
