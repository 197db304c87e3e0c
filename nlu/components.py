"""Rasa 3.6 graph components that turn extracted entities into values (thin wrappers).

They run after DIETClassifier and EntitySynonymMapper (config.yml) and change only entity
values and extra fields, never spans or the ``extractor`` name, so ``rasa test nlu`` still scores
DIET's spans. The logic lives in plain modules (lang/numerals.py, quantities.py, times.py,
products.py, entities.py) that do not import Rasa and are tested in the app environment.

- :class:`QuantityNormalizer`: quantity/amount mix-ups corrected; quantity values to 条 with the
  unit kept; unit values to 条/包/件.
- :class:`NumeralNormalizer`: amount values to numbers.
- :class:`TimeNormalizer`: time values to ISO 8601 in Asia/Shanghai, relative to the message
  time the bot sends in the metadata (``message_time``), else now.
- :class:`ProductNormalizer`: product values to catalog spec names with a confidence, from the
  product table it stores in the model at training time.
- :class:`LinearIntentClassifier`: the intent (nlu/intents.py says why not DIET's).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lang.language import detect_language
from lang.products import ProductResolver
from lang.times import TimeResolver, parse_message_time, preference_for
from nlu.entities import (
    correct_kinds,
    normalise_amounts,
    normalise_quantities,
    resolve_products,
    resolve_times,
)
from nlu.intents import FALLBACK_INTENT, Gazetteer, IntentModel, gated, unanchored
from nlu.tokenizer import plain_words

log = logging.getLogger(__name__)
_TABLE_FILE = "products.json"
_INTENT_FILE = "intent_model.pkl"


def _mark(entities: list[dict[str, Any]], kinds: frozenset[str], name: str) -> None:
    """Record this component in ``processors``, as Rasa's own post-processors do."""
    for entity in entities:
        if entity.get("entity") in kinds:
            entity.setdefault("processors", [])
            if name not in entity["processors"]:
                entity["processors"].append(name)


