"""The conversation test set (tests/dialogue/, issue 15) through the real Rasa and action server.

The same run as ``make eval-dialogue``, on the session's shared stack: every scenario is sent
to Rasa's REST webhook signed as the bot signs it, the report goes to reports/dialogue.md and
.json, and at least 95% of the scenarios must pass. The runner puts back any order a scenario
left changed, so the tests after this one see the demo orders as they were.
"""

from __future__ import annotations

import pytest

from retail.db import Database
from scripts.eval_dialogue import (
    PASS_RATE,
    Conversation,
    evaluate,
    load_scenarios,
    problems,
    rate,
)
from scripts.stack import Stack

pytestmark = pytest.mark.e2e


def test_at_least_95_percent_of_the_conversation_scenarios_pass(
    stack: Stack, e2e_database: Database
) -> None:
    scenarios = load_scenarios()
    assert problems(scenarios) == []
    conversation = Conversation(stack.rasa_url, stack.signing_secret)
    note = "Run by tests/e2e/test_dialogue.py on the end-to-end stack."
    results = evaluate(conversation, e2e_database, scenarios, note=note)
    failed = "\n".join(
        f"{r.scenario.source}: {r.scenario.name}: {'; '.join(r.failures)}"
        for r in results
        if not r.passed
    )
    assert rate(results) >= PASS_RATE, f"failed scenarios (see reports/dialogue.md):\n{failed}"
