"""Reminder preferences: a wish settled for the retailer, saved as confirmed, quiet hours kept.

Reading the words is tested in tests/lang/test_reminder_prefs.py, the whole way from a message
to the offered change in tests/actions/test_preferences.py.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from retail import access
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.errors import WrongRole
from retail.models import ConfirmedOffer, ReminderPreference
from retail.reminders import (
    PreferenceChange,
    PreferenceWish,
    apply_preference_change,
    current_preferences,
    default_preferences,
    plan_preference_change,
)
from retail.reminders.preferences import confirm_preference_change

TUESDAY = date(2026, 11, 24)


VIEW = default_preferences(order_weekday=1)  # orders on Tuesdays


@pytest.mark.parametrize(
    ("wish", "encoded"),
    [
        (PreferenceWish(PreferenceChange(preferred_time=time(9), weekdays=(2,))), "t=0900;d=2"),
        (PreferenceWish(order_day="on"), "d=1"),
        (PreferenceWish(order_day="before"), "d=0"),
        (PreferenceWish(fewer=True), "d=1;c=1"),
        (PreferenceWish(PreferenceChange(weekdays=(0, 3)), fewer=True), "d=0.3;c=1"),
        (PreferenceWish(PreferenceChange(daily_cap=5)), "c=3"),
        (PreferenceWish(pause=True), "p=20261201"),
        (
            PreferenceWish(PreferenceChange(pause_until=date(2026, 11, 30)), pause=True),
            "p=20261130",
        ),
        (PreferenceWish(PreferenceChange(pause_until=date(2030, 1, 1)), pause=True), "p=20271125"),
        (PreferenceWish(PreferenceChange(stop=True)), "off"),
        (PreferenceWish(), ""),
    ],
)
def test_a_wish_is_settled_for_the_retailer(wish: PreferenceWish, encoded: str) -> None:
    plan = plan_preference_change(VIEW, wish, today=TUESDAY)
    assert plan.problem is None
    assert plan.change.encode() == encoded


def test_a_time_inside_quiet_hours_is_refused_with_the_quiet_hours() -> None:
    wish = PreferenceWish(PreferenceChange(preferred_time=time(22)))
    plan = plan_preference_change(VIEW, wish, today=TUESDAY)
    assert plan.problem == "quiet"
    assert plan.problem_params == {"time": "22:00", "start": "21:00", "end": "08:00"}


def test_quiet_hours_the_wish_sets_are_the_ones_checked() -> None:
    wish = PreferenceWish(PreferenceChange(preferred_time=time(20), quiet_start=time(19)))
    plan = plan_preference_change(VIEW, wish, today=TUESDAY)
    assert plan.problem_params == {"time": "20:00", "start": "19:00", "end": "08:00"}


@pytest.mark.parametrize(
    "change",
    [
        PreferenceChange(stop=True),
        PreferenceChange(resume=True, preferred_time=time(9, 30)),
        PreferenceChange(pause_until=date(2026, 12, 1), weekdays=(0, 4), daily_cap=1),
        PreferenceChange(weekdays=(), quiet_start=time(19), quiet_end=time(9)),
    ],
)
def test_a_change_survives_its_button_payload(change: PreferenceChange) -> None:
    assert PreferenceChange.decode(change.encode()) == change
    assert len(change.encode().encode()) <= 40


@pytest.mark.parametrize("forged", ["x=1", "d=9", "c=99", "t=2599", "off=1", "p=20261340"])
def test_a_forged_payload_is_refused(forged: str) -> None:
    with pytest.raises(ValueError):
        PreferenceChange.decode(forged)


def test_a_confirmed_change_is_saved_and_read_back(any_db: Database, clock: FixedClock) -> None:
    change = PreferenceChange(preferred_time=time(9), weekdays=(2,))
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        saved = apply_preference_change(session, principal, change, clock=clock)
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        row = session.get(ReminderPreference, principal.retailer_id)
        assert row is not None
        assert (row.preferred_time, row.preferred_weekdays, row.opted_out) == (time(9), [2], False)
        assert current_preferences(session, principal) == saved
    assert (saved.daily_cap, saved.quiet_start, saved.quiet_end) == (2, time(21), time(8))


def test_stop_then_resume(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        stopped = apply_preference_change(
            session, principal, PreferenceChange(stop=True), clock=clock
        )
        resumed = apply_preference_change(
            session, principal, PreferenceChange(resume=True), clock=clock
        )
    assert stopped.opted_out and not resumed.opted_out


def test_a_pause_ends_at_midnight_shanghai_and_is_over_afterwards(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        view = apply_preference_change(
            session, principal, PreferenceChange(pause_until=date(2026, 11, 30)), clock=clock
        )
    assert view.paused_until == datetime(2026, 11, 30, tzinfo=SHANGHAI)
    assert view.paused_at(clock.now())
    assert not view.paused_at(datetime(2026, 11, 30, 0, 1, tzinfo=SHANGHAI))


def test_quiet_hours_only_get_stricter_from_chat(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        earlier = apply_preference_change(
            session,
            principal,
            PreferenceChange(quiet_start=time(19), quiet_end=time(9)),
            clock=clock,
        )
        relaxed = apply_preference_change(
            session,
            principal,
            PreferenceChange(quiet_start=time(23), quiet_end=time(7)),
            clock=clock,
        )
    assert (earlier.quiet_start, earlier.quiet_end) == (time(19), time(9))
    assert (relaxed.quiet_start, relaxed.quiet_end) == (time(19), time(9))


def test_a_manager_has_no_reminder_preferences(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        manager = access.principal_for(session, 20001)
        with pytest.raises(WrongRole):
            apply_preference_change(session, manager, PreferenceChange(stop=True), clock=clock)


def test_an_offer_confirmed_twice_saves_once_and_a_stale_tap_undoes_nothing(
    any_db: Database, clock: FixedClock
) -> None:
    morning = PreferenceChange(preferred_time=time(9))
    afternoon = PreferenceChange(preferred_time=time(15))
    outcomes = []
    for offer, change in (("offer-a", morning), ("offer-a", morning), ("offer-b", afternoon)):
        with any_db.session() as session:
            principal = access.principal_for(session, 10001)
            outcomes.append(
                confirm_preference_change(
                    session, principal, change, offer_key=offer, clock=clock
                ).already
            )
    # The morning button of the first offer tapped once more, after the afternoon was saved.
    with any_db.session() as session:
        principal = access.principal_for(session, 10001)
        late = confirm_preference_change(
            session, principal, morning, offer_key="offer-a", clock=clock
        )
    assert outcomes == [False, True, False]
    assert late.already and late.view.preferred_time == time(15)
    with any_db.session() as session:
        row = session.get(ReminderPreference, access.principal_for(session, 10001).retailer_id)
        assert row is not None and row.preferred_time == time(15)
        assert len(session.scalars(select(ConfirmedOffer)).all()) == 2
