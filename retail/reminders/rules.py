"""Why a due reminder is held back for a shop: unbound chat, opt-out, pause, quiet hours or the
daily cap (which keeps a place for a last call still to come today).

The reasons are tallied in a :class:`PlanReport`, so a planner run says what it did not send.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from retail.clock import local
from retail.reminders.kinds import FUNDING_LAST
from retail.reminders.shops import Funding, Shop
from retail.reminders.window import Slot


@dataclass
class PlanReport:
    """What a planner run did: reminders queued and cancelled, and why others were not sent."""

    queued: int = 0
    cancelled: int = 0
    expired: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def _allowed_today(
    shop: Shop, slot: Slot, *, funding: Funding, last: Slot | None, now: datetime, taken: set[str]
) -> bool:
    """The daily cap, keeping a place for a last call still to come today."""
    cap = shop.prefs.daily_cap
    if slot.kind != FUNDING_LAST and last is not None and funding.is_short:
        last_pending = last.at is not None and last.at > now and last.name not in taken
        if last_pending and last.at is not None and local(last.at).date() == local(now).date():
            cap -= 1
    return shop.used_today < cap


def withheld(
    shop: Shop,
    slot: Slot,
    *,
    funding: Funding,
    last: Slot | None,
    now: datetime,
    taken: set[str],
    quiet: bool = True,
) -> str | None:
    """Why a due capped reminder may not go now (None: it may); ``quiet=False`` leaves quiet
    hours to the caller (a manager's reminder waits for them to end instead)."""
    if shop.recipient is None:
        return "unbound"
    if shop.prefs.opted_out:
        return "opted_out"
    if shop.prefs.paused(now):
        return "paused"
    if quiet and shop.prefs.quiet.contains(now):
        return "quiet_hours"
    if not _allowed_today(shop, slot, funding=funding, last=last, now=now, taken=taken):
        return "daily_cap"
    return None
