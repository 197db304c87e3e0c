"""The time table: expressions, the preference they are read with, and the expected result.

Every row is resolved against one fixed message time, Tuesday 24 Nov 2026 10:30 in Shanghai.
test_times.py checks each row in the app environment, and again with the Rasa environment's
Python (the one the server runs). Expected values follow the conventions in
lang/times.py: a day is its midnight, a part of day its representative time (上午 09:00, 下午
15:00, 晚上 20:00, 早上 08:00), 下周X the weekday of next Monday-to-Sunday week.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lang.times import Prefer

MESSAGE_TIME = datetime(2026, 11, 24, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


class Row(NamedTuple):
    """One expression and what it must resolve to."""

    text: str
    prefer: Prefer
    value: str
    grain: str
    relation: str | None = None


TIME_TABLE: list[Row] = [
    # Chinese: relative days and parts of day
    Row("今天", "future", "2026-11-24T00:00:00+08:00", "day"),
    Row("明天", "future", "2026-11-25T00:00:00+08:00", "day"),
    Row("后天", "future", "2026-11-26T00:00:00+08:00", "day"),
    Row("大后天", "future", "2026-11-27T00:00:00+08:00", "day"),
    Row("昨天", "past", "2026-11-23T00:00:00+08:00", "day"),
    Row("前天", "past", "2026-11-22T00:00:00+08:00", "day"),
    Row("今天下午", "past", "2026-11-24T15:00:00+08:00", "part_of_day"),
    Row("昨天上午", "past", "2026-11-23T09:00:00+08:00", "part_of_day"),
    Row("昨天傍晚", "past", "2026-11-23T18:00:00+08:00", "part_of_day"),
    Row("明早", "future", "2026-11-25T08:00:00+08:00", "part_of_day"),
    Row("今早", "past", "2026-11-24T08:00:00+08:00", "part_of_day"),
    Row("昨晚", "past", "2026-11-23T20:00:00+08:00", "part_of_day"),
    Row("明天一早", "future", "2026-11-25T08:00:00+08:00", "part_of_day"),
    Row("下午", "future", "2026-11-24T15:00:00+08:00", "part_of_day"),
    # Chinese: clock times
    Row("明天下午三点", "future", "2026-11-25T15:00:00+08:00", "hour"),
    Row("下午3点", "future", "2026-11-24T15:00:00+08:00", "hour"),
    Row("今晚8点", "future", "2026-11-24T20:00:00+08:00", "hour"),
    Row("晚上八点", "future", "2026-11-24T20:00:00+08:00", "hour"),
    Row("上午十点", "past", "2026-11-24T10:00:00+08:00", "hour"),
    Row("早上九点", "future", "2026-11-25T09:00:00+08:00", "hour"),
    Row("下午三点半", "future", "2026-11-24T15:30:00+08:00", "minute"),
    Row("三点一刻", "future", "2026-11-24T15:15:00+08:00", "minute"),
    Row("下午三点左右", "past", "2026-11-23T15:00:00+08:00", "hour"),
    Row("十点以后", "future", "2026-11-25T10:00:00+08:00", "hour", "after"),
    # Chinese: weeks and weekdays
    Row("下周三", "future", "2026-12-02T00:00:00+08:00", "day"),
    Row("本周五", "future", "2026-11-27T00:00:00+08:00", "day"),
    Row("这周五", "future", "2026-11-27T00:00:00+08:00", "day"),
    Row("上周五", "past", "2026-11-20T00:00:00+08:00", "day"),
    Row("上周五下午", "past", "2026-11-20T15:00:00+08:00", "part_of_day"),
    Row("上星期三", "past", "2026-11-18T00:00:00+08:00", "day"),
    Row("下下周一", "future", "2026-12-07T00:00:00+08:00", "day"),
    Row("周五", "future", "2026-11-27T00:00:00+08:00", "day"),
    Row("周六", "past", "2026-11-21T00:00:00+08:00", "day"),
    Row("周二前", "future", "2026-11-24T00:00:00+08:00", "day", "before"),
    Row("礼拜天", "future", "2026-11-29T00:00:00+08:00", "day"),
    Row("这周", "future", "2026-11-23T00:00:00+08:00", "week"),
    Row("上礼拜", "past", "2026-11-16T00:00:00+08:00", "week"),
    Row("下周", "future", "2026-11-30T00:00:00+08:00", "week"),
    Row("周末", "future", "2026-11-28T00:00:00+08:00", "day"),
    Row("每周三上午", "future", "2026-11-25T09:00:00+08:00", "part_of_day"),
    # Chinese: days of month, month ends, offsets
    Row("12号", "future", "2026-12-12T00:00:00+08:00", "day"),
    Row("十二号前", "future", "2026-12-12T00:00:00+08:00", "day", "before"),
    Row("20号", "past", "2026-11-20T00:00:00+08:00", "day"),
    Row("下个月5号", "future", "2026-12-05T00:00:00+08:00", "day"),
    Row("6月10日", "future", "2027-06-10T00:00:00+08:00", "day"),
    Row("月底前", "future", "2026-11-30T00:00:00+08:00", "day", "before"),
    Row("下个月底", "future", "2026-12-31T00:00:00+08:00", "day"),
    Row("这个月", "future", "2026-11-01T00:00:00+08:00", "month"),
    Row("上个月", "past", "2026-10-01T00:00:00+08:00", "month"),
    Row("两天后", "future", "2026-11-26T00:00:00+08:00", "day"),
    Row("三天前", "past", "2026-11-21T00:00:00+08:00", "day"),
    Row("过两天", "future", "2026-11-26T00:00:00+08:00", "day"),
    Row("半小时后", "future", "2026-11-24T11:00:00+08:00", "minute"),
    Row("最近两周", "past", "2026-11-10T00:00:00+08:00", "day"),
    # English
    Row("today", "future", "2026-11-24T00:00:00+08:00", "day"),
    Row("tomorrow", "future", "2026-11-25T00:00:00+08:00", "day"),
    Row("yesterday", "past", "2026-11-23T00:00:00+08:00", "day"),
    Row("the day before yesterday", "past", "2026-11-22T00:00:00+08:00", "day"),
    Row("tomorrow morning", "future", "2026-11-25T09:00:00+08:00", "part_of_day"),
    Row("this afternoon", "future", "2026-11-24T15:00:00+08:00", "part_of_day"),
    Row("yesterday afternoon", "past", "2026-11-23T15:00:00+08:00", "part_of_day"),
    Row("tonight", "future", "2026-11-24T20:00:00+08:00", "part_of_day"),
    Row("last Friday", "past", "2026-11-20T00:00:00+08:00", "day"),
    Row("next Wednesday 3pm", "future", "2026-12-02T15:00:00+08:00", "hour"),
    Row("next Monday", "future", "2026-11-30T00:00:00+08:00", "day"),
    Row("Friday", "future", "2026-11-27T00:00:00+08:00", "day"),
    Row("Saturday", "past", "2026-11-21T00:00:00+08:00", "day"),
    Row("in two days", "future", "2026-11-26T00:00:00+08:00", "day"),
    Row("3 days ago", "past", "2026-11-21T00:00:00+08:00", "day"),
    Row("in 3 hours", "future", "2026-11-24T13:30:00+08:00", "minute"),
    Row("by the end of the month", "future", "2026-11-30T00:00:00+08:00", "day", "before"),
    Row("end of next month", "future", "2026-12-31T00:00:00+08:00", "day"),
    Row("8pm", "future", "2026-11-24T20:00:00+08:00", "hour"),
    Row("9am", "future", "2026-11-25T09:00:00+08:00", "hour"),
    Row("tomorrow at 10:30", "future", "2026-11-25T10:30:00+08:00", "minute"),
    Row("this week", "future", "2026-11-23T00:00:00+08:00", "week"),
    Row("last wk", "past", "2026-11-16T00:00:00+08:00", "week"),
    Row("last month", "past", "2026-10-01T00:00:00+08:00", "month"),
    Row("every Wednesday morning", "future", "2026-11-25T09:00:00+08:00", "part_of_day"),
    Row("June 10", "future", "2027-06-10T00:00:00+08:00", "day"),
    Row("before Friday", "future", "2026-11-27T00:00:00+08:00", "day", "before"),
]
