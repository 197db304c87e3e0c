"""Policy answers: find the policy a question is about, and fill in the asker's own facts.

Policies live in the ``policies`` table (staff import them with ``scripts/import_policies.py``,
no retraining), so matching is done here at question time rather than by the NLU model: the
Rasa intent only says "this is a policy question" (or hints at a topic), and
:func:`find_policies` scores every policy in force by its keywords, title and text.

Scoring, per policy, on the normalised question:

- each keyword counts by how much of it the question covers: Chinese by character bigrams (so
  星级怎么算 still meets 星级怎么评), also on toneless pinyin (homophone typos), English by
  content words with plural/-ed/-ing endings folded;
- the best keyword counts fully, further keywords add a little;
- the title and the text add a little by how many of the question's own bigrams/words they hold;
- a Rasa intent other than ``ask_policy`` nudges the topics it is about.

The result is a confidence between 0 and 1; :data:`SURE` and :data:`POSSIBLE` split it into
"answer", "answer but say it may not be what was asked" and "say we do not know".

Texts may hold the placeholders listed in :data:`PLACEHOLDERS`. A retailer gets their own order
day, window, deduction time, star level and manager; anyone else (a manager, staff) gets the
general wording, with the retailer-specific facts shown as labels.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pypinyin import lazy_pinyin
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lang.products import normalise
from retail.access import Principal
from retail.catalog import resolve_products
from retail.clock import Clock, local
from retail.errors import RecordNotFound
from retail.i18n import supported, t, weekday_name
from retail.models import Contact, Manager, Policy, Product, Retailer

SURE = 0.55
"""At or above: answer the question with this policy."""

POSSIBLE = 0.35
"""At or above (and below SURE): answer with it, say we are not sure, offer the manager."""

PLACEHOLDERS = (
    "order_day",
    "order_window",
    "deduction_time",
    "star_level",
    "manager_name",
    "manager_phone",
    "hotline",
)
"""The names a policy text may use in braces; anything else in braces is left as written."""

QUOTA_TOPICS = frozenset({"star_quota", "quota_apply"})
DISCONTINUED_TOPICS = frozenset({"discontinued"})

INTENT_TOPICS: dict[str, frozenset[str]] = {
    "settlement_status": frozenset({"settlement"}),
    "payment_notice": frozenset({"settlement"}),
    "reminder_prefs": frozenset({"settlement"}),
    "complaint": frozenset({"complaint"}),
    "contact_manager": frozenset({"roles"}),
    "order_show": frozenset({"ordering"}),
    "order_change": frozenset({"ordering"}),
    "order_repeat_last": frozenset({"ordering"}),
    "ask_price": frozenset({"price_label", "discontinued", "star_quota"}),
}
"""Topics an NLU intent hints at when a policy question was classified as something else."""

_MAX_IDF = 3.0
_SPECIFIC = 3.0
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")

# Question words that say nothing about the topic; they are not counted as evidence.
_ZH_STOP_BIGRAMS = frozenset(
    {
        "怎么", "什么", "多少", "是不", "不是", "可以", "能不", "不能", "有没", "没有", "为什",
        "为啥", "咋办", "怎样", "如何", "请问", "一下", "我的", "我们", "你们", "是什", "么办",
        "么样", "的是", "了吗", "吗我", "要怎", "是啥", "干啥", "干嘛", "啥意", "意思", "是多",
        "少钱", "这个", "那个", "一个", "现在", "的话", "还能", "能用", "行不", "不行", "是怎",
        "么回", "回事",
    }
)  # fmt: skip
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


def _en_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _EN_STOP]


def _bigrams(text: str) -> set[str]:
    """Character bigrams of each run of Chinese characters (single characters stand alone)."""
    grams: set[str] = set()
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def _terms(text: str) -> set[str]:
    """What the scorer compares: Chinese bigrams and English word stems, minus question words."""
    return (_bigrams(normalise(text)) - _ZH_STOP_BIGRAMS) | set(_en_words(text))


def _pinyin(text: str) -> str:
    """Toneless pinyin with a space around every syllable, so matches respect syllables
    (上新 must not be found in 地上行)."""
    return " " + " ".join(lazy_pinyin(normalise(text))) + " "


@dataclass(frozen=True)
class _Question:
    """The question in the forms the scorer compares against."""

    normalised: str
    pinyin: str
    bigrams: frozenset[str]
    words: frozenset[str]
    terms: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Question:
        """Parse ``text`` once into every form the scorer uses."""
        normalised = normalise(text)
        return cls(
            normalised=normalised,
            pinyin=_pinyin(text),
            bigrams=frozenset(_bigrams(normalised)),
            words=frozenset(_en_words(text)),
            terms=frozenset(_terms(text)),
        )


@lru_cache(maxsize=4096)
def _keyword_forms(keyword: str) -> tuple[str, frozenset[str], str, frozenset[str]]:
    normalised = normalise(keyword)
    grams = frozenset(_bigrams(normalised))
    return normalised, grams, _pinyin(keyword), frozenset(_en_words(keyword))


def keyword_coverage(question: _Question, keyword: str, idf: dict[str, float]) -> float:
    """How strongly the question contains ``keyword`` (0..1): the share of the keyword found,
    times how specific the keyword is (its terms' idf), so a hit on 专卖管理员 says more than
    a hit on 专卖, and one on "hotline" more than one on "order"."""
    normalised, grams, pinyin, words = _keyword_forms(keyword)
    if not normalised:
        return 0.0
    terms = (grams - _ZH_STOP_BIGRAMS) | words
    specificity = min(1.0, 0.3 + sum(idf.get(term, _MAX_IDF) for term in terms) / _SPECIFIC)
    if _HAS_CJK.search(normalised):
        if normalised in question.normalised:
            return specificity
        if len(normalised) >= 2 and pinyin in question.pinyin:
            return 0.9 * specificity
        if len(grams) < 2:
            return 0.0
        found = len(grams & question.bigrams) / len(grams)
        return found * 0.8 * specificity if found >= 0.5 else 0.0
    if words:
        found = len(words & question.words) / len(words)
        return found * specificity if found >= 0.5 else 0.0
    return 0.8 if normalised in question.normalised else 0.0


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
        keyword_terms = set().union(*(_terms(k) for k in (*keywords, policy.title_en)))
        text_terms = _terms(f"{policy.text_zh} {policy.text_en}")
        return cls(policy, keywords, frozenset(keyword_terms), frozenset(text_terms))


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
    question: _Question,
    item: _Indexed,
    idf: dict[str, float],
    hinted: frozenset[str],
    named: frozenset[str],
) -> float:
    coverages = sorted((keyword_coverage(question, k, idf) for k in item.keywords), reverse=True)
    best = coverages[0] if coverages else 0.0
    others = sum(c for c in coverages[1:] if c >= 0.5)
    keyword_share = _weighted_share(question.terms, item.keyword_terms, idf)
    text_share = _weighted_share(question.terms, item.text_terms, idf)
    raw = best * 0.55 + keyword_share * 0.25 + text_share * 0.25 + min(others, 2.0) * 0.05
    if item.policy.topic in hinted:
        raw += 0.1
    if item.policy.topic in named:
        raw += 0.3
    return round(min(1.0, raw), 3)


def find_policies(
    session: Session,
    question: str,
    *,
    today: date,
    intent: str | None = None,
    topics: Iterable[str] = (),
    limit: int = 3,
) -> list[PolicyMatch]:
    """The policies in force that best answer ``question``, best first, with confidences.

    ``intent`` (the NLU's) nudges the topics it points at; ``topics`` (from the products the
    question names: a discontinued one, a limited one) nudge theirs harder.

    When the best two are close and about different topics, the best one's confidence is
    lowered: the question is ambiguous and the answer should say so.
    """
    parsed = _Question.of(question)
    if not parsed.terms and not parsed.normalised:
        return []
    hinted = INTENT_TOPICS.get(intent or "", frozenset())
    named = frozenset(topics)
    indexed = [_Indexed.of(p) for p in policies_in_force(session, today)]
    idf = _idf(indexed)
    scored = sorted(
        (PolicyMatch(i.policy, _score(parsed, i, idf, hinted, named)) for i in indexed),
        key=lambda m: (-m.confidence, m.policy.key),
    )
    scored = [m for m in scored if m.confidence > 0]
    if len(scored) >= 2:
        first, second = scored[0], scored[1]
        close = first.confidence - second.confidence < 0.05
        if close and first.policy.topic != second.policy.topic:
            scored[0] = PolicyMatch(first.policy, round(first.confidence * 0.85, 3))
    return scored[:limit]


# ------------------------------------------------------------------ personalisation


def policy_facts(session: Session, principal: Principal, *, language: str) -> dict[str, str]:
    """The placeholder values for this asker: their own facts, or the general labels."""
    language = supported(language)
    facts = {name: t(language, f"policy.general.{name}") for name in PLACEHOLDERS}
    hotline = session.get(Contact, "hotline")
    if hotline is not None:
        facts["hotline"] = hotline.value
    if not principal.is_retailer or principal.retailer_id is None:
        return facts
    retailer = session.get(Retailer, principal.retailer_id)
    if retailer is None:
        return facts
    manager = session.get(Manager, retailer.manager_id)
    facts.update(
        order_day=weekday_name(retailer.order_weekday, language),
        order_window=t(
            language,
            "policy.window",
            start=f"{retailer.window_open:%H:%M}",
            end=f"{retailer.window_close:%H:%M}",
        ),
        deduction_time=f"{retailer.deduction_time:%H:%M}",
        star_level=str(retailer.star_level),
    )
    if manager is not None:
        facts["manager_name"] = manager.display_zh if language == "zh" else manager.display_en
        facts["manager_phone"] = manager.phone
    return facts


def personalise(text: str, facts: dict[str, str]) -> str:
    """Fill the known placeholders of ``text``; unknown braces stay as written."""
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in ``text`` that :func:`personalise` would not fill (for importers)."""
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


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


_STAR = re.compile(
    r"([1-5一二三四五])\s*(?:星|颗星)|star(?: level)?\s*([1-5])|([1-5])[- ]star", re.I
)
_STAR_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def asked_star_level(question: str) -> int | None:
    """A star level the question asks about (五星户, star 3, 4-star), if any."""
    match = _STAR.search(question)
    if not match:
        return None
    found = next(g for g in match.groups() if g)
    return _STAR_DIGITS.get(found) or int(found)


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
    question: str,
    alternatives: list[tuple[str, str]],
) -> PolicyAnswer:
    language = supported(language)
    facts = policy_facts(session, principal, language=language)
    text = policy.text_zh if language == "zh" else policy.text_en
    title = policy.title_zh if language == "zh" else policy.title_en
    named = [m.product for m in resolve_products(session, question)] if question else []
    star = None
    if principal.is_retailer and principal.retailer_id is not None:
        star = session.scalar(
            select(Retailer.star_level).where(Retailer.id == principal.retailer_id)
        )
    quota_star = asked_star_level(question) or star
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


