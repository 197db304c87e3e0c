"""How many messages one Telegram user may send us: a token bucket per user, in memory.

A user may send ``burst`` messages at once and ``per_minute`` a minute after that. What goes
over is recorded (the inbox claims it, so a re-delivery is still a duplicate) but not sent to
Rasa; the user hears one polite "slow down" a minute at most. Strangers (not bound) get at most
one binding reply a minute (INBOUND_STRANGER_PER_MINUTE) and nothing else.

The state lives in the bot process only: a restart forgets it, which at worst lets a user send
one more burst. Each check is O(1); users idle long enough that their bucket is full again are
dropped, so memory follows the number of recently active users.
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from retail.settings import Settings

INBOUND = "inbound_limits"
NOTICE_EVERY_SECONDS = 60.0


class Verdict(enum.Enum):
    """What to do with one message."""

    ADMIT = "admit"
    NOTIFY = "notify"  # over the rate, and the user has not been told in this window
    DROP = "drop"  # over the rate, already told


@dataclass
class _Bucket:
    tokens: float
    seen: float
    quiet_until: float = 0.0


class InboundLimiter:
    """A token bucket per user id: ``burst`` messages at once, then ``per_minute``."""

    def __init__(
        self,
        *,
        burst: int,
        per_minute: float,
        notice_every: float = NOTICE_EVERY_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or per_minute <= 0:
            raise ValueError("burst must be at least 1 and per_minute positive")
        self.burst = burst
        self.per_second = per_minute / 60.0
        self.notice_every = notice_every
        self._now = now
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()
        # A bucket idle this long is full again and its notice window over: forget it.
        self._forget_after = max(burst / self.per_second, notice_every)

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, user_id: int) -> Verdict:
        """Take one message from ``user_id``'s allowance."""
        now = self._now()
        self._forget_idle(now)
        bucket = self._buckets.pop(user_id, None) or _Bucket(tokens=float(self.burst), seen=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.seen) * self.per_second)
        bucket.seen = now
        self._buckets[user_id] = bucket  # most recently seen last
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ADMIT
        if now >= bucket.quiet_until:
            bucket.quiet_until = now + self.notice_every
            return Verdict.NOTIFY
        return Verdict.DROP

    def _forget_idle(self, now: float) -> None:
        """Drop the least recently seen users while they have been idle long enough."""
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.seen < self._forget_after:
                return
            self._buckets.popitem(last=False)


@dataclass
class InboundLimits:
    """The two limiters of one bot: bound users' messages, and replies to strangers."""

    users: InboundLimiter
    strangers: InboundLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> InboundLimits:
        """INBOUND_BURST / INBOUND_PER_MINUTE for users, INBOUND_STRANGER_PER_MINUTE replies
        (one at a time) for strangers."""
        return cls(
            users=InboundLimiter(
                burst=settings.inbound_burst, per_minute=settings.inbound_per_minute
            ),
            strangers=InboundLimiter(burst=1, per_minute=settings.inbound_stranger_per_minute),
        )


def inbound_limits(bot_data: dict[Any, Any], settings: Settings) -> InboundLimits:
    """The limits kept in ``bot_data`` (made on first use, so they live as long as the bot)."""
    found = bot_data.get(INBOUND)
    if not isinstance(found, InboundLimits):
        found = bot_data[INBOUND] = InboundLimits.from_settings(settings)
    return found
