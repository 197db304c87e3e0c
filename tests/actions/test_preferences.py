"""Reminder preferences through the actions: offered, confirmed, repeated back as saved."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import select

from actions.preferences import ActionPrefsConfirm, ActionReminderPrefs, wish_from_words
from lang.reminder_prefs import read_preference_words
from lang.times import SHANGHAI, find_times
from retail.db import Database
from retail.models import ConfirmedOffer, ReminderPreference
from retail.reminders import default_preferences, plan_preference_change
from tests.actions.history import Said, conversation, run, tap

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)  # a Tuesday
DEFAULTS = default_preferences(order_weekday=1)  # orders on Tuesdays


def _rows(db: Database) -> list[ReminderPreference]:
    with db.session() as session:
        return list(session.scalars(select(ReminderPreference)))


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
        ("晚上别发消息", "qs=1800"),  # was qs=1900: 晚上 starts at 18:00 in lang.times
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
def test_what_retailers_say_becomes_the_offered_change(text: str, encoded: str) -> None:
    words = read_preference_words(text, now=NOW)
    plan = plan_preference_change(DEFAULTS, wish_from_words(words), today=NOW.date())
    assert plan.problem is None
    assert plan.change.encode() == encoded


async def test_a_wish_is_offered_for_confirmation_and_nothing_is_saved(run_action, db) -> None:
    messages, _ = await run_action(
        ActionReminderPrefs(), "10001", "每周三上午提醒我就行", "reminder_prefs"
    )
    [message] = messages
    assert "只在 周三 提醒" in message["text"] and "在 09:00 左右提醒" in message["text"]
    assert message["buttons"][0]["payload"] == '/prefs_confirm{"ref":"t=0900;d=2"}'
    assert _rows(db) == []


async def test_confirming_saves_and_repeats_what_was_saved(run_action, db) -> None:
    messages, _ = await run(
        ActionPrefsConfirm(), conversation("10001", tap("prefs_confirm", "t=0900;d=2"))
    )
    [row] = _rows(db)
    assert (row.preferred_time, row.preferred_weekdays) == (time(9), [2])
    assert messages[0]["text"] == "已保存。您现在的提醒设置:"
    summary = messages[1]["text"]
    assert (
        "存款提醒:开启" in summary and "提醒日:周三" in summary and "提醒时间:09:00 左右" in summary
    )


async def test_stop_in_english_is_confirmed_in_english(run_action, db) -> None:
    messages, _ = await run_action(
        ActionReminderPrefs(), "10001", "stop reminders", "reminder_prefs"
    )
    assert "stop deposit reminders" in messages[0]["text"]
    saved, _ = await run(ActionPrefsConfirm(), conversation("10001", tap("prefs_confirm", "off")))
    assert _rows(db)[0].opted_out
    # A tap carries no words, so its reply is in the user's saved language (zh here).
    assert "存款提醒:已关闭" in saved[1]["text"]


async def test_an_unclear_wish_shows_the_settings_and_one_tap_choices(run_action, db) -> None:
    messages, _ = await run_action(
        ActionReminderPrefs(), "10001", "提醒时间改一下", "reminder_prefs"
    )
    assert "免打扰:21:00-08:00" in messages[1]["text"]
    payloads = [b["payload"] for b in messages[-1]["buttons"]]
    assert (
        '/prefs_confirm{"ref":"t=0900"}' in payloads and '/prefs_confirm{"ref":"off"}' in payloads
    )
    assert _rows(db) == []


async def test_a_time_in_quiet_hours_is_explained_and_not_offered(run_action, db) -> None:
    messages, _ = await run_action(
        ActionReminderPrefs(), "10001", "晚上十点提醒我", "reminder_prefs"
    )
    assert "免打扰时段(21:00-08:00)" in messages[0]["text"] and not messages[0]["buttons"]


async def test_a_forged_payload_saves_nothing(run_action, db) -> None:
    for ref in ("d=9", "x", ""):
        messages, _ = await run(
            ActionPrefsConfirm(), conversation("10001", tap("prefs_confirm", ref))
        )
        assert messages[0]["text"] == "这个按钮已失效,请重新发起。"
    assert _rows(db) == []


async def test_a_manager_has_no_reminder_settings(run_action) -> None:
    messages, _ = await run_action(ActionReminderPrefs(), "20001", "别天天发", "reminder_prefs")
    assert messages[0]["text"] == "抱歉,这项功能不适用于您的账号类型。"


async def test_the_time_the_nlu_resolved_is_the_one_offered(run_action, db) -> None:
    # The NLU read 八点 as 20:00 (say, from 晚上 earlier in the chat); the action keeps that.
    [evening] = find_times("晚上八点", now=NOW)
    entity = {"entity": "time", "start": 4, "end": 6, **evening.value.as_dict()}
    messages, _ = await run_action(
        ActionReminderPrefs(), "10001", "提醒改到八点", "reminder_prefs", entities=[entity]
    )
    assert messages[0]["buttons"][0]["payload"] == '/prefs_confirm{"ref":"t=2000"}'


async def test_a_pause_the_nlu_resolved_ends_on_its_day(run_action, db) -> None:
    [monday] = find_times("下周一", now=NOW)
    entity = {"entity": "time", "start": 5, "end": 8, **monday.value.as_dict()}
    messages, _ = await run_action(
        ActionReminderPrefs(), "10001", "暂停提醒到下周一", "reminder_prefs", entities=[entity]
    )
    assert messages[0]["buttons"][0]["payload"] == '/prefs_confirm{"ref":"p=20261130"}'
    assert _rows(db) == []


async def test_the_same_offer_tapped_twice_saves_once_and_says_so(run_action, db) -> None:
    said = Said("每周三上午提醒我就行", "reminder_prefs", message_id="5ca1ab1e0000ffff")
    offered, _ = await run(ActionReminderPrefs(), conversation("10001", said))
    payload = offered[0]["buttons"][0]["payload"]
    assert payload == '/prefs_confirm{"ref":"5ca1ab1e:t=0900;d=2"}'
    assert len(payload.encode()) <= 64
    first, _ = await run(
        ActionPrefsConfirm(),
        conversation("10001", said, tap("prefs_confirm", "5ca1ab1e:t=0900;d=2")),
    )
    assert first[0]["text"] == "已保存。您现在的提醒设置:"
    # The retailer then asks for afternoons and saves that; the old button is tapped again.
    later = Said("改成下午提醒", "reminder_prefs", message_id="0ddba11000000000")
    await run(
        ActionPrefsConfirm(), conversation("10001", later, tap("prefs_confirm", "0ddba110:t=1500"))
    )
    again, _ = await run(
        ActionPrefsConfirm(),
        conversation("10001", said, tap("prefs_confirm", "5ca1ab1e:t=0900;d=2")),
    )
    assert again[0]["text"] == "这项设置已经保存过了,不会重复保存。您现在的提醒设置:"
    assert "提醒时间:15:00 左右" in again[1]["text"]
    [row] = _rows(db)
    assert row.preferred_time == time(15)
    with db.session() as session:
        assert len(session.scalars(select(ConfirmedOffer)).all()) == 2
