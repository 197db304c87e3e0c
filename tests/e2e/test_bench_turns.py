"""``make bench-turns`` in small: modes (a) and (b) on the shared stack, a few seconds each.

The bench's own figures are the assertions: every turn answered, no errors, positive rates and
latencies, and CPU seen for the stack's processes during the closed loop.
"""

from __future__ import annotations

import pytest

from scripts import bench_turns
from scripts.bench_turns import ModeResult, Plan
from scripts.stack import Stack

pytestmark = pytest.mark.e2e

SMOKE_FIRST = bench_turns.FIRST_USER + 900_000
USERS = len(bench_turns.MESSAGES) + 10
PLAN = Plan(
    rates=[3.0],
    duration=3.0,
    closed_users=[2],
    closed_duration=3.0,
    arrivals="even",
    warmup_rounds=1,
    calibrate_quiet=1.0,
    pause=0.2,
)


def assert_clean(result: ModeResult) -> None:
    """Every phase answered every turn without errors, with positive figures."""
    assert [p.name for p in result.phases] == ["closed 2 users", "open 3/s"]
    for phase in result.phases:
        assert phase.errors == {}, (result.mode, phase.name)
        assert phase.turns > 0 and phase.answered == phase.turns, (result.mode, phase)
        assert phase.achieved > 0 and phase.p50_ms is not None and phase.p50_ms > 0
        assert phase.p99_ms is not None and phase.p99_ms >= phase.p50_ms
    closed = result.phases[0]
    assert closed.cpu is not None
    assert closed.cpu["processes_pct_of_one_core"]["rasa"] > 0
    assert result.extra_messages == 0


async def test_rest_and_full_path_answer_every_turn_of_a_short_run(stack: Stack) -> None:
    rest_users = bench_turns.bench_users(SMOKE_FIRST, USERS)
    full_users = bench_turns.bench_users(SMOKE_FIRST + 1000, USERS)
    bench_turns.seed_bench_users(stack.env["DATABASE_URL"], [*rest_users, *full_users])
    roots = bench_turns.stack_roots(stack)

    rest = await bench_turns.run_rest(stack, rest_users, PLAN, roots=roots, progress=print)
    full = await bench_turns.run_standin(
        "b-full", "smoke", stack.standin_url, full_users, PLAN, roots=roots, progress=print
    )

    assert_clean(rest)
    assert_clean(full)
    assert set(full.replies_per_turn) == {p.text for p in bench_turns.MESSAGES}
    assert all(count >= 1 for count in full.replies_per_turn.values())
