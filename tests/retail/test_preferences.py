"""Reminder preferences: read from what retailers say, saved as confirmed, quiet hours kept."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from retail import access
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.errors import WrongRole
from retail.models import ReminderPreference
from retail.preferences import (
    PreferenceChange,
    apply_preference_change,
    current_preferences,
    read_preference_change,
)

TUESDAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("每周三上午提醒我就行", "t=0900;d=2"),
        ("提醒设成每天早上八点", "t=0800;d=*"),
        ("提醒我周一和周四下午3点", "t=1500;d=0.3"),
        ("存款提醒改成周一", "d=0"),
        ("只在订货日提醒", "d=1"),
        ("提前一天提醒我就行", "d=0"),
        ("周末别发", "d=0.1.2.3.4"),
        ("别天天发", "d=1;c=1"),
        ("存款提醒一周一次就行", "d=1;c=1"),
        ("一天最多提醒一次", "c=1"),
        ("晚上别发消息", "qs=1900"),
        ("十点以后别提醒", "qs=2200"),
        ("早上七点前别发", "qe=0700"),
        ("暂停提醒", "p=20261201"),
        ("暂停提醒到下周一", "p=20261130"),
        ("这周就别提醒了", "p=20261130"),
        ("暂停提醒到月底", "p=20261201"),
        ("不要再提醒了", "off"),
        ("退订", "off"),
        ("取消订阅提醒", "off"),
        ("恢复提醒", "on"),
        ("把提醒恢复了吧", "on"),
        ("stop reminders", "off"),
        ("remind me on Wednesdays at 9am", "t=0900;d=2"),
        ("pause reminders until Monday", "p=20261130"),
        ("pause for two weeks", "p=20261208"),
        ("resume reminders", "on"),
        ("don't message me every day", "d=1;c=1"),
        ("提醒时间改一下", ""),
    ],
)
def test_what_retailers_say_becomes_a_change(text: str, encoded: str) -> None:
    read = read_preference_change(text, today=TUESDAY, order_weekday=1)
    assert read.problem is None
    assert read.change.encode() == encoded


def test_a_time_inside_quiet_hours_is_refused_with_the_quiet_hours() -> None:
    read = read_preference_change("晚上十点提醒我", today=TUESDAY, order_weekday=1)
    assert read.problem == "quiet"
    assert read.problem_params == {"time": "22:00", "start": "21:00", "end": "08:00"}


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
