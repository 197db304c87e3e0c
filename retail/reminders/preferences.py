"""Funding-reminder preferences: what a retailer asks for, what it means for them, and saving it.

A retailer's wish ("每周三上午提醒我就行", "别天天发", "暂停提醒到下周一") arrives as typed values
(``lang.reminder_prefs`` reads the words; the action passes them on as a :class:`PreferenceWish`).
:func:`plan_preference_change` settles it into a :class:`PreferenceChange` for this retailer (their
order day, the default pause, the daily cap, quiet hours), the retailer confirms, and
:func:`apply_preference_change` writes it to :class:`~retail.models.ReminderPreference`, which
the reminder planner reads. A change has a compact text form (:meth:`PreferenceChange.encode`)
so a confirmation button carries exactly what it will save; :func:`confirm_preference_change`
saves it once per offer (a second tap on the same button, or a replayed one, writes nothing).

Quiet hours only ever get stricter from chat (a start moves earlier, an end later); nothing a
retailer asks for here turns off the failed-deduction notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from retail.access import Principal, own_shop
from retail.clock import SHANGHAI, Clock, local
from retail.models import ReminderPreference, claim_offer

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
DEFAULT_DAILY_CAP = 2
DEFAULT_PAUSE_DAYS = 7
MAX_PAUSE_DAYS = 366
MAX_CHAT_DAILY_CAP = 3
"""The most reminders a day a retailer can ask for in chat (the stored cap allows up to 5)."""
EVERY_DAY: tuple[int, ...] = ()
"""An empty weekday list means "any day a reminder is due"."""


@dataclass(frozen=True)
class PreferenceChange:
    """What a message asks to change; None (or False) fields stay as they are."""

    stop: bool = False
    resume: bool = False
    pause_until: date | None = None
    preferred_time: time | None = None
    weekdays: tuple[int, ...] | None = None
    daily_cap: int | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None

    @property
    def is_empty(self) -> bool:
        """True if the message asked for nothing we recognised."""
        return self == PreferenceChange()

    def encode(self) -> str:
        """A compact form for a button payload, e.g. ``t=0900;d=2`` (see :meth:`decode`)."""
        parts: list[str] = []
        if self.stop:
            parts.append("off")
        if self.resume:
            parts.append("on")
        if self.pause_until is not None:
            parts.append(f"p={self.pause_until:%Y%m%d}")
        if self.preferred_time is not None:
            parts.append(f"t={self.preferred_time:%H%M}")
        if self.weekdays is not None:
            parts.append("d=" + (".".join(str(d) for d in self.weekdays) or "*"))
        if self.daily_cap is not None:
            parts.append(f"c={self.daily_cap}")
        if self.quiet_start is not None:
            parts.append(f"qs={self.quiet_start:%H%M}")
        if self.quiet_end is not None:
            parts.append(f"qe={self.quiet_end:%H%M}")
        return ";".join(parts)

    @classmethod
    def decode(cls, text: str) -> PreferenceChange:
        """The change :meth:`encode` wrote; ValueError for anything else (a forged payload)."""
        change = cls()
        for part in filter(None, text.split(";")):
            name, _, value = part.partition("=")
            if name == "off" and not value:
                change = replace(change, stop=True)
            elif name == "on" and not value:
                change = replace(change, resume=True)
            elif name == "p":
                change = replace(change, pause_until=datetime.strptime(value, "%Y%m%d").date())
            elif name == "t":
                change = replace(change, preferred_time=_hhmm(value))
            elif name == "qs":
                change = replace(change, quiet_start=_hhmm(value))
            elif name == "qe":
                change = replace(change, quiet_end=_hhmm(value))
            elif name == "d":
                days = () if value == "*" else tuple(int(d) for d in value.split("."))
                if any(d not in range(7) for d in days):
                    raise ValueError(f"bad weekday in {text!r}")
                change = replace(change, weekdays=days)
            elif name == "c" and value.isdigit() and 1 <= int(value) <= 5:
                change = replace(change, daily_cap=int(value))
            else:
                raise ValueError(f"cannot read preference change {text!r}")
        return change


def _hhmm(value: str) -> time:
    return datetime.strptime(value, "%H%M").time()


@dataclass(frozen=True)
class PreferenceView:
    """A retailer's reminder preferences as they stand, for repeating back to them."""

    opted_out: bool
    paused_until: datetime | None
    preferred_time: time | None
    weekdays: tuple[int, ...]
    daily_cap: int
    quiet_start: time
    quiet_end: time
    order_weekday: int

    def paused_at(self, now: datetime) -> bool:
        """True while a pause is still running at ``now``."""
        return self.paused_until is not None and self.paused_until > now


