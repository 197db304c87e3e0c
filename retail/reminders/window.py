"""When in an order's window its reminders fall: the opening notice, the first funding
reminder and the last call.

Pure: the moments depend only on the order's window, the policy and the retailer's
preferences (chosen time, weekdays, quiet hours), so they are easy to test; which of them are
due now is :mod:`retail.reminders.funding`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from retail.clock import SHANGHAI, local
from retail.models import Order
from retail.reminders.kinds import FUNDING_FIRST, FUNDING_LAST, ORDER_OPEN
from retail.reminders.policy import Preferences, ReminderPolicy, place


@dataclass(frozen=True)
class Slot:
    """One possible reminder: due from ``at`` until ``expires``."""

    kind: str
    name: str
    at: datetime | None
    expires: datetime | None
    capped: bool = True


def _chosen_moment(
    preferred: time,
    weekdays: frozenset[int],
    *,
    earliest: datetime,
    latest: datetime,
    last: bool,
) -> datetime | None:
    """The first (or ``last``) moment in [earliest, latest) at the chosen time of day on an
    allowed weekday."""
    day, end = local(earliest).date(), local(latest).date()
    found: list[datetime] = []
    while day <= end:
        moment = datetime.combine(day, preferred, SHANGHAI)
        if earliest <= moment < latest and (not weekdays or day.weekday() in weekdays):
            found.append(moment)
        day += timedelta(days=1)
    if not found:
        return None
    return found[-1] if last else found[0]


def funding_slots(
    order: Order, prefs: Preferences, policy: ReminderPolicy
) -> tuple[Slot, Slot, Slot]:
    """When an order's opening, first and last reminders are due (after quiet hours).

    Pure: depends only on the order's window and the preferences, so it is easy to test.
    """
    cutoff = order.closes_at
    last_at = cutoff - policy.last_call

    def placed(at: datetime, expires: datetime) -> datetime | None:
        return place(
            at, expires=expires, floor=order.opens_at, quiet=prefs.quiet, margin=policy.early_margin
        )

    first_at = max(order.opens_at, cutoff - policy.first_lead)
    open_at = order.opens_at
    if prefs.weekdays and prefs.preferred_time is None:
        # "Only on Wednesdays": the default time of day, on the last allowed day before the
        # last call; if no allowed day falls in the window, the default moment stands.
        chosen = _chosen_moment(
            local(first_at).time(),
            prefs.weekdays,
            earliest=order.opens_at,
            latest=min(last_at, first_at + timedelta(seconds=1)),
            last=True,
        )
        first_at = chosen or first_at
    if prefs.preferred_time is not None:
        chosen_first = _chosen_moment(
            prefs.preferred_time, prefs.weekdays, earliest=order.opens_at, latest=last_at, last=True
        )
        chosen_open = _chosen_moment(
            prefs.preferred_time,
            frozenset(),
            earliest=order.opens_at,
            latest=min(last_at, order.opens_at + timedelta(days=1)),
            last=False,
        )
        first_at = chosen_first or first_at
        open_at = chosen_open or open_at
    last = Slot(FUNDING_LAST, "last", placed(last_at, cutoff), cutoff)
    first_expires = last.at or last_at
    first_placed = placed(first_at, first_expires) if first_at < first_expires else None
    first = Slot(FUNDING_FIRST, "first", first_placed, first_expires)
    open_placed = placed(open_at, last_at)
    open_expires = min(last_at, (open_placed or open_at) + policy.order_open_valid)
    opening = Slot(ORDER_OPEN, "open", open_placed, open_expires)
    return opening, first, last
