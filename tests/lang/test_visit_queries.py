"""What a manager's visit question asks (lang/visit_queries.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from lang.times import SHANGHAI, TimeResolver
from lang.visit_queries import (
    COUNTERFEITS,
    FOLLOW_UPS,
    LAST_VISIT,
    NOT_VISITED,
    PERIOD,
    STOCK_OUTS,
    HistoryQuery,
    days_said,
    read_history_query,
)

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "names_shop", "kind"),
    [
        ("我上次去张记是哪天", True, LAST_VISIT),
        ("这周拜访了哪些店", False, PERIOD),
        ("哪些店超过两周没去了", False, NOT_VISITED),
        ("有哪些要跟进的", False, FOLLOW_UPS),
        ("最近两周哪些店断货", False, STOCK_OUTS),
        ("最近发现的假烟", False, COUNTERFEITS),
        ("which shops haven't I visited in 10 days", False, NOT_VISITED),
        ("visits last week", False, PERIOD),
        ("when did I last visit", False, LAST_VISIT),
    ],
)
def test_history_questions_are_told_apart(text: str, names_shop: bool, kind: str) -> None:
    assert read_history_query(text, now=NOW, names_shop=names_shop).kind == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("哪些店超过两周没去了", HistoryQuery(NOT_VISITED, days=14)),
        ("哪些店没去了", HistoryQuery(NOT_VISITED)),
        ("最近两周哪些店断货", HistoryQuery(STOCK_OUTS, days=14)),
        ("哪些店断货了", HistoryQuery(STOCK_OUTS)),
        ("最近哪些店断过货", HistoryQuery(STOCK_OUTS)),
        (
            "上个月有哪些店断了货",
            HistoryQuery(STOCK_OUTS, start=date(2026, 10, 1), end=date(2026, 10, 31)),
        ),
        (
            "上个月哪些店断货了",
            HistoryQuery(STOCK_OUTS, start=date(2026, 10, 1), end=date(2026, 10, 31)),
        ),
        (
            "stock-outs last week",
            HistoryQuery(STOCK_OUTS, start=date(2026, 11, 16), end=date(2026, 11, 22)),
        ),
        (
            "这个月发现假烟了吗",
            HistoryQuery(COUNTERFEITS, start=date(2026, 11, 1), end=date(2026, 11, 24)),
        ),
        ("下周哪些店会断货", HistoryQuery(STOCK_OUTS)),
        (
            "上周拜访了哪些店",
            HistoryQuery(PERIOD, start=date(2026, 11, 16), end=date(2026, 11, 22)),
        ),
        (
            "这周拜访了哪些店",
            HistoryQuery(PERIOD, start=date(2026, 11, 23), end=date(2026, 11, 24)),
        ),
        ("今天去了哪些店", HistoryQuery(PERIOD, start=date(2026, 11, 24), end=date(2026, 11, 24))),
        ("上个月的拜访", HistoryQuery(PERIOD, start=date(2026, 10, 1), end=date(2026, 10, 31))),
        (
            "visits last week",
            HistoryQuery(PERIOD, start=date(2026, 11, 16), end=date(2026, 11, 22)),
        ),
        (
            "最近3天拜访了哪些店",
            HistoryQuery(PERIOD, days=3, start=date(2026, 11, 22), end=date(2026, 11, 24)),
        ),
        ("拜访了哪些店", HistoryQuery(PERIOD)),
    ],
)
def test_day_counts_and_periods_of_history_questions(text: str, expected: HistoryQuery) -> None:
    assert read_history_query(text, now=NOW, names_shop=False) == expected


def test_a_period_the_nlu_already_read_is_used_as_it_is() -> None:
    yesterday = TimeResolver().resolve("昨天", now=NOW, prefer="past")
    query = read_history_query("那天拜访了哪些店", now=NOW, names_shop=False, period=yesterday)
    assert (query.start, query.end) == (date(2026, 11, 23), date(2026, 11, 23))


@pytest.mark.parametrize(
    ("text", "days"),
    [("两周", 14), ("10 days", 10), ("三个月", 90), ("3个星期", 21), ("没有数", None)],
)
def test_spans_said_as_a_count_of_days_weeks_or_months(text: str, days: int | None) -> None:
    assert days_said(text) == days
