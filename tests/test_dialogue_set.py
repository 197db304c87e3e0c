"""The conversation test set (tests/dialogue/) and its runner's checks, without Rasa.

The set itself runs through the real stack in tests/e2e/test_dialogue.py and ``make
eval-dialogue``; here: it loads, every scenario is well formed and covers what issue 15 asks
for, and the runner's checks and database readings mean what the scenarios rely on.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from retail.clock import SystemClock
from retail.db import Database
from retail.i18n import LANGUAGES, catalog
from retail.schema import migrate
from retail.seed import seed_demo
from scripts.eval_dialogue import (
    CONTEXT_TAGS,
    DEMO_USERS,
    Answer,
    Records,
    Step,
    check,
    check_order,
    fill,
    load_scenarios,
    problems,
)

SCENARIOS = load_scenarios()


def test_the_scenarios_load_and_are_well_formed() -> None:
    assert problems(SCENARIOS) == []


def test_there_are_80_scenarios_and_30_need_the_conversation_context() -> None:
    in_context = [s for s in SCENARIOS if CONTEXT_TAGS & set(s.tags)]
    assert len(SCENARIOS) >= 80
    assert len(in_context) >= 30


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "tag",
    ["single", "follow_up", "correction", "cancellation", "form", "confirmation", "off_domain"],
)
def test_each_behaviour_of_the_issue_is_tried_in_each_language(language: str, tag: str) -> None:
    assert any(s.language == language and tag in s.tags for s in SCENARIOS)


def test_retailers_and_managers_both_speak_in_both_languages() -> None:
    pairs = Counter((DEMO_USERS[s.user], s.language) for s in SCENARIOS)
    assert set(pairs) == {(role, lang) for role in ("retailer", "manager") for lang in LANGUAGES}


def test_every_user_is_a_demo_user() -> None:
    assert {s.user for s in SCENARIOS} <= set(DEMO_USERS)


def test_every_says_key_exists_in_both_locales() -> None:
    keys = set()
    for step in (step for s in SCENARIOS for step in s.steps):
        says = step.checks.get("says", [])
        keys |= {says} if isinstance(says, str) else set(says)
        keys |= set(step.checks.get("says_any") or [])
    assert keys
    assert [k for k in sorted(keys) if any(k not in catalog(lang) for lang in LANGUAGES)] == []


def test_a_malformed_scenario_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        "language: zh\n"
        "scenarios:\n"
        "  - name: bad\n"
        "    user: 99999\n"
        "    tags: [single]\n"
        "    turns:\n"
        "      - tap: 确认\n"
        "        says: no.such.key\n"
        "      - say: no\n"
        "        contain: [x]\n",
        encoding="utf-8",
    )
    found = "\n".join(problems(load_scenarios(tmp_path)))
    assert "user 99999 is not a demo user" in found
    assert "the first turn cannot tap" in found
    assert "'no.such.key' is not in the zh, en locale" in found
    assert "unknown checks ['contain']" in found
    assert "quote yes/no" in found


def test_the_checks_compare_texts_buttons_and_locale_prefixes() -> None:
    step = Step(
        "say",
        "利群改成3条",
        {
            "contains": ["利群(新版):2 → 3 条"],
            "not_contains": ["已取消"],
            "buttons": ["确认修改"],
            "says": "order.change.title",
        },
    )
    shown = Answer("请确认以下订单修改:\n• 利群(新版):2 → 3 条", (("✅ 确认修改", "/affirm"),))
    assert check(step, shown, "zh", str) == []

    wrong = Answer("好的,已取消这次修改,订单没有变动。", ())
    assert check(step, wrong, "zh", str) == [
        "contains '利群(新版):2 → 3 条'",
        "does not contain '已取消'",
        "a button titled like '确认修改'",
        "says order.change.title ('请确认以下订单修改:')",
    ]


def test_any_of_and_no_buttons_checks() -> None:
    step = Step("say", "thanks", {"says_any": ["thank", "ack"], "no_buttons": True})
    assert check(step, Answer("OK.", ()), "en", str) == []
    failed = check(step, Answer("Sorry, I can't help with that.", (("Prices", "/x"),)), "en", str)
    assert failed == ["no buttons", "says one of ['thank', 'ack']"]


@pytest.fixture
def records(sqlite_url: str) -> Records:
    migrate(sqlite_url)
    database = Database(sqlite_url)
    with database.session() as session:
        seed_demo(session, SystemClock())
    return Records(database)


def test_templates_read_prices_and_the_order_at_the_start(records: Records) -> None:
    start = records.order(10001)
    assert start["利群(新版)"][0] == 2
    text = "利群(新版):{qty:利群(新版)} → {qty:利群(新版)+2} 条,批发 {wholesale:利群(新版)}"
    assert fill(text, records, start) == "利群(新版):2 → 4 条,批发 ¥142.00"
    assert fill("{qty:双喜(软经典)}", records, start) == "0"


def test_order_checks_and_put_back(records: Records) -> None:
    start = records.order(10001)
    before = records.writes()
    records.restore_order(10001, {**start, "利群(新版)": (4, start["利群(新版)"][1])})
    order = records.order(10001)
    assert check_order({"利群(新版)": 4}, order, str) == []
    assert check_order({"利群(新版)": "{qty}"}, order, lambda _: "2") == [
        "order has 利群(新版) x 2 (it has 4)"
    ]
    assert records.writes() != before
    records.restore_order(10001, start)
    assert records.order(10001) == start
    assert records.writes() == before
