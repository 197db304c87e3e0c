"""Policy answers: the best policy for a question, personalised, with the asker's own facts.

The answer carries a confidence between 0 and 1 (from :mod:`retail.policies.matching`);
:data:`SURE` and :data:`POSSIBLE` split it into "answer", "answer but say it may not be what was
asked" and "say we do not know". A quota policy lists the quotas at the retailer's star level
(or the star level the question asked about); a discontinued-product policy names the products
the question named and what replaces them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lang.questions import QuestionTerms
from retail.access import Principal
from retail.catalog import resolve_products
from retail.clock import Clock, local
from retail.errors import RecordNotFound
from retail.i18n import supported
from retail.models import Policy, Product, Retailer
from retail.policies.matching import find_policies, policies_in_force
from retail.policies.placeholders import personalise, policy_facts

SURE = 0.55
"""At or above: answer the question with this policy."""

POSSIBLE = 0.35
"""At or above (and below SURE): answer with it, say we are not sure, offer the manager."""

QUOTA_TOPICS = frozenset({"star_quota", "quota_apply"})
DISCONTINUED_TOPICS = frozenset({"discontinued"})


@dataclass(frozen=True)
class QuotaFact:
    """A limited product's per-order quota at the asking retailer's star level."""

    spec: str
    name_en: str
    max_cartons: int


@dataclass(frozen=True)
class DiscontinuedFact:
    """A discontinued product the question named, and what replaces it."""

    spec: str
    name_en: str
    replacement_spec: str | None
    replacement_name_en: str | None


@dataclass(frozen=True)
class PolicyAnswer:
    """A policy answer ready to render: the personalised text and the asker's own facts."""

    key: str
    topic: str
    title: str
    text: str
    confidence: float
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    star_level: int | None = None
    quota_star_level: int | None = None
    quotas: list[QuotaFact] = field(default_factory=list)
    discontinued: list[DiscontinuedFact] = field(default_factory=list)

    @property
    def sure(self) -> bool:
        """True if the answer may be given without saying we are unsure."""
        return self.confidence >= SURE


def _quota_facts(session: Session, star_level: int, named: Sequence[Product]) -> list[QuotaFact]:
    """The quotas at ``star_level``: of the limited products named, else of all of them."""
    limited = [p for p in named if p.status == "limited"]
    if not limited:
        limited = list(
            session.scalars(
                select(Product).where(Product.status == "limited").order_by(Product.code)
            )
        )
    facts = []
    for product in limited:
        cartons = next((q.max_cartons for q in product.quotas if q.star_level == star_level), 0)
        facts.append(QuotaFact(product.spec, product.name_en, cartons))
    return facts


def _discontinued_facts(named: Iterable[Product]) -> list[DiscontinuedFact]:
    return [
        DiscontinuedFact(
            p.spec,
            p.name_en,
            p.replacement.spec if p.replacement else None,
            p.replacement.name_en if p.replacement else None,
        )
        for p in named
        if p.status == "discontinued"
    ]


def _answer(
    session: Session,
    principal: Principal,
    policy: Policy,
    *,
    language: str,
    confidence: float,
    named: Sequence[Product],
    asked_star_level: int | None,
    alternatives: list[tuple[str, str]],
) -> PolicyAnswer:
    language = supported(language)
    facts = policy_facts(session, principal, language=language)
    text = policy.text_zh if language == "zh" else policy.text_en
    title = policy.title_zh if language == "zh" else policy.title_en
    star = None
    if principal.is_retailer and principal.retailer_id is not None:
        star = session.scalar(
            select(Retailer.star_level).where(Retailer.id == principal.retailer_id)
        )
    quota_star = asked_star_level or star
    quotas = []
    if policy.topic in QUOTA_TOPICS and quota_star is not None:
        quotas = _quota_facts(session, quota_star, named)
    discontinued = _discontinued_facts(named) if policy.topic in DISCONTINUED_TOPICS else []
    return PolicyAnswer(
        key=policy.key,
        topic=policy.topic,
        title=title,
        text=personalise(text, facts),
        confidence=confidence,
        alternatives=alternatives,
        star_level=star,
        quota_star_level=quota_star,
        quotas=quotas,
        discontinued=discontinued,
    )


def _product_topics(named: Sequence[Product]) -> frozenset[str]:
    """Topics a named product points at: a discontinued one at replacements, a limited one at
    quotas."""
    topics: set[str] = set()
    for product in named:
        if product.status == "discontinued":
            topics |= DISCONTINUED_TOPICS
        elif product.status == "limited":
            topics |= QUOTA_TOPICS
    return frozenset(topics)


def answer_policy(
    session: Session,
    principal: Principal,
    question: QuestionTerms,
    *,
    text: str,
    language: str,
    clock: Clock,
    hinted_topics: frozenset[str] = frozenset(),
) -> PolicyAnswer | None:
    """The best policy answer to a question for this asker, or None if nothing matches at all.

    ``question`` is the question as lang.questions read it (its terms and the star level it
    asks about); ``text`` is the question as typed, matched only against catalog names (the
    products it names bring their topics, quotas and replacements). ``hinted_topics`` are the
    topics the NLU's intent points at.

    The answer carries its confidence (see :data:`SURE`, :data:`POSSIBLE`) and the titles of
    the runners-up, so the caller can say how sure it is and offer the alternatives.
    """
    today = local(clock.now()).date()
    named = [m.product for m in resolve_products(session, text)]
    matches = find_policies(
        session,
        question,
        today=today,
        hinted_topics=hinted_topics,
        named_topics=_product_topics(named),
    )
    if not matches or matches[0].confidence < POSSIBLE:
        return None
    best = matches[0]
    alternatives = [
        (m.policy.key, m.policy.title_zh if language == "zh" else m.policy.title_en)
        for m in matches[1:]
        if m.confidence >= POSSIBLE
    ]
    return _answer(
        session,
        principal,
        best.policy,
        language=language,
        confidence=best.confidence,
        named=named,
        asked_star_level=question.star_level,
        alternatives=alternatives,
    )


def policy_by_key(
    session: Session, principal: Principal, key: str, *, language: str, clock: Clock
) -> PolicyAnswer:
    """The policy ``key`` (a tapped topic button) for this asker; RecordNotFound if not in force."""
    today = local(clock.now()).date()
    policy = next((p for p in policies_in_force(session, today) if p.key == key), None)
    if policy is None:
        raise RecordNotFound()
    return _answer(
        session,
        principal,
        policy,
        language=language,
        confidence=1.0,
        named=[],
        asked_star_level=None,
        alternatives=[],
    )


def policy_topics(session: Session, *, language: str, clock: Clock) -> list[tuple[str, str]]:
    """(key, title) of every policy in force, one per topic, for a "what can I ask" menu."""
    today = local(clock.now()).date()
    seen: set[str] = set()
    topics = []
    for policy in policies_in_force(session, today):
        if policy.topic in seen:
            continue
        seen.add(policy.topic)
        topics.append((policy.key, policy.title_zh if language == "zh" else policy.title_en))
    return topics
