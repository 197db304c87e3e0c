"""Off-domain robustness (``make eval-offdomain``): how often real chit-chat that nobody on this
project wrote is read as an action intent.

The messages are every line of the Simplified Chinese and English conversations of
chatterbot-corpus (a public, BSD-licensed dialogue corpus on PyPI, requirements/corpora.txt):
greetings, small talk, films, food, history, politics, money talk and the like, none of it about
a tobacco shop's orders, prices, settlement or visits. Each distinct line is parsed by the
trained model (models/current.tar.gz, NLU only) and counted as a false action when its intent
is an action intent with confidence at or above the FallbackClassifier threshold in config.yml
(below it, the assistant asks instead of acting). Chat intents (greet, thank, deny, help,
out_of_scope...) are not actions.

Writes reports/offdomain.md (the rate per language and every false action) and prints the
figures. Runs in the Rasa environment: ``.venv-rasa/bin/python -m scripts.eval_offdomain``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "current.tar.gz"
REPORT = ROOT / "reports" / "offdomain.md"
CORPUS_LANGUAGES = {"zh": "chinese", "en": "english"}
# Intents that only acknowledge, greet or steer: reading chit-chat as one of them does nothing.
CHAT_INTENTS = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "help", "out_of_scope", "nlu_fallback"}
)


@dataclass(frozen=True)
class Reading:
    """What the model made of one message."""

    language: str
    topic: str
    text: str
    intent: str
    confidence: float


def corpus_messages(language: str) -> list[tuple[str, str]]:
    """(topic, line) for every distinct line of one language's conversations, in file order."""
    folder = resources.files("chatterbot_corpus") / "data" / CORPUS_LANGUAGES[language]
    seen: set[str] = set()
    messages: list[tuple[str, str]] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".yml"):
            continue
        document = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        for conversation in document.get("conversations") or []:
            for line in conversation:
                text = str(line).strip()
                if text and text not in seen:
                    seen.add(text)
                    messages.append((entry.name.removesuffix(".yml"), text))
    return messages


def fallback_threshold() -> float:
    """The FallbackClassifier threshold of config.yml: below it the assistant asks."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "FallbackClassifier":
            return float(component["threshold"])
    raise SystemExit("config.yml has no FallbackClassifier")


async def read_all(messages: dict[str, list[tuple[str, str]]]) -> list[Reading]:
    """Parse every message with the trained model's NLU."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parse is logged at debug
    started = time.monotonic()
    print(f"loading {MODEL.relative_to(ROOT)}...", flush=True)
    agent = Agent.load(str(MODEL))
    print(f"  loaded in {time.monotonic() - started:.0f} s", flush=True)
    readings: list[Reading] = []
    for language, items in messages.items():
        started = time.monotonic()
        for index, (topic, text) in enumerate(items, 1):
            parsed = await agent.parse_message(text)
            intent = parsed.get("intent") or {}
            readings.append(
                Reading(
                    language,
                    topic,
                    text,
                    str(intent.get("name")),
                    float(intent.get("confidence") or 0.0),
                )
            )
            if index % 500 == 0:
                print(f"  {language}: {index}/{len(items)}", flush=True)
        elapsed = time.monotonic() - started
        print(f"  {language}: {len(items)} messages in {elapsed:.0f} s", flush=True)
    return readings


def false_actions(readings: list[Reading], threshold: float) -> list[Reading]:
    """Readings that would make the assistant act: an action intent at or above the threshold."""
    return [r for r in readings if r.intent not in CHAT_INTENTS and r.confidence >= threshold]


def _row(reading: Reading) -> str:
    text = " ".join(reading.text.replace("|", "/").split())
    return (
        f"| {reading.language} | {reading.topic} | {text} | {reading.intent} "
        f"| {reading.confidence:.2f} |"
    )


def write_report(readings: list[Reading], threshold: float) -> str:
    """The markdown report; also returns the summary lines printed to the terminal."""
    wrong = false_actions(readings, threshold)
    now = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    summary = []
    for language in CORPUS_LANGUAGES:
        total = sum(1 for r in readings if r.language == language)
        hits = sum(1 for r in wrong if r.language == language)
        summary.append(
            f"{language}: {hits} of {total} read as an action intent "
            f"({100 * hits / max(total, 1):.2f}%)"
        )
    overall = (
        f"all: {len(wrong)} of {len(readings)} ({100 * len(wrong) / max(len(readings), 1):.2f}%)"
    )
    summary.append(overall)
    by_intent = Counter(r.intent for r in wrong)
    lines = [
        "# Off-domain messages read as action intents",
        "",
        f"Measured {now} (Asia/Shanghai) with `make eval-offdomain` on models/current.tar.gz.",
        "Messages: every distinct line of chatterbot-corpus 1.3.3's Chinese and English",
        "conversations (public, not written here). Counted: an action intent at confidence",
        f"≥ {threshold} (the FallbackClassifier threshold).",
        "",
        *[f"- {line}" for line in summary],
        "",
        "## By intent",
        "",
        *[f"- {intent}: {count}" for intent, count in by_intent.most_common()],
        "",
        "## Every false action",
        "",
        "| lang | topic | message | intent | confidence |",
        "| --- | --- | --- | --- | --- |",
        *[_row(r) for r in sorted(wrong, key=lambda r: (r.language, -r.confidence))],
        "",
    ]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    REPORT.with_suffix(".json").write_text(
        json.dumps(
            {
                "measured": now,
                "threshold": threshold,
                "total": len(readings),
                "false_actions": [r.__dict__ for r in wrong],
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    return "\n".join(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="at most N messages per language")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not MODEL.exists():
        raise SystemExit("no trained model: run make train first")
    messages = {
        language: corpus_messages(language)[: args.limit or None] for language in CORPUS_LANGUAGES
    }
    threshold = fallback_threshold()
    readings = asyncio.run(read_all(messages))
    print(write_report(readings, threshold))
    print(f"report: {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