def _product_topics(named: Sequence[Product]) -> set[str]:
    """Topics a named product points at: a discontinued one at replacements, a limited one at
    quotas."""
    topics: set[str] = set()
    for product in named:
        if product.status == "discontinued":
            topics |= DISCONTINUED_TOPICS
        elif product.status == "limited":
            topics |= QUOTA_TOPICS
    return topics


def answer_policy(
    session: Session,
    principal: Principal,
    question: str,
    *,
    language: str,
    clock: Clock,
    intent: str | None = None,
) -> PolicyAnswer | None:
    """The best policy answer to ``question`` for this asker, or None if nothing matches at all.

    The answer carries its confidence (see :data:`SURE`, :data:`POSSIBLE`) and the titles of
    the runners-up, so the caller can say how sure it is and offer the alternatives.
    """
    today = local(clock.now()).date()
    named = [m.product for m in resolve_products(session, question)]
    matches = find_policies(
        session, question, today=today, intent=intent, topics=_product_topics(named)
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
        question=question,
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
        session, principal, policy, language=language, confidence=1.0, question="", alternatives=[]
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


# ------------------------------------------------------------------ importing


_KEY = re.compile(r"^[a-z0-9_]{1,64}$")
POLICY_FIELDS = (
    "key",
    "topic",
    "title_zh",
    "title_en",
    "text_zh",
    "text_en",
    "keywords_zh",
    "keywords_en",
    "effective_from",
    "effective_to",
)
"""The columns of a policy CSV file (keywords separated by ``|``), and the keys of a YAML one."""


class PolicyFileError(ValueError):
    """A policy file that cannot be imported; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PolicyRecord:
    """One policy as read from an import file, validated."""

    key: str
    topic: str
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True)
class PolicyFile:
    """What an import file holds: policies and (YAML only) company phone lines."""

    policies: list[PolicyRecord]
    contacts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    """Which policy keys an import added, changed or found already up to date."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    contacts: int


def _keywords(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else re.split(r"[|;]", str(value))
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def _date(value: object, name: str, problems: list[str], where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{where}: {name} {value!r} is not a date (YYYY-MM-DD)")
        return None


def parse_policy_rows(rows: Iterable[dict[str, object]]) -> list[PolicyRecord]:
    """Validate raw rows (from YAML or CSV) into records; PolicyFileError lists every problem.

    Checked: a key of lower-case letters, digits and underscores, unique in the file; topic,
    titles and both texts present and within the column sizes; only known placeholders
    (:data:`PLACEHOLDERS`) in the texts; dates as YYYY-MM-DD, the end not before the start.
    """
    problems: list[str] = []
    records: list[PolicyRecord] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        key = str(row.get("key") or "").strip()
        where = f"policy {number} ({key or 'no key'})"
        if not _KEY.match(key):
            problems.append(f"{where}: key must be 1-64 of a-z, 0-9 and _")
        elif key in seen:
            problems.append(f"{where}: key appears twice")
        seen.add(key)
        values = {name: str(row.get(name) or "").strip() for name in POLICY_FIELDS[1:6]}
        for name, limit in (("topic", 32), ("title_zh", 128), ("title_en", 128)):
            if not values[name]:
                problems.append(f"{where}: {name} is missing")
            elif len(values[name]) > limit:
                problems.append(f"{where}: {name} is longer than {limit} characters")
        for name in ("text_zh", "text_en"):
            if not values[name]:
                problems.append(f"{where}: {name} is missing")
            unknown = unknown_placeholders(values[name])
            if unknown:
                known = ", ".join(PLACEHOLDERS)
                problems.append(f"{where}: {name} uses unknown placeholders {unknown} ({known})")
        start = _date(row.get("effective_from"), "effective_from", problems, where)
        end = _date(row.get("effective_to"), "effective_to", problems, where)
        if row.get("effective_from") in (None, ""):
            problems.append(f"{where}: effective_from is missing")
        if start and end and end < start:
            problems.append(f"{where}: effective_to is before effective_from")
        if start is None:
            continue
        records.append(
            PolicyRecord(
                key=key,
                topic=values["topic"],
                title_zh=values["title_zh"],
                title_en=values["title_en"],
                text_zh=values["text_zh"],
                text_en=values["text_en"],
                keywords_zh=_keywords(row.get("keywords_zh")),
                keywords_en=_keywords(row.get("keywords_en")),
                effective_from=start,
                effective_to=end,
            )
        )
    if problems:
        raise PolicyFileError(problems)
    return records


def read_policy_file(path: Path) -> PolicyFile:
    """Read and validate a policy file: ``.yml``/``.yaml`` in the layout of
    ``data/demo/policies.yml`` (``policies:`` and optional ``contacts:``), or ``.csv`` with the
    :data:`POLICY_FIELDS` columns (UTF-8, with or without BOM). PolicyFileError if invalid."""
    suffix = path.suffix.lower()
    if suffix in {".yml", ".yaml"}:
        try:
            with path.open(encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except (yaml.YAMLError, ValueError) as error:
            raise PolicyFileError([f"{path.name}: not readable YAML: {error}"]) from error
        if not isinstance(data, dict) or not isinstance(data.get("policies"), list):
            raise PolicyFileError([f"{path.name}: expected a 'policies:' list"])
        rows = [row if isinstance(row, dict) else {} for row in data["policies"]]
        contacts = data.get("contacts") or {}
        if not isinstance(contacts, dict):
            raise PolicyFileError([f"{path.name}: 'contacts:' must map names to numbers"])
        return PolicyFile(parse_policy_rows(rows), {str(k): str(v) for k, v in contacts.items()})
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in POLICY_FIELDS if name not in (reader.fieldnames or [])]
            if missing:
                raise PolicyFileError([f"{path.name}: missing columns {missing}"])
            return PolicyFile(parse_policy_rows(list(reader)))
    raise PolicyFileError([f"{path.name}: use a .yml, .yaml or .csv file"])


def import_policies(session: Session, policy_file: PolicyFile) -> ImportReport:
    """Add or update policies by key (and contacts by key) in one transaction.

    Policies not in the file are left alone; retire one by importing it with an
    ``effective_to``. Answers use the new texts at once: matching reads the table per question,
    so nothing is retrained.
    """
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for record in policy_file.policies:
        values = {
            "topic": record.topic,
            "title_zh": record.title_zh,
            "title_en": record.title_en,
            "text_zh": record.text_zh,
            "text_en": record.text_en,
            "keywords_zh": list(record.keywords_zh),
            "keywords_en": list(record.keywords_en),
            "effective_from": record.effective_from,
            "effective_to": record.effective_to,
        }
        policy = session.scalar(select(Policy).where(Policy.key == record.key))
        if policy is None:
            session.add(Policy(key=record.key, **values))
            added.append(record.key)
            continue
        if all(getattr(policy, name) == value for name, value in values.items()):
            unchanged.append(record.key)
            continue
        for name, value in values.items():
            setattr(policy, name, value)
        updated.append(record.key)
    for key, value in policy_file.contacts.items():
        contact = session.get(Contact, key)
        if contact is None:
            session.add(Contact(key=key, value=value))
        else:
            contact.value = value
    session.flush()
    return ImportReport(added, updated, unchanged, len(policy_file.contacts))
