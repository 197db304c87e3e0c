"""The big time table (tests/lang/time_cases.py): size, sources and pass rates per language.

Each row is also a test of its own, so a failure names the expression; the rate tests hold the
acceptance bar (>=95% in zh and in en separately, and every "no time" row passes), so a few
known misses (listed in the report of the change that added the table) do not hide a regression.
"""

from __future__ import annotations

import pytest

from lang.times import TimeResolver
from tests.lang.time_cases import CASES, OURS, Case

RESOLVER = TimeResolver()


def _passes(case: Case) -> bool:
    found = RESOLVER.resolve(case.text, now=case.message_time, prefer=case.prefer)
    if case.expected is None:
        return found is None
    if found is None:
        return False
    actual = (found.value.isoformat(), found.grain, found.relation)
    if actual != (case.expected, case.grain, case.relation):
        return False
    return case.end is None or found.end.isoformat() == case.end


def _rate(language: str) -> tuple[float, list[str]]:
    rows = [c for c in CASES if c.language == language]
    failures = [c.text for c in rows if not _passes(c)]
    return 1 - len(failures) / len(rows), failures


def test_table_has_two_hundred_rows_half_from_public_suites() -> None:
    public = [c for c in CASES if c.source != OURS]
    assert (len(CASES) >= 200, len(public) >= 100) == (True, True)


def test_every_public_row_names_its_repository_and_file() -> None:
    for case in CASES:
        if case.source != OURS:
            repo, _, path = case.source.partition(" ")
            assert repo and "/" in path and "." in path, case


@pytest.mark.parametrize("language", ["zh", "en"])
def test_table_passes_ninety_five_percent_per_language(language: str) -> None:
    rate, failures = _rate(language)
    assert rate >= 0.95, failures


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.expected is None], ids=lambda c: repr(c.text)
)
def test_every_no_time_row_finds_no_time(case: Case) -> None:
    assert RESOLVER.resolve(case.text, now=case.message_time) is None


def test_no_time_rows_are_no_times_for_the_scanner_either() -> None:
    from lang.times import find_times

    found = {c.text: find_times(c.text, now=c.message_time) for c in CASES if c.expected is None}
    assert {text: mentions for text, mentions in found.items() if mentions} == {}
