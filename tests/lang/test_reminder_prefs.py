"""Reminder-preference wishes read from what retailers write, as typed values.

What a wish becomes for one retailer (their order day, the default pause) is tested in
tests/retail/test_preferences.py; the message-to-offer table in tests/actions/test_preferences.py.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from lang.reminder_prefs import PreferenceWords, mention_from_entity, read_preference_words
from lang.times import SHANGHAI, TimeMention, find_times

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)  # a Tuesday
WORKDAYS = (0, 1, 2, 3, 4)
NEXT_MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每周三上午提醒我就行", PreferenceWords(preferred_time=time(9), weekdays=(2,))),
        ("提醒设成每天早上八点", PreferenceWords(preferred_time=time(8), weekdays=())),
        ("提醒我周一和周四下午3点", PreferenceWords(preferred_time=time(15), weekdays=(0, 3))),
        ("存款提醒改成周一", PreferenceWords(weekdays=(0,))),
        ("只在订货日提醒", PreferenceWords(order_day="on")),
        ("提前一天提醒我就行", PreferenceWords(order_day="before")),
        ("周末别发", PreferenceWords(weekdays=WORKDAYS)),
        ("别天天发", PreferenceWords(fewer=True)),
        ("存款提醒一周一次就行", PreferenceWords(fewer=True)),
        ("一天最多提醒一次", PreferenceWords(daily_cap=1)),
        # 晚上 starts at 18:00 in lang.times' table (this reader used 19:00 before).
        ("晚上别发消息", PreferenceWords(quiet_start=time(18))),
        ("十点以后别提醒", PreferenceWords(quiet_start=time(22))),
        ("早上七点前别发", PreferenceWords(quiet_end=time(7))),
        ("暂停提醒", PreferenceWords(pause=True)),
        ("暂停提醒到下周一", PreferenceWords(pause=True, pause_until=NEXT_MONDAY)),
        ("这周就别提醒了", PreferenceWords(pause=True, pause_until=NEXT_MONDAY)),
        ("暂停提醒到月底", PreferenceWords(pause=True, pause_until=date(2026, 12, 1))),
        ("不要再提醒了", PreferenceWords(stop=True)),
        ("退订", PreferenceWords(stop=True)),
        ("取消订阅提醒", PreferenceWords(stop=True)),
        ("恢复提醒", PreferenceWords(resume=True)),
        ("把提醒恢复了吧", PreferenceWords(resume=True)),
        ("stop reminders", PreferenceWords(stop=True)),
        ("remind me on Wednesdays at 9am", PreferenceWords(preferred_time=time(9), weekdays=(2,))),
        ("pause reminders until Monday", PreferenceWords(pause=True, pause_until=NEXT_MONDAY)),
        ("pause for two weeks", PreferenceWords(pause=True, pause_until=date(2026, 12, 8))),
        ("resume reminders", PreferenceWords(resume=True)),
        ("don't message me every day", PreferenceWords(fewer=True)),
        ("提醒时间改一下", PreferenceWords()),
        ("晚上十点提醒我", PreferenceWords(preferred_time=time(22))),
    ],
)
def test_what_retailers_say_becomes_words(text: str, expected: PreferenceWords) -> None:
    assert read_preference_words(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("周一、三、五提醒", PreferenceWords(weekdays=(0, 2, 4))),
        ("周一到周五提醒", PreferenceWords(weekdays=WORKDAYS)),
        ("Mon to Fri please", PreferenceWords(weekdays=WORKDAYS)),
        ("周五到周一", PreferenceWords(weekdays=(0, 4, 5, 6))),
        ("星期六日别发", PreferenceWords(weekdays=WORKDAYS)),
        ("dont remind me on weekends", PreferenceWords(weekdays=WORKDAYS)),
        ("周三别发", PreferenceWords(weekdays=(0, 1, 3, 4, 5, 6))),
        ("dont send anything before 8am", PreferenceWords(quiet_end=time(8))),
        ("no reminders after 9pm", PreferenceWords(quiet_start=time(21))),
        ("早上别发", PreferenceWords(quiet_end=time(10))),
        ("下午三点以后再提醒", PreferenceWords(preferred_time=time(15))),
        ("remind me in the evening", PreferenceWords(preferred_time=time(20))),
        ("一天一次就够了", PreferenceWords(daily_cap=1)),
        ("每天提醒两次", PreferenceWords(weekdays=(), daily_cap=2)),
        ("at most 5 times a day", PreferenceWords(daily_cap=5)),
        ("暂停半个月", PreferenceWords(pause=True, pause_until=date(2026, 12, 9))),
        ("no reminders this week", PreferenceWords(pause=True, pause_until=NEXT_MONDAY)),
        ("remind me a day before the deduction", PreferenceWords(order_day="before")),
    ],
)
def test_lists_ranges_and_refusals_are_read_as_said(text: str, expected: PreferenceWords) -> None:
    assert read_preference_words(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["下午别发", "remind me at 99:99"])
def test_what_cannot_be_offered_is_not_read_as_stop(text: str) -> None:
    # 下午别发 has no quiet window to express it; it is no wish to stop all reminders.
    assert read_preference_words(text, now=NOW) == PreferenceWords()


def test_part_of_day_words_follow_the_time_table() -> None:
    [evening] = find_times("晚上", now=NOW)
    [morning] = find_times("上午", now=NOW)
    assert read_preference_words("晚上别发", now=NOW).quiet_start == evening.value.start.time()
    assert read_preference_words("上午提醒我", now=NOW).preferred_time == morning.value.value.time()


def test_a_time_the_nlu_resolved_is_taken_as_it_is() -> None:
    text = "提醒改到八点"
    [found] = find_times("晚上八点", now=NOW)
    given = TimeMention(4, 6, "八点", found.value)  # the NLU's 20:00 for the words 八点
    assert read_preference_words(text, now=NOW, times=[given]).preferred_time == time(20)
    assert read_preference_words(text, now=NOW).preferred_time == time(8)


def test_the_rest_of_the_text_is_still_read_when_the_nlu_found_one_time() -> None:
    text = "提醒我周一和周四下午3点"
    [_, thursday] = find_times(text, now=NOW)
    words = read_preference_words(text, now=NOW, times=[thursday])
    assert (words.preferred_time, words.weekdays) == (time(15), (0, 3))


def test_an_nlu_entity_becomes_a_mention() -> None:
    text = "晚上别发消息"
    [found] = find_times(text, now=NOW)
    entity = {"entity": "time", "start": 0, "end": 2, **found.value.as_dict()}
    assert mention_from_entity(entity, text) == found
    unresolved = {"entity": "time", "start": 0, "end": 2, "value": "晚上", "resolved": False}
    assert mention_from_entity(unresolved, text) is None
