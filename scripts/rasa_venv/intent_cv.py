"""Fast intent-only cross-validation (``make intent-cv``): two to four minutes per language
instead of ``make eval-nlu``'s 15 to 30, for iterating on training data.

It reads one language's examples from data/nlu/<lang>/*.yml, strips the entity annotations,
tokenises them the way the pipeline does (Jieba with data/jieba/userdict.txt, whitespace
dropped, numerals split from units: lang/splitting.py) and cross-validates the production intent
model (nlu/intents.py) with stratified folds. Figures track ``make eval-nlu``'s intent figures
closely but read a little higher (en on 2026-12-01: 0.958 here, 0.950 in eval-nlu; with the
sentence embedding 0.970 here, 0.968 there), so keep a margin; the report of record is still
eval-nlu's.

Prints per language the macro-F1, the weakest intents, the most confused pairs and, with
``--show N``, up to N misclassified examples per pair.

Runs in the Rasa environment (Jieba and scikit-learn): ``.venv-rasa/bin/python -m
scripts.rasa_venv.intent_cv``.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from lang.splitting import split_numerals
from nlu.intents import Gazetteer, IntentModel

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("zh", "en")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((?:\w+)\)|\[([^\]]+)\]\{[^}]*\}")


def plain_text(example: str) -> str:
    """An example without its entity annotations: ``[两](quantity)条`` -> ``两条``."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example)


def load_examples(language: str) -> list[tuple[str, str]]:
    """(text, intent) for every example of one language."""
    examples: list[tuple[str, str]] = []
    for path in sorted((ROOT / "data" / "nlu" / language).glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append((plain_text(line[2:].strip()), block["intent"]))
    return examples


def lookup_tables() -> dict[str, list[str]]:
    """The lookup tables of data/nlu/lookup/ (product, retailer), as the classifier gets them."""
    tables: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "data" / "nlu" / "lookup").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "lookup" in block:
                tables[block["lookup"]] += [
                    line.strip()[2:].strip()
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
    return dict(tables)


def tokenizer():  # type: ignore[no-untyped-def]
    """A function text -> tokens, as nlu.tokenizer.CleanJiebaTokenizer splits them."""
    import jieba

    jieba.setLogLevel(60)
    jieba.load_userdict(str(ROOT / "data" / "jieba" / "userdict.txt"))

    def tokens(text: str) -> list[str]:
        return [
            piece
            for word, _, _ in jieba.tokenize(text)
            if word.strip()
            for piece, _ in split_numerals(word)
        ]

    return tokens


def cross_validate(
    language: str, *, folds: int, c: float, seed: int, markers: bool = True
) -> tuple[list[tuple[str, str]], list[str]]:
    """Held-out predictions for every example: (examples, predicted intents)."""
    from sklearn.model_selection import StratifiedKFold

    examples = load_examples(language)
    tokens_of = tokenizer()
    texts = [text for text, _ in examples]
    intents = [intent for _, intent in examples]
    tokens = [tokens_of(text) for text in texts]
    gazetteer = Gazetteer(lookup_tables() if markers else {})
    predicted = [""] * len(examples)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(texts, intents):
        model = IntentModel(c=c, gazetteer=gazetteer)
        model.fit(
            [texts[i] for i in train], [tokens[i] for i in train], [intents[i] for i in train]
        )
        rankings = model.rank_many([texts[i] for i in test], [tokens[i] for i in test])
        for i, ranking in zip(test, rankings, strict=True):
            predicted[i] = ranking[0][0]
    return examples, predicted


def report(
    language: str,
    examples: list[tuple[str, str]],
    predicted: list[str],
    *,
    show: int,
    pairs_shown: int = 12,
) -> None:
    """Print macro-F1, the weakest intents and the most confused pairs."""
    from sklearn.metrics import classification_report

    truth = [intent for _, intent in examples]
    scores = classification_report(truth, predicted, output_dict=True, zero_division=0)
    macro = scores["macro avg"]["f1-score"]
    print(f"[{language}] {len(examples)} examples: intent macro-F1 {macro:.4f}")
    weakest = sorted(
        (m["f1-score"], name)
        for name, m in scores.items()
        if isinstance(m, dict) and name not in {"macro avg", "weighted avg"}
    )[:8]
    print("  weakest: " + ", ".join(f"{name} {f1:.3f}" for f1, name in weakest))
    pairs: Counter[tuple[str, str]] = Counter()
    texts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (text, intent), guess in zip(examples, predicted, strict=True):
        if intent != guess:
            pairs[(intent, guess)] += 1
            texts[(intent, guess)].append(text)
    for (intent, guess), count in pairs.most_common(pairs_shown):
        print(f"  {intent} -> {guess}: {count}")
        for text in texts[(intent, guess)][:show]:
            print(f"      {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES), choices=LANGUAGES)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=IntentModel().c, help="logistic regression C")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-markers", action="store_true", help="without the product/retailer gazetteer"
    )
    parser.add_argument("--show", type=int, default=0, help="misclassified examples per pair")
    parser.add_argument("--pairs", type=int, default=12, help="confused pairs listed")
    args = parser.parse_args()
    for language in args.languages:
        started = time.monotonic()
        examples, predicted = cross_validate(
            language, folds=args.folds, c=args.c, seed=args.seed, markers=not args.no_markers
        )
        report(language, examples, predicted, show=args.show, pairs_shown=args.pairs)
        print(f"  ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
