"""Cross-validate the NLU per language and write a report (``make eval-nlu``).

For each language (zh, en) it gathers that language's training data with the lookup tables
into a temporary folder, writes the production pipeline of config.yml (policies dropped; DIET's
epochs optionally bounded with ``--epochs``), and runs ``rasa test nlu --cross-validation`` in
the Rasa environment, showing progress. From Rasa's reports it writes
``reports/nlu-YYYY-MM-DD.md`` and ``.json``: intent macro-F1, per-intent precision, recall and
F1, entity F1 per entity, the most confused intent pairs with examples, the training time, and
how many annotated spans the value normalisers (nlu/) resolve.

Runs in the app environment; only the Rasa subprocess needs .venv-rasa. Cross-validation is CPU
heavy (5 trainings per language): it waits for any other ``rasa train`` on the machine first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
REPORTS = ROOT / "reports"
LANGUAGES = ("zh", "en")
ENTITIES = ("product", "quantity", "unit", "amount", "retailer", "time")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")
_AGGREGATES = {"accuracy", "macro avg", "weighted avg", "micro avg"}
# Rasa's own lines worth passing on: its per-fold summary and anything that went wrong.
_RASA_SUMMARY = re.compile(
    r"(Intent|Entity) evaluation results|test (accuracy|f1-score)|Error|Traceback"
)


@dataclass
class LanguageResult:
    """What one language's cross-validation produced."""

    language: str
    examples: int
    seconds: float
    intents: dict[str, dict[str, Any]]
    entities: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        return float(self.intents["macro avg"]["f1-score"])

    @property
    def accuracy(self) -> float:
        return float(self.intents.get("accuracy", 0.0))

    def confused_pairs(self, limit: int = 8) -> list[tuple[str, str, int, list[str]]]:
        """(true intent, predicted intent, count, example texts), most frequent first."""
        pairs: Counter[tuple[str, str]] = Counter()
        examples: dict[tuple[str, str], list[str]] = {}
        for error in self.errors:
            pair = (error["intent"], error["intent_prediction"]["name"])
            pairs[pair] += 1
            examples.setdefault(pair, []).append(error["text"])
        return [(t, p, n, examples[(t, p)][:3]) for (t, p), n in pairs.most_common(limit)]


def other_training_running() -> bool:
    """True while another ``rasa train`` / ``rasa test`` runs (2 cores: never two at once)."""
    found = subprocess.run(["pgrep", "-f", "rasa (train|test)"], capture_output=True, text=True)
    return bool(found.stdout.strip())


def wait_for_cpu(poll_seconds: float = 15.0) -> None:
    """Block while another Rasa training runs, saying so once."""
    if other_training_running():
        print("another Rasa training is running; waiting for it to finish...", flush=True)
    while other_training_running():
        time.sleep(poll_seconds)


def cv_config(epochs: int | None) -> dict[str, Any]:
    """config.yml's NLU pipeline (no policies), with DIET's epochs bounded if asked."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config.pop("policies", None)
    for component in config["pipeline"]:
        if component["name"] == "DIETClassifier" and epochs is not None:
            component["epochs"] = epochs
    return config


def diet_epochs(config: dict[str, Any]) -> int:
    """The DIET epochs the pipeline trains with."""
    return int(next(c for c in config["pipeline"] if c["name"] == "DIETClassifier")["epochs"])


def gather_data(language: str, target: Path) -> int:
    """Copy one language's NLU data and the lookup tables into ``target``; examples counted."""
    target.mkdir(parents=True)
    count = 0
    for source in sorted((ROOT / "data" / "nlu" / language).glob("*.yml")):
        shutil.copy(source, target / f"{language}_{source.name}")
        blocks = yaml.safe_load(source.read_text(encoding="utf-8"))["nlu"]
        count += sum(
            len([line for line in b["examples"].splitlines() if line.strip()])
            for b in blocks
            if "intent" in b
        )
    for source in sorted((ROOT / "data" / "nlu" / "lookup").glob("*.yml")):
        shutil.copy(source, target / f"lookup_{source.name}")
    return count


