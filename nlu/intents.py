"""Intent classification with a linear model over word and character n-gram TF-IDF features.

Measured on this project's data (reports/nlu-*.md), a regularised logistic regression over Jieba
words plus character 1-3 grams classifies intents better than DIET's intent head (5-fold
cross-validated macro-F1 0.93 against 0.91 in Chinese, on the data of 2026-11-22) and trained in
seconds (with the embedding below, about 80 s on all 9,560 examples), so DIET keeps the
entities and this model takes the intents. Character n-grams carry the typos (利裙,
furongwnag) and the mixed zh/en; words carry the shop and brand names the tokenizer keeps
whole.

A message that names a catalog product or a shop also gets a marker token (``__product__``,
``__retailer__``) from the training data's lookup tables, so "Xuanhemen price?" reads like
"Baisha price?" even where that brand is rare in the examples, and "nongfu spring price"
(not tobacco) does not.

N-grams know only the words of the training data, so the model also reads a sentence embedding
(all-MiniLM-L6-v2, nlu/encoder.py): "dream well" lands near "good night" and "wassup" near "hi".
Measured with ``make intent-cv`` on the data of 2026-12-01, the embedding took English intent
macro-F1 from 0.955 to 0.970 and Chinese from 0.967 to 0.971 (README, Measured).

Off-domain gate. Real chit-chat nobody here wrote (held-out topics of a public corpus,
``make eval-offdomain``) was read as an action intent one time in ten, often at 0.99: a linear
model is sure of anything far from all its examples. :meth:`IntentModel.support` measures how
far: the cosine similarity of a message's embedding to the nearest training example of the
intent it was given. :func:`gated` turns an action intent into ``nlu_fallback`` (the assistant
asks instead of acting) when it is below ``threshold`` or, for English, when its nearest example
is further than ``min_similarity`` ("how are you feeling" is not a complaint however the n-grams
vote). Only English: the encoder (all-MiniLM-L6-v2) was trained on English, and its Chinese
similarities say little (a name was 0.91 from a set_language example).

Two more checks need no distance: a message with fewer letters than every request example of
its language (a bare 钱 is no payment notice: :meth:`IntentModel.shorter_than_examples`), and
a follow-up that names nothing to follow up with (那么你呢, "and you?": :func:`unanchored`).

No Rasa import (nlu/components.py wraps it); it needs scikit-learn and the encoder's wheel
(requirements/encoder.txt), which both environments have.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lang.follow_ups import read_variant
from lang.language import detect_language

_DEFAULT_C = 100.0
FALLBACK_INTENT = "nlu_fallback"


def _identity(tokens: list[str]) -> list[str]:
    """Tokens are already split (by the Jieba tokenizer); sklearn must not split them again."""
    return tokens


class Gazetteer:
    """Marks the lookup-table phrases a message contains: ``["__product__"]`` and the like.

    ASCII phrases match whole words, case-insensitively, and a single English word of five
    letters or more also matches with one letter dropped, added, changed or swapped (Liqn,
    Furongwnag); Chinese phrases match anywhere.
    """

    def __init__(self, tables: Mapping[str, Sequence[str]] | None = None) -> None:
        self.tables = {name: sorted(set(phrases)) for name, phrases in (tables or {}).items()}
        self._patterns = {
            name: _phrase_pattern(phrases) for name, phrases in self.tables.items() if phrases
        }
        self._near = {name: _near_forms(phrases) for name, phrases in self.tables.items()}

    def markers(self, text: str) -> list[str]:
        """One marker token per table with a phrase in the text."""
        lowered = text.lower()
        words = _ASCII_WORD.findall(lowered)
        return [
            f"__{name}__"
            for name, pattern in self._patterns.items()
            if pattern.search(lowered) or _near_match(words, self._near[name])
        ]

    def __getstate__(self) -> dict[str, Any]:
        return {"tables": self.tables}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["tables"])  # type: ignore[misc]


_ASCII_WORD = re.compile(r"[a-z]{4,}")
_FUZZY_MIN_LENGTH = 5


def _phrase_pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    alternatives = []
    for phrase in sorted({p.lower().strip() for p in phrases if p.strip()}, key=len, reverse=True):
        escaped = re.escape(phrase)
        alternatives.append(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])" if phrase.isascii() else escaped)
    return re.compile("|".join(alternatives))


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _near_forms(phrases: Sequence[str]) -> frozenset[str]:
    """Every long one-word ASCII phrase and its one-letter deletions (symmetric delete)."""
    words = {p.lower() for p in phrases if p.isascii() and p.isalpha()}
    forms: set[str] = set()
    for word in words:
        if len(word) >= _FUZZY_MIN_LENGTH:
            forms |= {word} | _deletions(word)
    return frozenset(forms)


def _near_match(words: Sequence[str], forms: frozenset[str]) -> bool:
    """True if a word is within one edit (or one swap) of a phrase: they share a deletion."""
    return any(word in forms or not _deletions(word).isdisjoint(forms) for word in words)


@dataclass
class IntentModel:
    """A trained intent classifier: fit on (text, tokens, intent), rank intents for a message.

    ``c`` is the inverse regularisation strength of the logistic regression; ``gazetteer``
    marks product and shop names (:class:`Gazetteer`); ``meaning`` adds the sentence embedding
    to the n-grams.
    """

    c: float = _DEFAULT_C
    gazetteer: Gazetteer = field(default_factory=Gazetteer)
    meaning: bool = True
    _model: Any = field(default=None, repr=False)
    _support: dict[str, Any] = field(default_factory=dict, repr=False)
    _shortest: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)

    def _pipeline(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline
        from sklearn.preprocessing import FunctionTransformer

        words = Pipeline(
            [
                ("pick", FunctionTransformer(_pick_tokens)),
                (
                    "tfidf",
                    TfidfVectorizer(
                        analyzer=_identity, lowercase=False, sublinear_tf=True, min_df=1
                    ),
                ),
            ]
        )
        chars = Pipeline(
            [
                ("pick", FunctionTransformer(_pick_text)),
                (
                    "tfidf",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
                ),
            ]
        )
        blocks = [("words", words), ("chars", chars)]
        if self.meaning:
            blocks.append(("meaning", FunctionTransformer(_embed)))
        return Pipeline(
            [
                ("features", FeatureUnion(blocks)),
                ("classifier", LogisticRegression(C=self.c, max_iter=5000)),
            ]
        )

    def fit(
        self, texts: Sequence[str], tokens: Sequence[list[str]], intents: Sequence[str]
    ) -> None:
        """Train on examples: their text, their tokens and their intent."""
        if len(set(intents)) < 2:
            raise ValueError("an intent classifier needs examples of at least two intents")
        rows = self._rows(texts, tokens)
        self._model = self._pipeline()
        self._model.fit(rows, list(intents))
        self._support = _support_vectors(rows, intents) if self.meaning else {}
        self._shortest = _shortest_examples(texts, intents)

    @property
    def is_trained(self) -> bool:
        """True once :meth:`fit` ran (or a trained model was loaded)."""
        return self._model is not None

    def warm_up(self) -> None:
        """Load the sentence encoder now, so the first message does not wait for it."""
        if self.meaning:
            from nlu.encoder import shared_encoder

            shared_encoder()

    def rank(self, text: str, tokens: list[str]) -> list[tuple[str, float]]:
        """Every intent with its probability for one message, most likely first."""
        return self.rank_many([text], [tokens])[0]

    def rank_many(
        self, texts: Sequence[str], tokens: Sequence[list[str]]
    ) -> list[list[tuple[str, float]]]:
        """:meth:`rank` for many messages at once (the embedding runs in batches)."""
        return [ranking for ranking, _ in self.read_many(texts, tokens)]

    def read_many(
        self, texts: Sequence[str], tokens: Sequence[list[str]]
    ) -> list[tuple[list[tuple[str, float]], float | None]]:
        """Per message: every intent with its probability, most likely first, and the
        :meth:`support` of the most likely one (None without the embedding)."""
        if self._model is None:
            raise RuntimeError("the intent model is not trained")
        rows = self._rows(texts, tokens)
        readings = []
        for row, probabilities in zip(rows, self._model.predict_proba(rows), strict=True):
            ranking = zip(self._model.classes_, probabilities, strict=True)
            ranked = sorted(((str(i), float(p)) for i, p in ranking), key=lambda r: -r[1])
            readings.append((ranked, self.support(row[2], ranked[0][0])))
        return readings

    def support(self, vector: Any, intent: str) -> float | None:
        """Cosine similarity of a message embedding to the nearest English training example
        of ``intent``; None when there is no embedding or no such example."""
        examples = self._support.get(intent)
        if vector is None or examples is None:
            return None
        import numpy as np

        unit = vector / (np.linalg.norm(vector) or 1.0)
        return float((examples.astype(np.float32) @ unit).max())

    def shorter_than_examples(self, text: str, excluding: frozenset[str] = frozenset()) -> bool:
        """Whether ``text`` has fewer letters than every training example in its language of
        every intent but ``excluding`` (the chat intents): no request in the data is one Chinese
        character (the shortest are 已存, 查账, 订单) or fewer than three English letters
        ("bal?", "no, 4"), so the model's reading of a bare 钱 is a guess, not something it
        learned."""
        language = detect_language(text)
        lengths = [
            per_language[language]
            for intent, per_language in self._shortest.items()
            if intent not in excluding and language in per_language
        ]
        return bool(lengths) and _content_length(text) < min(lengths)

    def dumps(self) -> bytes:
        """The trained model as bytes, for the Rasa model storage."""
        return pickle.dumps(
            {
                "c": self.c,
                "gazetteer": self.gazetteer,
                "meaning": self.meaning,
                "model": self._model,
                "support": self._support,
                "shortest": self._shortest,
            }
        )

    @classmethod
    def loads(cls, data: bytes) -> IntentModel:
        """A model from :meth:`dumps` output (trusted: it comes from our own trained model)."""
        stored = pickle.loads(data)  # written by dumps() into our own model file
        return cls(
            c=stored["c"],
            gazetteer=stored.get("gazetteer", Gazetteer()),
            meaning=stored.get("meaning", False),
            _model=stored["model"],
            _support=stored.get("support", {}),
            _shortest=stored.get("shortest", {}),
        )

    def _rows(self, texts: Sequence[str], tokens: Sequence[list[str]]) -> list[Row]:
        """(lowered text, lowered tokens plus gazetteer markers, sentence embedding or None)
        per message; the embedding is computed once here, in batches."""
        vectors: Sequence[Any] = [None] * len(texts)
        if self.meaning:
            from nlu.encoder import shared_encoder

            vectors = list(shared_encoder().encode([text.lower() for text in texts]))
        return [
            (text.lower(), [t.lower() for t in toks] + self.gazetteer.markers(text), vector)
            for text, toks, vector in zip(texts, tokens, vectors, strict=True)
        ]


Row = tuple[str, list[str], Any]
"""What the feature blocks read: lowered text, tokens with markers, sentence embedding."""


def gated(
    ranking: Sequence[tuple[str, float]],
    support: float | None,
    *,
    english: bool,
    threshold: float,
    min_similarity: float,
    ungated: frozenset[str],
) -> bool:
    """Whether the top intent must not be acted on (module docstring: off-domain gate): an
    action intent (not in ``ungated``) below ``threshold``, or, in English, with its nearest
    training example less similar than ``min_similarity``."""
    intent, confidence = ranking[0]
    if intent in ungated or intent == FALLBACK_INTENT:
        return False
    if confidence < threshold:
        return True
    return english and support is not None and support < min_similarity


ANCHORS = frozenset({"product", "time", "retailer"})
"""Entity kinds a follow-up can turn on: 那利群呢, 上周呢, 张记呢."""


def unanchored(
    intent: str,
    text: str,
    entity_kinds: Iterable[str],
    markers: Sequence[str],
    *,
    anchored: frozenset[str],
) -> bool:
    """Whether ``intent`` is one of ``anchored`` (intents that only mean something when the
    message names what changes: a follow-up) and the message names nothing it could turn on:
    no product, period or shop entity, no product or shop name (``markers``, the
    :class:`Gazetteer`'s) and no pack variant (软的, "the soft one"). 那么你呢 or "and you?" is
    chat, not a follow-up, whatever the n-grams of 那…呢 vote."""
    if intent not in anchored:
        return False
    if ANCHORS.intersection(entity_kinds):
        return False
    if {f"__{kind}__" for kind in ANCHORS}.intersection(markers):
        return False
    return read_variant(text) is None


_NOT_LETTERS = re.compile(r"[\W_]+")


def _content_length(text: str) -> int:
    """Letters, digits and CJK characters in ``text`` (no spaces or punctuation)."""
    return len(_NOT_LETTERS.sub("", text))


def _shortest_examples(texts: Sequence[str], intents: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per intent and language, the content length of its shortest training example."""
    shortest: dict[str, dict[str, int]] = {}
    for text, intent in zip(texts, intents, strict=True):
        per_language = shortest.setdefault(intent, {})
        language, length = detect_language(text), _content_length(text)
        per_language[language] = min(length, per_language.get(language, length))
    return shortest


def _support_vectors(rows: Sequence[Row], intents: Sequence[str]) -> dict[str, Any]:
    """Unit embeddings of each intent's English training examples (float16: about 4 MB)."""
    import numpy as np

    grouped: dict[str, list[Any]] = {}
    for (text, _, vector), intent in zip(rows, intents, strict=True):
        if vector is not None and detect_language(text) == "en":
            grouped.setdefault(intent, []).append(vector / (np.linalg.norm(vector) or 1.0))
    return {intent: np.stack(vectors).astype(np.float16) for intent, vectors in grouped.items()}


def _pick_text(rows: list[Row]) -> list[str]:
    return [row[0] for row in rows]


def _embed(rows: list[Row]) -> Any:
    """The sentence embedding of each row (computed by :meth:`IntentModel._rows`)."""
    import numpy as np

    return np.stack([row[2] for row in rows])


def _pick_tokens(rows: list[Row]) -> list[list[str]]:
    return [row[1] for row in rows]
