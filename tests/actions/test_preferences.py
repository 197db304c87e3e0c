"""Reminder preferences through the actions: offered, confirmed, repeated back as saved."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from actions.preferences import ActionPrefsConfirm, ActionReminderPrefs
from retail.db import Database
from retail.models import ReminderPreference
from tests.actions.history import conversation, run, tap


def _rows(db: Database) -> list[ReminderPreference]:
    with db.session() as session:
        return list(session.scalars(select(ReminderPreference)))


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
