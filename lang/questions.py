"""The words of a free question, in the forms a keyword search compares: Chinese character
bigrams, toneless pinyin, English word stems, and the star level it asks about.

A policy question (星级怎么算, "how do i spot fakes") is matched against the keywords and texts
of the company's policies, not against a trained intent, so both sides must be read the same
way: :func:`read_question` reads what the user asked, :func:`read_terms` reads any other text
(a policy's keyword, title or body) into the same :class:`Terms`, and :func:`evidence_terms`
gives only the terms of a long text (no pinyin). How the forms are scored is
retail.policies.matching's business; this module only reads.

- Chinese: character bigrams of each run of Chinese characters, so 星级怎么算 still meets
  星级怎么评; question words (怎么, 什么, 可以) are not evidence of a topic.
- Pinyin: toneless, a space around every syllable, so a match respects syllables (上新 is not
  in 地上行) and a homophone typo still matches.
- English: content words with plural/-ed/-ing/-y endings folded ('fakes', 'faked', 'faking').
- The star level asked about: 五星户, 3星, "star 4", "a 2-star shop".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from lang.products import normalise

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_STAR = re.compile(
    r"([1-5一二三四五])\s*(?:星|颗星)|star(?: level)?\s*([1-5])|([1-5])[- ]star", re.I
)
_STAR_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}

STOP_BIGRAMS = frozenset(
    {
        "怎么", "什么", "多少", "是不", "不是", "可以", "能不", "不能", "有没", "没有", "为什",
        "为啥", "咋办", "怎样", "如何", "请问", "一下", "我的", "我们", "你们", "是什", "么办",
        "么样", "的是", "了吗", "吗我", "要怎", "是啥", "干啥", "干嘛", "啥意", "意思", "是多",
        "少钱", "这个", "那个", "一个", "现在", "的话", "还能", "能用", "行不", "不行", "是怎",
        "么回", "回事",
    }
)  # fmt: skip
"""Chinese question-word bigrams: they say nothing about the topic, so they are no evidence."""

_EN_STOP = frozenset(
    """a an the i me my we our you your is are was were be been do does did how what when
    where which who whom why can could should would will shall may might must to of in on at
    for from by with and or not no if it its this that there here any some please tell about
    get got have has had need want know so as up out just than then too very much many""".split()  # noqa: SIM905
)


def _stem(word: str) -> str:
    """Fold common English endings so 'fakes', 'faked', 'faking' and 'delivery' meet their
    stems; applied to questions and policies alike, so only consistency matters."""
    for suffix in ("ies", "ing", "ed", "es", "s", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def english_stems(text: str) -> frozenset[str]:
    """The stems of the English content words of ``text`` (question words left out)."""
    return frozenset(_stem(w) for w in _WORD.findall(text.lower()) if w not in _EN_STOP)


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of each run of Chinese characters (a single character stands alone)."""
    grams: set[str] = set()
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(grams)


def spaced_pinyin(text: str) -> str:
    """Toneless pinyin of the normalised text with a space around every syllable, so that a
    containment test respects syllables (上新 must not be found in 地上行)."""
    return " " + " ".join(lazy_pinyin(normalise(text))) + " "


def evidence_terms(text: str) -> frozenset[str]:
    """What a keyword search counts as evidence: Chinese bigrams and English word stems, minus
    question words (for a long text, where :func:`read_terms` would also spell out pinyin)."""
    return (bigrams(normalise(text)) - STOP_BIGRAMS) | english_stems(text)


@dataclass(frozen=True)
class Terms:
    """A text in every form a keyword search compares.

    ``normalised``: lang.products.normalise (lower case, half-width, no spaces or punctuation);
    ``pinyin``: :func:`spaced_pinyin`; ``bigrams``: of the normalised text, question words
    included (a keyword made of them may still be asked for); ``words``: English stems;
    ``chinese``: whether the text holds Chinese characters at all.
    """

    normalised: str
    pinyin: str
    bigrams: frozenset[str]
    words: frozenset[str]
    chinese: bool

    @property
    def evidence(self) -> frozenset[str]:
        """The bigrams that are not question words, and the English stems."""
        return (self.bigrams - STOP_BIGRAMS) | self.words


@dataclass(frozen=True)
class QuestionTerms(Terms):
    """A question's :class:`Terms` and the star level it asks about (五星户 -> 5), if any."""

    star_level: int | None = None


def read_terms(text: str) -> Terms:
    """``text`` read once into every form a keyword search compares."""
    normalised = normalise(text)
    return Terms(
        normalised=normalised,
        pinyin=spaced_pinyin(text),
        bigrams=bigrams(normalised),
        words=english_stems(text),
        chinese=bool(_HAS_CJK.search(normalised)),
    )


def asked_star_level(text: str) -> int | None:
    """A star level the text asks about (五星户, star 3, 4-star), if any."""
    match = _STAR.search(text)
    if not match:
        return None
    found = next(g for g in match.groups() if g)
    return _STAR_DIGITS.get(found) or int(found)


def read_question(text: str) -> QuestionTerms:
    """A user's question read for a keyword search: its :class:`Terms` and the star level."""
    terms = read_terms(text)
    return QuestionTerms(**vars(terms), star_level=asked_star_level(text))
