"""The linear intent classifier (nlu/intents.py)."""

from __future__ import annotations

import pytest

from nlu.intents import Gazetteer, IntentModel, gated, unanchored

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


TABLES = {
    "product": ["Baisha", "Liqun", "Furongwang", "Xuanhemen", "白沙", "硬芙"],
    "retailer": ["Zhang's", "张记烟酒"],
}


@pytest.mark.parametrize(
    ("text", "markers"),
    [
        ("how much is Xuanhemen", ["__product__"]),
        ("硬芙多少钱", ["__product__"]),
        ("how much is Liqn", ["__product__"]),  # one letter dropped
        ("price of Furongwnag", ["__product__"]),  # two letters swapped
        ("price of baisah", ["__product__"]),
        ("has zhang's ordered", ["__retailer__"]),
        ("张记烟酒的白沙", ["__product__", "__retailer__"]),
        ("how much is a liquor licence", []),
        ("nongfu spring price", []),
    ],
)
def test_the_gazetteer_marks_catalog_and_shop_names(text: str, markers: list[str]) -> None:
    assert Gazetteer(TABLES).markers(text) == markers


def test_a_stored_gazetteer_marks_like_the_original() -> None:
    model = IntentModel(gazetteer=Gazetteer(TABLES))
    stored = IntentModel.loads(model.dumps())
    assert stored.gazetteer.markers("price of Liqn") == ["__product__"]


def test_a_brand_never_seen_in_training_reads_as_a_price_question_through_its_marker() -> None:
    texts = ["how much is Baisha", "Liqun price", "price of Furongwang", "hello", "hi there"]
    texts += ["what is the weather", "price of petrol", "how much is rice", "tell me a joke"]
    intents = ["ask_price"] * 3 + ["greet"] * 2 + ["out_of_scope"] * 4
    question = ("how much is Xuanhemen", ["how", "much", "is", "xuanhemen"])
    best = {}
    for name, gazetteer in (("marked", Gazetteer(TABLES)), ("plain", Gazetteer())):
        model = IntentModel(gazetteer=gazetteer)
        model.fit(texts, [t.lower().split() for t in texts], intents)
        best[name] = model.rank(*question)[0][0]
    assert best == {"marked": "ask_price", "plain": "out_of_scope"}


@pytest.mark.parametrize(
    ("text", "intent"),
    [("farewell, friend", "goodbye"), ("transferred the cash", "payment_notice")],
)
def test_the_sentence_embedding_carries_words_the_examples_never_use(
    text: str, intent: str
) -> None:
    examples = {**EXAMPLES, "goodbye": ["再见", "拜拜", "bye", "see you", "good night"]}
    texts = [t for group in examples.values() for t in group]
    intents = [name for name, group in examples.items() for _ in group]
    guesses = {}
    for meaning in (True, False):
        model = IntentModel(meaning=meaning)
        model.fit(texts, [t.split() for t in texts], intents)
        guesses[meaning] = model.rank(text, text.split())[0][0]
    assert (guesses[True], guesses[False] != intent) == (intent, True)


GATE = {"threshold": 0.55, "min_similarity": 0.45, "ungated": frozenset({"greet"})}


def test_support_is_high_near_an_example_and_low_far_from_all() -> None:
    model = _trained()
    [(near, near_support), (_, far_support)] = model.read_many(
        ["what is the price of Liqun", "derangement is not a condition i can experience"],
        [["what", "is", "the", "price", "of", "liqun"], ["derangement"]],
    )
    assert near[0][0] == "ask_price"
    assert near_support is not None and far_support is not None
    assert near_support > 0.6 > far_support


def test_a_stored_model_keeps_its_support() -> None:
    model = _trained()
    stored = IntentModel.loads(model.dumps())
    tokens = [["price", "of", "baisha"]]
    assert stored.read_many(["price of Baisha"], tokens) == model.read_many(
        ["price of Baisha"], tokens
    )


@pytest.mark.parametrize(
    ("ranking", "support", "english", "stopped"),
    [
        ([("ask_price", 0.9)], 0.8, True, False),  # sure and near an example: acted on
        ([("ask_price", 0.5)], 0.8, True, True),  # unsure: ask first
        ([("ask_price", 0.99)], 0.3, True, True),  # sure, but far from every example
        ([("ask_price", 0.99)], 0.3, False, False),  # the English encoder does not judge zh
        ([("greet", 0.5)], 0.1, True, False),  # chat intents are never gated
        ([("nlu_fallback", 1.0)], None, True, False),
        ([("ask_price", 0.9)], None, True, False),  # no embedding: confidence alone
    ],
)
def test_the_off_domain_gate(
    ranking: list[tuple[str, float]], support: float | None, english: bool, stopped: bool
) -> None:
    assert gated(ranking, support, english=english, **GATE) is stopped


@pytest.mark.parametrize(
    ("intent", "text", "kinds", "markers", "stopped"),
    [
        ("follow_up", "那么你呢?", [], [], True),  # nothing to follow up with: chat
        ("follow_up", "and you?", [], [], True),
        ("follow_up", "那利群呢", ["product"], ["__product__"], False),
        ("follow_up", "那利群呢", [], ["__product__"], False),  # the extractor missed the name
        ("follow_up", "上周呢", ["time"], [], False),
        ("follow_up", "what about yesterday?", ["time"], [], False),
        ("follow_up", "张记呢", ["retailer"], [], False),
        ("follow_up", "那软的呢", [], [], False),  # a pack variant of the product in context
        ("follow_up", "and the hard pack?", [], [], False),
        ("ask_price", "多少钱", [], [], False),  # only the anchored intents are judged
    ],
)
def test_a_follow_up_must_name_what_changes(
    intent: str, text: str, kinds: list[str], markers: list[str], stopped: bool
) -> None:
    assert unanchored(intent, text, kinds, markers, anchored=frozenset({"follow_up"})) is stopped


def test_a_message_shorter_than_every_request_example_is_out_of_support() -> None:
    model = _trained()
    chat = frozenset({"greet"})
    # the shortest requests: 白沙啥价 (4 characters), "money sent" (9 letters)
    assert model.shorter_than_examples("钱", chat)
    assert model.shorter_than_examples("钱?", chat)  # punctuation is no letter
    assert not model.shorter_than_examples("存好了没", chat)
    assert model.shorter_than_examples("paid", chat)
    assert not model.shorter_than_examples("money paid", chat)
    # counting the chat intents too, 你好 (2) and "hello" (5) are the floor
    assert not model.shorter_than_examples("钱存", frozenset())
    assert model.shorter_than_examples("钱", frozenset())
    stored = IntentModel.loads(model.dumps())
    assert stored.shorter_than_examples("钱", chat)