def run_cross_validation(
    language: str, work: Path, *, folds: int, config: dict[str, Any], keep: Path | None = None
) -> LanguageResult:
    """Run Rasa's cross-validation for one language, streaming its progress."""
    data = work / language / "data"
    examples = gather_data(language, data)
    config_path = work / language / "config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    out = work / language / "results"
    command = [
        str(RASA),
        "test",
        "nlu",
        "--nlu",
        str(data),
        "--config",
        str(config_path),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out),
        "--no-plot",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    print(f"[{language}] {examples} examples, {folds} folds: training and testing...", flush=True)
    started = time.monotonic()
    fold = 0
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            fold = _show_progress(language, line, fold, folds, started)
        if process.wait() != 0:
            raise SystemExit(f"[{language}] rasa test nlu failed (exit {process.returncode})")
    seconds = time.monotonic() - started
    print(f"[{language}] done in {seconds / 60:.1f} min", flush=True)
    if keep is not None:
        shutil.copytree(out, keep / language, dirs_exist_ok=True)
    return LanguageResult(
        language=language,
        examples=examples,
        seconds=seconds,
        intents=_read_json(out / "intent_report.json"),
        entities=_read_json(out / "DIETClassifier_report.json"),
        errors=_read_json(out / "intent_errors.json", default=[]),
    )


def _show_progress(language: str, line: str, fold: int, folds: int, started: float) -> int:
    """Print one progress line per fold and Rasa's own summary; returns the fold number."""
    text = line.strip()
    elapsed = (time.monotonic() - started) / 60
    if "Starting to train component 'DIETClassifier'" in text or (
        "Epochs:" in text and "0/" in text and fold == 0
    ):
        fold += 1
        print(
            f"[{language}] fold {min(fold, folds)}/{folds} training ({elapsed:.1f} min)", flush=True
        )
    elif _RASA_SUMMARY.search(text):
        print(f"[{language}] {text}", flush=True)
    return fold


def _read_json(path: Path, default: Any = None) -> Any:
    if not path.exists():
        if default is not None:
            return default
        raise SystemExit(f"missing {path}: did rasa test nlu write its reports?")
    return json.loads(path.read_text(encoding="utf-8"))


def span_resolution() -> dict[str, tuple[int, int]]:
    """Per entity kind: (annotated spans whose value the nlu/ normalisers resolve, all spans)."""
    from lang.numerals import parse_number
    from lang.products import ProductResolver
    from lang.quantities import canonical_unit
    from lang.times import TimeResolver

    table = json.loads((ROOT / "data" / "lookup" / "products.json").read_text(encoding="utf-8"))
    products = ProductResolver(table["products"])
    times = TimeResolver()
    checks = {
        "product": lambda w: products.resolve(w) is not None,
        "quantity": lambda w: parse_number(w) is not None,
        "amount": lambda w: parse_number(w) is not None,
        "unit": lambda w: canonical_unit(w) is not None,
        "time": lambda w: times.resolve(w) is not None,
    }
    counts = {kind: [0, 0] for kind in checks}
    for path in sorted((ROOT / "data" / "nlu").glob("[a-z][a-z]/*.yml")):
        for words, kind in _ANNOTATION.findall(path.read_text(encoding="utf-8")):
            if kind in checks:
                counts[kind][1] += 1
                counts[kind][0] += bool(checks[kind](words))
    return {kind: (ok, total) for kind, (ok, total) in counts.items()}


def _f(value: Any) -> str:
    return f"{float(value):.3f}"


