"""The cross-validation report of scripts/eval_nlu.py, from Rasa-shaped results."""

from __future__ import annotations

from datetime import date

from scripts.eval_nlu import LanguageResult, render_markdown

INTENTS = {
    "greet": {"precision": 1.0, "recall": 0.5, "f1-score": 0.667, "support": 2},
    "goodbye": {"precision": 0.5, "recall": 1.0, "f1-score": 0.667, "support": 1},
    "accuracy": 0.667,
    "macro avg": {"precision": 0.75, "recall": 0.75, "f1-score": 0.667, "support": 3},
}
ENTITIES = {"product": {"precision": 1.0, "recall": 0.9, "f1-score": 0.947, "support": 10}}
ERRORS = [{"text": "拜拜", "intent": "greet", "intent_prediction": {"name": "goodbye"}}]


def _result() -> LanguageResult:
    return LanguageResult("zh", 3, 60.0, INTENTS, ENTITIES, ERRORS)


def test_confused_pairs_count_each_true_and_predicted_intent_with_examples() -> None:
    assert _result().confused_pairs() == [("greet", "goodbye", 1, ["拜拜"])]


def test_report_shows_macro_f1_entity_f1_and_the_confused_pair() -> None:
    report = render_markdown([_result()], day=date(2026, 11, 22), folds=5, epochs=40)
    expected = [
        "# NLU cross-validation, 2026-11-22",
        "| zh | 3 | 0.667 | 0.667 | 0.947 | - | - | - | - | - | 1.0 min | 0.2 min |",
        "- greet -> goodbye: 1 (“拜拜”)",
    ]
    assert [line in report.splitlines() for line in expected] == [True, True, True]
