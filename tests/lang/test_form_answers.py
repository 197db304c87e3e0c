"""Short answers to a form's questions: bare complaints, "don't know", "none", side questions."""

from __future__ import annotations

import pytest

from lang.form_answers import complaint_detail, is_question, says_none, says_unknown


@pytest.mark.parametrize(
    "text",
    [
        "我要投诉",
        "我要投诉一下",
        "我想投诉一下!",
        "投诉",
        "你好,我有个投诉",
        "我要反映个事",
        "I want to file a complaint",
        "I have a complaint",
        "I'd like to make a complaint.",
        "hi, I want to complain",
        "I have a complaint about the delivery",
    ],
)
def test_a_bare_complaint_says_nothing_yet(text: str) -> None:
    assert complaint_detail(text) == ""


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("我要投诉,今天送来的货少了一条芙蓉王", "今天送来的货少了一条芙蓉王"),
        ("利群这周到货有三条破损", "利群这周到货有三条破损"),
        ("送货员态度很差", "送货员态度很差"),
        ("I want to complain: the delivery guy was rude", "the delivery guy was rude"),
        (
            "two cartons of Liqun arrived damaged on Tuesday",
            "two cartons of Liqun arrived damaged on Tuesday",
        ),
    ],
)
def test_a_complaint_that_says_what_happened_keeps_it_without_the_bare_words(
    text: str, detail: str
) -> None:
    assert complaint_detail(text) == detail


def test_a_product_or_time_alone_is_not_what_happened() -> None:
    assert complaint_detail("我要投诉利群", spans=[(4, 6)]) == ""
    assert complaint_detail("我要投诉利群") == "利群"


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("不记得", True),
        ("记不清了", True),
        ("具体哪天忘了", True),
        ("I don't know", True),
        ("not sure", True),
        ("昨天", False),
        ("this morning", False),
    ],
)
def test_not_remembering_the_time(text: str, unknown: bool) -> None:
    assert says_unknown(text) is unknown


@pytest.mark.parametrize(
    ("text", "none"),
    [
        ("没有", True),
        ("不涉及", True),
        ("跟产品没关系", True),
        ("none", True),
        ("No.", True),
        ("not about a product", True),
        ("利群", False),
        ("Furongwang", False),
    ],
)
def test_no_product_involved(text: str, none: bool) -> None:
    assert says_none(text) is none


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("利群多少钱一条", True),
        ("账户还有钱吗", True),
        ("how much is Liqun?", True),
        ("is my order in", True),
        ("芙蓉王", False),
        ("上周二吧", False),
        ("the driver was rude", False),
    ],
)
def test_a_question_in_a_form_is_told_from_an_answer(text: str, asked: bool) -> None:
    assert is_question(text) is asked
