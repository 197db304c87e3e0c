"""The timing rules: company-wide policy, quiet hours, and one retailer's effective preferences.

:class:`ReminderPolicy` comes from the REMINDER_* settings; a retailer's stored
:class:`~retail.models.ReminderPreference` overrides its quiet hours and daily cap
(:class:`Preferences`). :func:`place` moves a reminder out of quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from retail.clock import SHANGHAI, local
from retail.models import ReminderPreference
from retail.settings import Settings


@dataclass(frozen=True)
class QuietHours:
    """A daily span (Asia/Shanghai) without non-urgent messages; ``start == end`` means none."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"21:00-08:00"`` -> QuietHours(21:00, 08:00)."""
        first, second = (part.strip() for part in text.split("-"))
        return cls(time.fromisoformat(first), time.fromisoformat(second))

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` falls inside the quiet hours."""
        if self.start == self.end:
            return False
        at = local(moment).time()
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first end of quiet hours after ``moment``."""
        day = local(moment)
        end = datetime.combine(day.date(), self.end, SHANGHAI)
        return end if end > day else end + timedelta(days=1)

    def began_before(self, moment: datetime) -> datetime:
        """The last start of quiet hours at or before ``moment``."""
        day = local(moment)
        start = datetime.combine(day.date(), self.start, SHANGHAI)
        return start if start <= day else start - timedelta(days=1)


@dataclass(frozen=True)
class ReminderPolicy:
    """Company-wide timing rules; per-retailer preferences override quiet hours and cap."""

    first_lead: timedelta = timedelta(hours=6)
    last_call: timedelta = timedelta(hours=1)
    order_open: bool = True
    order_open_valid: timedelta = timedelta(hours=3)
    quiet: QuietHours = field(default_factory=QuietHours)
    daily_cap: int = 2
    early_margin: timedelta = timedelta(minutes=30)
    failed_lookback: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        """The policy configured through REMINDER_* settings."""
        return cls(
            first_lead=timedelta(hours=settings.reminder_first_lead_hours),
            last_call=timedelta(minutes=settings.reminder_last_call_minutes),
            order_open=settings.reminder_order_open,
            quiet=QuietHours.parse(settings.reminder_quiet_hours),
            daily_cap=settings.reminder_daily_cap,
        )


@dataclass(frozen=True)
class Preferences:
    """One retailer's effective reminder preferences (their row, else the policy defaults)."""

    quiet: QuietHours
    daily_cap: int
    opted_out: bool = False
    paused_until: datetime | None = None
    preferred_time: time | None = None
    weekdays: frozenset[int] = frozenset()

    @classmethod
    def of(cls, row: ReminderPreference | None, policy: ReminderPolicy) -> Preferences:
        """Preferences from a stored row, or the policy's defaults when there is none."""
        if row is None:
            return cls(quiet=policy.quiet, daily_cap=policy.daily_cap)
        return cls(
            quiet=QuietHours(row.quiet_start, row.quiet_end),
            daily_cap=row.daily_cap,
            opted_out=row.opted_out,
            paused_until=row.paused_until,
            preferred_time=row.preferred_time,
            weekdays=frozenset(int(d) for d in row.preferred_weekdays or []),
        )

    def paused(self, now: datetime) -> bool:
        """True while the retailer asked for a break from reminders."""
        return self.paused_until is not None and self.paused_until > now


def place(
    at: datetime, *, expires: datetime, floor: datetime, quiet: QuietHours, margin: timedelta
) -> datetime | None:
    """When a reminder planned for ``at`` may go, given quiet hours; None if it cannot.

    Inside quiet hours it moves to their end if that is still before ``expires``, else to
    ``margin`` before they began (if not before ``floor``): early beats too late.
    """
    if not quiet.contains(at):
        return at if at < expires else None
    after = quiet.ends_after(at)
    if after < expires:
        return after
    before = quiet.began_before(at) - margin
    if floor <= before < expires:
        return before
    return None