def render_markdown(results: list[LanguageResult], *, day: date, folds: int, epochs: int) -> str:
    """The human-readable report."""
    lines = [
        f"# NLU cross-validation, {day.isoformat()}",
        "",
        f"{folds}-fold cross-validation per language (`rasa test nlu --cross-validation`), the",
        f"pipeline of config.yml (DIET at {epochs} epochs for entity spans, the linear intent",
        "classifier, the value normalisers), the language's data plus the lookup tables.",
        "Figures are over all held-out folds together.",
        "",
        "| language | examples | intent macro-F1 | intent accuracy | "
        + " | ".join(f"{e} F1" for e in ENTITIES)
        + " | CV wall time | per training |",
        "| --- | --- | --- | --- | " + " | ".join("---" for _ in ENTITIES) + " | --- | --- |",
    ]
    for r in results:
        entity_f1 = [_f(r.entities[e]["f1-score"]) if e in r.entities else "-" for e in ENTITIES]
        lines.append(
            f"| {r.language} | {r.examples} | {_f(r.macro_f1)} | {_f(r.accuracy)} | "
            + " | ".join(entity_f1)
            + f" | {r.seconds / 60:.1f} min | {r.seconds / folds / 60:.1f} min |"
        )
    for r in results:
        lines += ["", f"## {r.language}: intents", "", "| intent | precision | recall | F1 | n |"]
        lines.append("| --- | --- | --- | --- | --- |")
        for intent, m in sorted(r.intents.items()):
            if intent in _AGGREGATES or not isinstance(m, dict):
                continue
            lines.append(
                f"| {intent} | {_f(m['precision'])} | {_f(m['recall'])} | "
                f"{_f(m['f1-score'])} | {m['support']} |"
            )
        lines += ["", f"## {r.language}: entities", "", "| entity | precision | recall | F1 | n |"]
        lines.append("| --- | --- | --- | --- | --- |")
        for entity in [*ENTITIES, "micro avg", "macro avg"]:
            if entity in r.entities:
                m = r.entities[entity]
                lines.append(
                    f"| {entity} | {_f(m['precision'])} | {_f(m['recall'])} | "
                    f"{_f(m['f1-score'])} | {m['support']} |"
                )
        lines += ["", f"## {r.language}: most confused intent pairs", ""]
        pairs = r.confused_pairs()
        if not pairs:
            lines.append("None: every held-out example got its intent.")
        for true, predicted, count, examples in pairs:
            shown = "; ".join(f"“{e}”" for e in examples)
            lines.append(f"- {true} -> {predicted}: {count} ({shown})")
    resolution = span_resolution()
    lines += [
        "",
        "## Values of annotated spans (nlu/ normalisers)",
        "",
        "| entity | spans resolved | of |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {kind} | {ok} | {total} |" for kind, (ok, total) in resolution.items()]
    return "\n".join(lines) + "\n"


def summary(results: list[LanguageResult], *, day: date, folds: int, epochs: int) -> dict[str, Any]:
    """The machine-readable report."""
    return {
        "date": day.isoformat(),
        "folds": folds,
        "diet_epochs": epochs,
        "languages": {
            r.language: {
                "examples": r.examples,
                "seconds": round(r.seconds, 1),
                "intent_macro_f1": r.macro_f1,
                "intent_accuracy": r.accuracy,
                "intents": {k: v for k, v in r.intents.items() if k not in _AGGREGATES},
                "entities": r.entities,
                "confused_pairs": [
                    {"intent": t, "predicted": p, "count": n, "examples": e}
                    for t, p, n, e in r.confused_pairs()
                ],
            }
            for r in results
        },
        "span_resolution": {k: {"resolved": a, "of": b} for k, (a, b) in span_resolution().items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES), choices=LANGUAGES)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="DIET epochs (default: config)")
    parser.add_argument("--out", type=Path, default=REPORTS)
    parser.add_argument("--keep", type=Path, default=None, help="copy Rasa's raw results here")
    args = parser.parse_args()
    if not RASA.exists():
        raise SystemExit("the Rasa environment is missing: run `make setup`")
    config = cv_config(args.epochs)
    epochs = diet_epochs(config)
    results: list[LanguageResult] = []
    with tempfile.TemporaryDirectory(prefix="eval-nlu-") as tmp:
        for language in args.languages:
            wait_for_cpu()
            results.append(
                run_cross_validation(
                    language, Path(tmp), folds=args.folds, config=config, keep=args.keep
                )
            )
    day = date.today()
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = args.out / f"nlu-{day.isoformat()}.md"
    markdown.write_text(
        render_markdown(results, day=day, folds=args.folds, epochs=epochs), encoding="utf-8"
    )
    (args.out / f"nlu-{day.isoformat()}.json").write_text(
        json.dumps(summary(results, day=day, folds=args.folds, epochs=epochs), indent=1) + "\n",
        encoding="utf-8",
    )
    for r in results:
        entity_f1 = ", ".join(
            f"{e} {_f(r.entities[e]['f1-score'])}" for e in ENTITIES if e in r.entities
        )
        print(f"{r.language}: intent macro-F1 {_f(r.macro_f1)}; entity F1: {entity_f1}")
    print(f"wrote {markdown.relative_to(ROOT) if markdown.is_relative_to(ROOT) else markdown}")
    sys.exit(0)


if __name__ == "__main__":
    main()
