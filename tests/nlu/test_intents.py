"""The linear intent classifier (nlu/intents.py)."""

from __future__ import annotations

import pytest

from nlu.intents import IntentModel

EXAMPLES = {
    "ask_price": [
        "硬芙多少钱",
        "白沙啥价",
        "利群批发价多少",
        "how much is Liqun",
        "price of Baisha",
    ],
    "greet": ["你好", "在吗", "您好呀", "hello", "hi there"],
    "payment_notice": ["刚存了两千", "钱存好了", "已经转账了", "i deposited 500", "money sent"],
}


def _trained() -> IntentModel:
    texts = [text for examples in EXAMPLES.values() for text in examples]
    intents = [intent for intent, examples in EXAMPLES.items() for _ in examples]
    model = IntentModel()
    model.fit(texts, [list(t) for t in texts], intents)
    return model


def test_ranking_puts_the_closest_intent_first_with_probabilities_summing_to_one() -> None:
    ranking = _trained().rank("芙蓉王多少钱", list("芙蓉王多少钱"))
    assert (ranking[0][0], round(sum(p for _, p in ranking), 6)) == ("ask_price", 1.0)


def test_a_stored_model_ranks_like_the_trained_one() -> None:
    model = _trained()
    assert IntentModel.loads(model.dumps()).rank("hello", ["hello"]) == model.rank(
        "hello", ["hello"]
    )


def test_an_untrained_model_refuses_to_rank() -> None:
    with pytest.raises(RuntimeError):
        IntentModel().rank("你好", ["你好"])


def test_training_needs_two_intents() -> None:
    with pytest.raises(ValueError):
        IntentModel().fit(["你好"], [["你好"]], ["greet"])
