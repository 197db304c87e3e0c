"""Train the Rasa model only when its inputs changed.

The fingerprint is a hash of config.yml, domain.yml, the training data under data/ (not the
demo records), the custom components in nlu/, the text readers in lang/ they use, and the
pinned Rasa and encoder requirements.
``make train`` calls this; a second run with nothing changed returns at once.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
MODEL = MODELS / "current.tar.gz"
FINGERPRINT = MODELS / "current.fingerprint"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


NOT_TRAINED = frozenset({ROOT / "nlu" / "channel.py", ROOT / "nlu" / "speedups.py"})
"""Files in those folders that the server loads but training never reads (the REST channel and
its run-time adjustment of Rasa, nlu/speedups.py)."""


def inputs() -> list[Path]:
    """Every file that shapes the model, in a stable order."""
    files = [ROOT / "config.yml", ROOT / "domain.yml"]
    files += [ROOT / "requirements" / name for name in ("rasa.txt", "encoder.txt")]
    folders = (
        "data/nlu",
        "data/rules",
        "data/stories",
        "data/lookup",
        "data/jieba",
        "data/offdomain",
        "nlu",
        "lang",
    )
    for folder in folders:
        files += sorted(p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix != ".pyc")
    return [f for f in files if f.exists() and f not in NOT_TRAINED]


def fingerprint() -> str:
    """A hash of the names and contents of :func:`inputs`."""
    digest = hashlib.sha256()
    for path in inputs():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_current() -> bool:
    """True if the trained model matches the current inputs."""
    return (
        MODEL.exists() and FINGERPRINT.exists() and FINGERPRINT.read_text().strip() == fingerprint()
    )


def train(*, force: bool = False) -> bool:
    """Train if needed (or if ``force``); True if a training ran.

    One training at a time: a second ``make train`` waits for the first (2 cores) and then finds
    the model current. The fingerprint is taken before training, so inputs edited while Rasa
    trains make the next run train again instead of being marked as trained.
    """
    MODELS.mkdir(exist_ok=True)
    with (MODELS / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train_locked(force=force)


def _train_locked(*, force: bool) -> bool:
    if not force and is_current():
        print(f"model is up to date ({MODEL.relative_to(ROOT)})", flush=True)
        return False
    trained_inputs = fingerprint()
    print(
        "training the Rasa model (a few minutes on 2 cores; Rasa shows its progress)...", flush=True
    )
    started = time.monotonic()
    command = [
        str(RASA),
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "data/nlu",
        "data/rules",
        "data/stories",
        "--out",
        str(MODELS),
        "--fixed-model-name",
        "current",
        "--force",
    ]
    subprocess.run(command, cwd=ROOT, check=True)
    FINGERPRINT.write_text(trained_inputs + "\n")
    print(f"trained in {time.monotonic() - started:.0f} s", flush=True)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="train even if up to date")
    parser.add_argument("--check", action="store_true", help="exit 1 if the model is stale")
    args = parser.parse_args()
    if args.check:
        sys.exit(0 if is_current() else 1)
    train(force=args.force)


if __name__ == "__main__":
    main()
