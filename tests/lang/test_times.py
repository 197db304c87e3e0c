"""Time expressions to ISO 8601 in Asia/Shanghai (lang/times.py), with the time table."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lang.times import TimeResolver, parse_message_time, preference_for
from tests.lang.time_table import MESSAGE_TIME, TIME_TABLE, Row

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _resolved(row: Row, resolver: TimeResolver) -> tuple[str, str, str | None] | None:
    found = resolver.resolve(row.text, now=MESSAGE_TIME, prefer=row.prefer)
    return None if found is None else (found.value.isoformat(), found.grain, found.relation)


def test_time_table_has_at_least_forty_rows_in_each_language() -> None:
    chinese = [r for r in TIME_TABLE if not r.text.isascii()]
    english = [r for r in TIME_TABLE if r.text.isascii()]
    assert (len(chinese) >= 40, len(english) >= 20) == (True, True)


@pytest.mark.parametrize("row", TIME_TABLE, ids=[row.text for row in TIME_TABLE])
def test_time_table_row_resolves_as_expected(row: Row) -> None:
    assert _resolved(row, TimeResolver()) == (row.value, row.grain, row.relation)


@pytest.mark.skipif(
    not (ROOT / ".venv-rasa" / ".installed").exists(), reason="the Rasa environment is not set up"
)
def test_time_table_passes_in_the_rasa_environment() -> None:
    # The server runs Python 3.10 with Rasa's pins; the app its own environment. Same answers.
    script = (
        "import json\n"
        "from lang.times import TimeResolver\n"
        "from tests.lang.time_table import MESSAGE_TIME, TIME_TABLE\n"
        "r = TimeResolver()\n"
        "out = []\n"
        "for row in TIME_TABLE:\n"
        "    v = r.resolve(row.text, now=MESSAGE_TIME, prefer=row.prefer)\n"
        "    out.append(None if v is None else [v.value.isoformat(), v.grain, v.relation])\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    actual = [tuple(v) if v else None for v in json.loads(result.stdout)]
    assert actual == [(row.value, row.grain, row.relation) for row in TIME_TABLE]


def test_part_of_day_carries_its_period() -> None:
    found = TimeResolver().resolve("今天下午", now=MESSAGE_TIME)
    assert found is not None
    assert (found.start.isoformat(), found.end.isoformat()) == (
        "2026-11-24T12:00:00+08:00",
        "2026-11-24T18:00:00+08:00",
    )


def test_week_is_a_monday_to_monday_period() -> None:
    found = TimeResolver().resolve("下周", now=MESSAGE_TIME)
    assert found is not None
    assert (found.as_dict()["from"], found.as_dict()["to"]) == (
        "2026-11-30T00:00:00+08:00",
        "2026-12-07T00:00:00+08:00",
    )


def test_recurring_reminder_time_is_marked_weekly() -> None:
    found = TimeResolver().resolve("每周三上午", now=MESSAGE_TIME)
    assert found is not None
    assert found.recurrence == "weekly"


def test_bare_clock_time_already_past_today_moves_to_tomorrow_for_plans() -> None:
    found = TimeResolver().resolve("早上九点", now=MESSAGE_TIME, prefer="future")
    assert found is not None
    assert found.value.isoformat() == "2026-11-25T09:00:00+08:00"


def test_message_time_given_in_utc_is_read_in_shanghai() -> None:
    utc_evening = datetime(2026, 11, 24, 17, 0, tzinfo=ZoneInfo("UTC"))  # 01:00 next day in CST
    found = TimeResolver().resolve("明天", now=utc_evening)
    assert found is not None
    assert found.value.isoformat() == "2026-11-26T00:00:00+08:00"


@pytest.mark.parametrize("text", ["价格", "嗯嗯", "how much", ""])
def test_text_without_a_time_resolves_to_none(text: str) -> None:
    assert TimeResolver().resolve(text, now=MESSAGE_TIME) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-24T02:30:00+00:00", datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)),
        ("2026-11-24T10:30:00", datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)),
        ("2026-11-24T02:30:00Z", datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)),
        (1795487400, datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)),
        ("yesterday-ish", None),
        (None, None),
    ],
)
def test_message_time_metadata_is_read_from_iso_or_epoch(raw: object, expected: object) -> None:
    assert parse_message_time(raw) == expected


@pytest.mark.parametrize(
    ("intent", "text", "expected"),
    [
        ("visit_note", "今天下午去了张记", "past"),
        ("visit_history", "我上周五去的哪家", "past"),
        ("payment_notice", "中午存了三千", "past"),
        ("payment_notice", "下午去存", "future"),
        ("reminder_prefs", "早上九点提醒我", "future"),
        (None, "周五", "future"),
    ],
)
def test_preference_follows_what_the_message_is_about(
    intent: str | None, text: str, expected: str
) -> None:
    assert preference_for(intent, text) == expected