class _EntityProcessor(GraphComponent):
    """Shared plumbing for the stateless post-processors: create from config, process each."""

    KINDS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _EntityProcessor:
        """A processor with its config (nothing to train or load)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Rewrite the values of this processor's entity kinds in each message."""
        for message in messages:
            entities = list(message.get(ENTITIES, []) or [])
            if not any(e.get("entity") in self.KINDS for e in entities):
                continue
            self.rewrite(message, entities)
            _mark(entities, self.KINDS, type(self).__name__)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def rewrite(self, message: Message, entities: list[dict[str, Any]]) -> None:
        """Change ``entities`` in place; subclasses say how."""
        raise NotImplementedError


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class NumeralNormalizer(_EntityProcessor):
    """Amount values to numbers (两千五 -> 2500, 1.5万 -> 15000, 2k -> 2000)."""

    KINDS = frozenset({"amount"})

    def rewrite(self, message: Message, entities: list[dict[str, Any]]) -> None:
        """See :func:`nlu.entities.normalise_amounts`."""
        normalise_amounts(message.get(TEXT) or "", entities)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class QuantityNormalizer(_EntityProcessor):
    """Quantity values to 条 with the unit kept (两包 -> 0.2, unit 包); units to 条/包/件.

    First it corrects quantity/amount mix-ups and drops 上一条 ("the last one") by the words
    around the span, so it runs before :class:`NumeralNormalizer`.
    """

    KINDS = frozenset({"quantity", "unit", "amount"})

    def rewrite(self, message: Message, entities: list[dict[str, Any]]) -> None:
        """See :func:`nlu.entities.correct_kinds` and :func:`nlu.entities.normalise_quantities`."""
        text = message.get(TEXT) or ""
        correct_kinds(text, entities)
        normalise_quantities(text, entities)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TimeNormalizer(_EntityProcessor):
    """Time values to ISO 8601 in the business time zone, relative to the message time.

    The message time comes from the message metadata (``message_time``: ISO 8601 or epoch
    seconds; the bot sends the Telegram message date), so a message answered late (after a
    Rasa outage) still reads 明天 from when it was written. Without it: now.
    """

    KINDS = frozenset({"time"})

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._resolver = TimeResolver(timezone=ZoneInfo(config["timezone"]))
        self._metadata_key = str(config["metadata_key"])

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Business time zone and the metadata key of the message time."""
        return {"timezone": "Asia/Shanghai", "metadata_key": "message_time"}

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TimeNormalizer:
        """Build the resolver and read one expression, so the first user does not wait for it."""
        component = cls(config)
        component._resolver.resolve("in 2 days")
        return component

    def rewrite(self, message: Message, entities: list[dict[str, Any]]) -> None:
        """See :func:`nlu.entities.resolve_times`."""
        text = message.get(TEXT) or ""
        metadata = message.get("metadata") or {}
        now = parse_message_time(metadata.get(self._metadata_key)) if metadata else None
        intent = (message.get(INTENT) or {}).get("name")
        prefer = preference_for(intent, text)
        resolve_times(text, entities, resolver=self._resolver, now=now, prefer=prefer)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ProductNormalizer(GraphComponent):
    """Product values to catalog spec names with a confidence (硬芙 -> 芙蓉王(硬)).

    At training time it copies the generated product table (``table_path``, default
    data/lookup/products.json from ``make nlu-tables``) into the model, so the server needs
    nothing from data/ at run time.
    """

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        products: list[dict[str, Any]] | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._products = products or []
        self._resolver = ProductResolver(self._products) if self._products else None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Where the generated product table is (relative to the project root)."""
        return {"table_path": "data/lookup/products.json"}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The table's content, so a changed catalog retrains this component."""
        path = Path(config.get("table_path") or cls.get_default_config()["table_path"])
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ProductNormalizer:
        """An untrained normaliser (it reads its table in :meth:`train`)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Store the product table in the model."""
        path = Path(self._config["table_path"])
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `make nlu-tables`")
        products = json.loads(path.read_text(encoding="utf-8"))["products"]
        with self._storage.write_to(self._resource) as directory:
            (directory / _TABLE_FILE).write_text(
                json.dumps({"products": products}, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ProductNormalizer:
        """The normaliser with the table stored in the model."""
        with model_storage.read_from(resource) as directory:
            table = json.loads((directory / _TABLE_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, table["products"])

    def process(self, messages: list[Message]) -> list[Message]:
        """Resolve each product entity of each message."""
        if self._resolver is None:
            log.warning("ProductNormalizer has no product table; product values left as said")
            return messages
        for message in messages:
            entities = list(message.get(ENTITIES, []) or [])
            if not any(e.get("entity") == "product" for e in entities):
                continue
            resolve_products(message.get(TEXT) or "", entities, resolver=self._resolver)
            _mark(entities, frozenset({"product"}), type(self).__name__)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


OUT_OF_SCOPE = "out_of_scope"


def _offdomain_lines(folder: str) -> list[str]:
    """Every line of the ``*.txt`` files in ``folder`` but comments ("" reads nothing)."""
    if not folder:
        return []
    return [
        line.strip()
        for path in sorted(Path(folder).glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _tokens(message: Message) -> list[str]:
    """The words the tokenizer found in the message text."""
    return [token.text for token in message.get(TOKENS_NAMES[TEXT]) or []]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent):
    """Intents from a logistic regression over word and character n-grams and a sentence
    embedding (nlu/intents.py).

    Sets ``intent`` and ``intent_ranking`` like Rasa's classifiers, so FallbackClassifier and
    the policies work as before; DIET runs with ``intent_classification: false``. An action
    intent the off-domain gate stops (nlu/intents.py :func:`~nlu.intents.gated`) becomes
    ``nlu_fallback`` the way FallbackClassifier does it: on top of the ranking, which keeps the
    intents below it, so the fallback can still see the guess.
    """

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: IntentModel | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model or IntentModel(
            c=float(config["C"]), meaning=bool(config["sentence_embedding"])
        )

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Regularisation (higher C fits the data closer), whether to add the sentence embedding
        (nlu/encoder.py) to the n-grams, and how many intents to rank."""
        return {
            "C": 100.0,
            "sentence_embedding": True,
            "ranking_length": 10,
            "action_threshold": 0.0,
            "min_similarity": 0.0,
            "ungated_intents": [],
            "anchored_intents": [],
            "offdomain_corpus": "",
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The off-domain corpus's content, so a changed corpus retrains this component."""
        return hashlib.sha256(
            "".join(_offdomain_lines(config.get("offdomain_corpus") or "")).encode()
        ).hexdigest()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every example with an intent and store the model.

        The lookup tables of the training data (products, retailers) become the gazetteer. The
        lines of ``offdomain_corpus`` (real chit-chat, scripts/rasa_venv/eval_offdomain.py) are
        added as out_of_scope examples here and not in data/nlu, so DIET, which only finds
        entities, does not spend its training time on them.
        """
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        offdomain = _offdomain_lines(self._config.get("offdomain_corpus") or "")
        self._model.gazetteer = Gazetteer(
            {
                table["name"]: table["elements"]
                for table in training_data.lookup_tables
                if isinstance(table.get("elements"), list)
            }
        )
        self._model.fit(
            [e.get(TEXT) for e in examples] + offdomain,
            [_tokens(e) for e in examples] + [plain_words(line) for line in offdomain],
            [e.get(INTENT) for e in examples] + [OUT_OF_SCOPE] * len(offdomain),
        )
        with self._storage.write_to(self._resource) as directory:
            (directory / _INTENT_FILE).write_bytes(self._model.dumps())
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """The classifier trained into the model."""
        with model_storage.read_from(resource) as directory:
            model = IntentModel.loads((directory / _INTENT_FILE).read_bytes())
        model.warm_up()
        return cls(config, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        """Set each message's intent and intent ranking."""
        for message in messages:
            text = message.get(TEXT)
            if not text or not self._model.is_trained:
                continue
            [(ranking, support)] = self._model.read_many([text], [_tokens(message)])
            ranked = [{"name": name, "confidence": p} for name, p in ranking]
            length = int(self._config["ranking_length"])
            ranked = ranked[:length] if length else ranked
            if self._gated(text, ranking, support) or self._unanchored(message, ranking[0][0]):
                ranked.insert(0, {"name": FALLBACK_INTENT, "confidence": 1.0})
            message.set(INTENT, ranked[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
        return messages

    def _unanchored(self, message: Message, intent: str) -> bool:
        text = message.get(TEXT) or ""
        return unanchored(
            intent,
            text,
            [str(e.get("entity")) for e in message.get(ENTITIES, []) or []],
            self._model.gazetteer.markers(text),
            anchored=frozenset(self._config["anchored_intents"]),
        )

    def _gated(self, text: str, ranking: list[tuple[str, float]], support: float | None) -> bool:
        ungated = frozenset(self._config["ungated_intents"])
        if ranking[0][0] not in ungated and self._model.shorter_than_examples(text, ungated):
            return True
        return gated(
            ranking,
            support,
            english=detect_language(text) == "en",
            threshold=float(self._config["action_threshold"]),
            min_similarity=float(self._config["min_similarity"]),
            ungated=ungated,
        )
