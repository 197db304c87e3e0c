"""find_times: every time expression in a whole message, with its span in the original text."""

from __future__ import annotations

import time as clock

import pytest

from lang.times import find_times
from tests.lang.time_table import MESSAGE_TIME  # Tuesday 24 Nov 2026 10:30, Shanghai


def _found(text: str, prefer: str = "future") -> list[tuple[str, str, str, str | None]]:
    mentions = find_times(text, now=MESSAGE_TIME, prefer=prefer)  # type: ignore[arg-type]
    for m in mentions:
        assert text[m.start : m.end] == m.text
    return [
        (m.text, m.value.value.isoformat()[:16], m.value.grain, m.value.relation) for m in mentions
    ]


@pytest.mark.parametrize(
    ("text", "prefer", "expected"),
    [
        (
            "今天下午去了张记烟酒,补了三张标价签,老板说下周一前要补货",
            "past",
            [
                ("今天下午", "2026-11-24T15:00", "part_of_day", None),
                ("下周一前", "2026-11-30T00:00", "day", "before"),
            ],
        ),
        (
            "昨天上午在李记补了货，约好周五下午三点再去",
            "past",
            [
                ("昨天上午", "2026-11-23T09:00", "part_of_day", None),
                ("周五下午三点", "2026-11-20T15:00", "hour", None),
            ],
        ),
        (
            "老板说3天内要把钱存进去，月底前结清",
            "future",
            [
                ("3天内", "2026-11-27T00:00", "day", "before"),
                ("月底前", "2026-11-30T00:00", "day", "before"),
            ],
        ),
        (
            "今晚10点到明早6点店里没人",
            "future",
            [("今晚10点到明早6点", "2026-11-24T22:00", "range", None)],
        ),
        (
            "上周五下午拜访王姐烟酒店，她说下个月5号前要两条硬中华",
            "past",
            [
                ("上周五下午", "2026-11-20T15:00", "part_of_day", None),
                ("下个月5号前", "2026-12-05T00:00", "day", "before"),
            ],
        ),
        (
            "半小时前到的店，两个小时后走",
            "past",
            [
                ("半小时前", "2026-11-24T10:00", "minute", None),
                ("两个小时后", "2026-11-24T12:30", "minute", None),
            ],
        ),
        ("五日内补齐价签", "future", [("五日内", "2026-11-29T00:00", "day", "before")]),
        ("下午三点半到", "future", [("下午三点半", "2026-11-24T15:30", "minute", None)]),
        (
            "明天上午九点一刻送货",
            "future",
            [("明天上午九点一刻", "2026-11-25T09:15", "minute", None)],
        ),
        ("12号之前把货款打过来", "future", [("12号之前", "2026-12-12T00:00", "day", "before")]),
        (
            "下周二和下周四都可以",
            "future",
            [
                ("下周二", "2026-12-01T00:00", "day", None),
                ("下周四", "2026-12-03T00:00", "day", None),
            ],
        ),
        (
            "Visited Zhang's shop this afternoon; he wants 2 cartons by Friday.",
            "past",
            [
                ("this afternoon", "2026-11-24T15:00", "part_of_day", None),
                ("by Friday", "2026-11-27T00:00", "day", "before"),
            ],
        ),
        (
            "Owner paid 5 minutes ago, next visit Tuesday of next week at 3pm",
            "future",
            [
                ("5 minutes ago", "2026-11-24T10:25", "minute", None),
                ("Tuesday of next week at 3pm", "2026-12-01T15:00", "hour", None),
            ],
        ),
        (
            "Please restock within two weeks, I'm there tomorrow at 12.30",
            "future",
            [
                ("within two weeks", "2026-12-08T00:00", "day", "before"),
                ("tomorrow at 12.30", "2026-11-25T12:30", "minute", None),
            ],
        ),
        (
            "The shop opens 6 in the morning and closes 11 at night",
            "future",
            [
                ("6 in the morning", "2026-11-25T06:00", "hour", None),
                ("11 at night", "2026-11-24T23:00", "hour", None),
            ],
        ),
        (
            "We met past Friday; price went up 12.53% since",
            "past",
            [("past Friday", "2026-11-20T00:00", "day", None)],
        ),
        (
            "from 10pm to 6am nobody is there",
            "future",
            [
                ("from 10pm to 6am", "2026-11-24T22:00", "range", None),
            ],
        ),
        (
            "3 days ago he ordered 3 cartons",
            "past",
            [("3 days ago", "2026-11-21T00:00", "day", None)],
        ),
    ],
)
def test_every_time_in_a_message_is_found_in_order(
    text: str, prefer: str, expected: list[tuple[str, str, str, str | None]]
) -> None:
    assert _found(text, prefer) == expected


@pytest.mark.parametrize(
    "text",
    [
        "芙蓉王还剩十二条",
        "¥12.53",
        "12.53%",
        "一百五一条",
        "3 cartons",
        "mar",
        "two price tags",
        "I'll march on",
        "软中华涨到了65一包，利润率12.5%",
        "补了三张标价签，还差两张",
        "进了200条，卖了一百五十条",
        "他说便宜一点，差一点就成交了",
        "sold 20 packs at 15.50 each",
        "I sat down with the owner in the sun",
        "may I have 3 boxes of Marlboro",
        "call 13812345678 or 021-12345678",
        "version 1.2.3, build 2012-1400",
        "1-2条就行",
    ],
)
def test_prices_counts_and_month_like_words_are_no_times(text: str) -> None:
    assert _found(text) == []


def test_spans_point_into_the_original_text_with_full_width_characters() -> None:
    text = "ＯＫ，明天下午３点见"
    (mention,) = find_times(text, now=MESSAGE_TIME)
    assert (mention.text, mention.value.value.isoformat()) == (
        "明天下午３点",
        "2026-11-25T15:00:00+08:00",
    )


@pytest.mark.parametrize(
    "text",
    ["9" * 400, "一" * 5000, "明天" * 2500, "at 3pm " * 700, "12.53% " * 700, "x" * 5000],
)
def test_absurd_input_returns_quickly_without_an_exception(text: str) -> None:
    started = clock.perf_counter()
    find_times(text, now=MESSAGE_TIME)
    assert clock.perf_counter() - started < 2.0
