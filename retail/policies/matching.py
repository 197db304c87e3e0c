"""Which policies in force a question is about, scored by their keywords, titles and texts.

Policies live in the ``policies`` table (staff import them, no retraining), so matching is done
here at question time rather than by the NLU model: the Rasa intent only says "this is a policy
question", and :func:`find_policies` scores every policy in force.

What reads which text: the user's question is read by lang.questions in the action, and arrives
here as typed :class:`~lang.questions.Terms` (normalised text, pinyin, bigrams, English stems);
nothing here looks at the question's characters. The policies' own keywords, titles and texts
are company data, and are read here with the same lang.questions functions: a keyword and a
question must be folded exactly alike (the same bigrams, stems and pinyin syllables) or they
never meet, and a second reader would drift. This is the name-matching role retail gives lang
(like lang.products for catalog names): a policy keyword is the name of a topic.

Scoring, per policy:

- each keyword counts by how much of it the question covers: Chinese by character bigrams (so
  星级怎么算 still meets 星级怎么评), also on toneless pinyin (homophone typos), English by word
  stems;
- the best keyword counts fully, further keywords add a little;
- the title and the text add a little by how many of the question's own terms they hold;
- ``hinted_topics`` (from the NLU intent, when a policy question was classified as something
  else) nudge their topics; ``named_topics`` (from the products the question names) nudge
  theirs harder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lang.questions import Terms, evidence_terms, read_terms
from retail.models import Policy

_MAX_IDF = 3.0
_SPECIFIC = 3.0

# Keywords are few and repeat across questions; their reading (pinyin above all) is cached.
_keyword_terms = lru_cache(maxsize=4096)(read_terms)


def keyword_coverage(question: Terms, keyword: str, idf: dict[str, float]) -> float:
    """How strongly the question contains ``keyword`` (0..1): the share of the keyword found,
    times how specific the keyword is (its terms' idf), so a hit on 专卖管理员 says more than
    a hit on 专卖, and one on "hotline" more than one on "order"."""
    forms = _keyword_terms(keyword)
    if not forms.normalised:
        return 0.0
    weight = sum(idf.get(term, _MAX_IDF) for term in forms.evidence)
    specificity = min(1.0, 0.3 + weight / _SPECIFIC)
    if forms.chinese:
        if forms.normalised in question.normalised:
            return specificity
        if len(forms.normalised) >= 2 and forms.pinyin in question.pinyin:
            return 0.9 * specificity
        if len(forms.bigrams) < 2:
            return 0.0
        found = len(forms.bigrams & question.bigrams) / len(forms.bigrams)
        return found * 0.8 * specificity if found >= 0.5 else 0.0
    if forms.words:
        found = len(forms.words & question.words) / len(forms.words)
        return found * specificity if found >= 0.5 else 0.0
    return 0.8 if forms.normalised in question.normalised else 0.0


@dataclass(frozen=True)
class PolicyMatch:
    """A policy and how sure we are (0..1) that it answers the question."""

    policy: Policy
    confidence: float


def policies_in_force(session: Session, today: date) -> list[Policy]:
    """Every policy whose effective period contains ``today``, in key order."""
    query = (
        select(Policy)
        .where(Policy.effective_from <= today)
        .where(or_(Policy.effective_to.is_(None), Policy.effective_to >= today))
        .order_by(Policy.key)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class _Indexed:
    """A policy's keyword terms and text terms, built once per question (policies are few)."""

    policy: Policy
    keywords: tuple[str, ...]
    keyword_terms: frozenset[str]
    text_terms: frozenset[str]

    @classmethod
    def of(cls, policy: Policy) -> _Indexed:
        """Index one policy: its keywords and title, and its texts in both languages."""
        keywords = tuple(
            str(k) for k in (*policy.keywords_zh, *policy.keywords_en, policy.title_zh)
        )
        keyword_terms = frozenset().union(
            *(evidence_terms(k) for k in (*keywords, policy.title_en))
        )
        text_terms = evidence_terms(f"{policy.text_zh} {policy.text_en}")
        return cls(policy, keywords, keyword_terms, text_terms)


def _idf(indexed: Sequence[_Indexed]) -> dict[str, float]:
    """Inverse document frequency of every term: words every policy uses count for little."""
    frequency: dict[str, int] = {}
    for item in indexed:
        for term in item.keyword_terms | item.text_terms:
            frequency[term] = frequency.get(term, 0) + 1
    total = len(indexed)
    return {term: math.log((total + 1) / (count + 0.5)) for term, count in frequency.items()}


def _weighted_share(terms: frozenset[str], found: frozenset[str], idf: dict[str, float]) -> float:
    """The idf-weighted share of ``terms`` that are in ``found`` (unknown terms weigh most)."""
    ceiling = max(idf.values(), default=1.0)
    total = sum(idf.get(term, ceiling) for term in terms)
    if not total:
        return 0.0
    return sum(idf.get(term, ceiling) for term in terms & found) / total


def _score(
    question: Terms,
    item: _Indexed,
    idf: dict[str, float],
    hinted: frozenset[str],
    named: frozenset[str],
) -> float:
    coverages = sorted((keyword_coverage(question, k, idf) for k in item.keywords), reverse=True)
    best = coverages[0] if coverages else 0.0
    others = sum(c for c in coverages[1:] if c >= 0.5)
    evidence = question.evidence
    keyword_share = _weighted_share(evidence, item.keyword_terms, idf)
    text_share = _weighted_share(evidence, item.text_terms, idf)
    raw = best * 0.55 + keyword_share * 0.25 + text_share * 0.25 + min(others, 2.0) * 0.05
    if item.policy.topic in hinted:
        raw += 0.1
    if item.policy.topic in named:
        raw += 0.3
    return round(min(1.0, raw), 3)


def find_policies(
    session: Session,
    question: Terms,
    *,
    today: date,
    hinted_topics: frozenset[str] = frozenset(),
    named_topics: frozenset[str] = frozenset(),
    limit: int = 3,
) -> list[PolicyMatch]:
    """The policies in force that best answer ``question``, best first, with confidences.

    ``hinted_topics`` (what the NLU intent points at) nudge their topics; ``named_topics`` (from
    the products the question names: a discontinued one, a limited one) nudge theirs harder.

    When the best two are close and about different topics, the best one's confidence is
    lowered: the question is ambiguous and the answer should say so.
    """
    if not question.evidence and not question.normalised:
        return []
    indexed = [_Indexed.of(p) for p in policies_in_force(session, today)]
    idf = _idf(indexed)
    scored = sorted(
        (
            PolicyMatch(i.policy, _score(question, i, idf, hinted_topics, named_topics))
            for i in indexed
        ),
        key=lambda m: (-m.confidence, m.policy.key),
    )
    scored = [m for m in scored if m.confidence > 0]
    if len(scored) >= 2:
        first, second = scored[0], scored[1]
        close = first.confidence - second.confidence < 0.05
        if close and first.policy.topic != second.policy.topic:
            scored[0] = PolicyMatch(first.policy, round(first.confidence * 0.85, 3))
    return scored[:limit]
