"""Reading a free question for a keyword search: bigrams, pinyin, English stems, star level."""

from __future__ import annotations

import pytest

from lang.questions import (
    STOP_BIGRAMS,
    QuestionTerms,
    Terms,
    bigrams,
    english_stems,
    evidence_terms,
    read_question,
    read_terms,
    spaced_pinyin,
)


@pytest.mark.parametrize(
    ("question", "star"),
    [
        ("五星户能订几条", 5),
        ("3星的定量", 3),
        ("一颗星的店能订多少", 1),
        ("quota at star 4", 4),
        ("Star Level 3 quota", 3),
        ("a 2-star shop", 2),
        ("星级", None),
        ("how are stars rated", None),
    ],
)
def test_a_star_level_named_in_a_question_is_read(question: str, star: int | None) -> None:
    assert read_question(question).star_level == star


def test_chinese_is_read_as_bigrams_of_each_run_and_a_lone_character_stands_alone() -> None:
    assert bigrams("星级怎么评,烟") == frozenset({"星级", "级怎", "怎么", "么评", "烟"})


def test_question_words_are_no_evidence_but_stay_among_the_bigrams() -> None:
    terms = read_question("星级怎么算")
    assert "怎么" in terms.bigrams and "怎么" in STOP_BIGRAMS
    assert terms.evidence == frozenset({"星级", "级怎", "么算"})


@pytest.mark.parametrize(
    ("text", "stems"),
    [
        ("how do i spot fakes", {"spot", "fake"}),
        ("faking it, faked", {"faking", "faked"}),
        ("delivery deliveries", {"deliver"}),
        ("the order is late", {"order", "late"}),
    ],
)
def test_english_words_are_stemmed_without_question_words_and_short_stems_kept_whole(
    text: str, stems: set[str]
) -> None:
    assert english_stems(text) == frozenset(stems)


def test_pinyin_is_toneless_with_a_space_around_every_syllable() -> None:
    assert spaced_pinyin("上新") == " shang xin "
    assert spaced_pinyin("上新") not in spaced_pinyin("地上行")
    assert spaced_pinyin("芙容王") == spaced_pinyin("芙蓉王")


def test_a_mixed_question_is_read_into_every_form() -> None:
    assert read_question("Honghe 为啥停了?") == QuestionTerms(
        normalised="honghe为啥停了",
        pinyin=" honghe wei sha ting le ",
        bigrams=frozenset({"为啥", "啥停", "停了"}),
        words=frozenset({"honghe"}),
        chinese=True,
        star_level=None,
    )


def test_a_keyword_is_read_like_a_question_so_the_two_meet() -> None:
    keyword, question = read_terms("专卖管理员"), read_question("专卖管理员管啥")
    assert isinstance(keyword, Terms) and not isinstance(keyword, QuestionTerms)
    assert keyword.bigrams <= question.bigrams
    assert keyword.normalised in question.normalised
    assert evidence_terms("专卖管理员") == keyword.evidence


def test_an_english_keyword_is_not_chinese_and_nothing_reads_to_nothing() -> None:
    assert read_terms("night delivery").chinese is False
    empty = read_question("?!")
    assert (empty.normalised, empty.evidence, empty.star_level) == ("", frozenset(), None)