# ------------------------------------------------------------------ settling a wish

OrderDay = Literal["on", "before"]
"""Days named by the retailer's order day: that day, or the day before it."""


@dataclass(frozen=True)
class PreferenceWish:
    """What a retailer asked for, before it is settled for them into a :class:`PreferenceChange`.

    ``change`` holds what was said outright (a time, days, a date). The rest depends on the
    retailer: ``pause`` without ``change.pause_until`` is a pause of the default length,
    ``order_day`` names days by their order day, and ``fewer`` ("别天天发", "too many") means
    once a day on the order day unless days were named.
    """

    change: PreferenceChange = field(default_factory=PreferenceChange)
    pause: bool = False
    order_day: OrderDay | None = None
    fewer: bool = False


@dataclass(frozen=True)
class PreferencePlan:
    """A wish settled: the change to offer, and a problem that stops it being offered (if any)."""

    change: PreferenceChange
    problem: str | None = None
    problem_params: dict[str, str] = field(default_factory=dict)


def _in_quiet(moment: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def plan_preference_change(
    view: PreferenceView, wish: PreferenceWish, *, today: date
) -> PreferencePlan:
    """Settle ``wish`` for the retailer whose preferences are ``view``, as of ``today``.

    A chosen time inside quiet hours (the new ones if the wish sets them) is refused with
    problem ``quiet``: reminders are never sent then, so offering it would mislead.
    """
    change = wish.change
    if wish.pause and change.pause_until is None:
        change = replace(change, pause_until=today + timedelta(days=DEFAULT_PAUSE_DAYS))
    if change.pause_until is not None:
        latest = today + timedelta(days=MAX_PAUSE_DAYS)
        change = replace(change, pause_until=min(change.pause_until, latest))
    if wish.order_day == "on":
        change = replace(change, weekdays=(view.order_weekday,))
    elif wish.order_day == "before":
        change = replace(change, weekdays=((view.order_weekday - 1) % 7,))
    if wish.fewer:
        change = replace(
            change,
            daily_cap=change.daily_cap or 1,
            weekdays=change.weekdays if change.weekdays is not None else (view.order_weekday,),
        )
    if change.daily_cap is not None:
        change = replace(change, daily_cap=max(1, min(MAX_CHAT_DAILY_CAP, change.daily_cap)))
    if change.preferred_time is not None:
        start = change.quiet_start or view.quiet_start
        end = change.quiet_end or view.quiet_end
        if _in_quiet(change.preferred_time, start, end):
            return PreferencePlan(
                change,
                problem="quiet",
                problem_params={
                    "time": f"{change.preferred_time:%H:%M}",
                    "start": f"{start:%H:%M}",
                    "end": f"{end:%H:%M}",
                },
            )
    return PreferencePlan(change)


# ------------------------------------------------------------------ reading and writing rows


def default_preferences(order_weekday: int) -> PreferenceView:
    """The preferences of a retailer who never set any (reminders on, default quiet hours)."""
    return PreferenceView(
        opted_out=False,
        paused_until=None,
        preferred_time=None,
        weekdays=EVERY_DAY,
        daily_cap=DEFAULT_DAILY_CAP,
        quiet_start=DEFAULT_QUIET_START,
        quiet_end=DEFAULT_QUIET_END,
        order_weekday=order_weekday,
    )


def _view(row: ReminderPreference | None, order_weekday: int) -> PreferenceView:
    if row is None:
        return default_preferences(order_weekday)
    return PreferenceView(
        opted_out=row.opted_out,
        paused_until=row.paused_until,
        preferred_time=row.preferred_time,
        weekdays=tuple(sorted(int(d) for d in row.preferred_weekdays or [])),
        daily_cap=row.daily_cap,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        order_weekday=order_weekday,
    )


def current_preferences(session: Session, principal: Principal) -> PreferenceView:
    """The asking retailer's reminder preferences (the defaults if never set)."""
    retailer = own_shop(session, principal)
    return _view(session.get(ReminderPreference, retailer.id), retailer.order_weekday)


def apply_preference_change(
    session: Session, principal: Principal, change: PreferenceChange, *, clock: Clock
) -> PreferenceView:
    """Save a confirmed change for the asking retailer and return the preferences as saved.

    Choosing a time, days or a pause switches reminders back on; "resume" also ends a pause.
    Quiet hours only grow: a start moves earlier, an end later.
    """
    retailer = own_shop(session, principal)
    row = session.get(ReminderPreference, retailer.id)
    if row is None:
        row = ReminderPreference(
            retailer_id=retailer.id,
            preferred_time=None,
            preferred_weekdays=[],
            paused_until=None,
            opted_out=False,
            daily_cap=DEFAULT_DAILY_CAP,
            quiet_start=DEFAULT_QUIET_START,
            quiet_end=DEFAULT_QUIET_END,
        )
        session.add(row)
    if change.stop:
        row.opted_out = True
        row.paused_until = None
    if change.resume:
        row.opted_out = False
        row.paused_until = None
    if change.pause_until is not None:
        today = local(clock.now()).date()
        until = min(change.pause_until, today + timedelta(days=MAX_PAUSE_DAYS))
        row.paused_until = datetime.combine(until, time(0), tzinfo=SHANGHAI)
        row.opted_out = False
    if change.preferred_time is not None:
        row.preferred_time = change.preferred_time
        row.opted_out = False
    if change.weekdays is not None:
        row.preferred_weekdays = list(change.weekdays)
        row.opted_out = False
    if change.daily_cap is not None:
        row.daily_cap = change.daily_cap
    if change.quiet_start is not None:
        row.quiet_start = _earlier_evening(row.quiet_start, change.quiet_start)
    if change.quiet_end is not None:
        row.quiet_end = max(row.quiet_end, change.quiet_end)
    session.flush()
    return _view(row, retailer.order_weekday)


def _earlier_evening(current: time, wanted: time) -> time:
    """The earlier of two quiet-hour starts, reading times after noon as the same evening."""

    def key(moment: time) -> int:
        """Minutes after noon, so 23:00 sorts before 01:00."""
        minutes = moment.hour * 60 + moment.minute
        return minutes if minutes >= 12 * 60 else minutes + 24 * 60

    return wanted if key(wanted) < key(current) else current


PREFERENCE_OFFER = "prefs"
"""The kind of confirmed offer (:class:`~retail.models.ConfirmedOffer`) a preference change is."""


@dataclass(frozen=True)
class PreferencesSaved:
    """The preferences after a confirmation; ``already`` when that offer had been confirmed
    before, so nothing was written this time."""

    view: PreferenceView
    already: bool


def confirm_preference_change(
    session: Session,
    principal: Principal,
    change: PreferenceChange,
    *,
    offer_key: str | None,
    clock: Clock,
) -> PreferencesSaved:
    """Save a change the retailer confirmed from an offer, once per offer.

    ``offer_key`` names the offer (the message it was made for); the same change of the same
    offer confirmed again is recorded once and reported as ``already``, so a stale second tap
    cannot undo a change saved in between. Without a key (a button from before keys existed)
    the change is simply saved.
    """
    retailer = own_shop(session, principal)
    if offer_key:
        first = claim_offer(
            session,
            user_id=principal.user_id,
            kind=PREFERENCE_OFFER,
            offer_key=f"{offer_key}:{change.encode()}",
            at=clock.now(),
        )
        if not first:
            view = _view(session.get(ReminderPreference, retailer.id), retailer.order_weekday)
            return PreferencesSaved(view, already=True)
    return PreferencesSaved(
        apply_preference_change(session, principal, change, clock=clock), already=False
    )
