"""The off-domain measurement is honest: what it measures was never trained on.

scripts/rasa_venv/eval_offdomain.py splits a public chit-chat corpus by topic: the held-out
topics are measured, the others are out_of_scope examples of the intent model (data/offdomain/). The
corpus is installed in the Rasa environment only, so the check runs there.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from scripts.stack import ROOT

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
SCRIPT = """
import json
from scripts.rasa_venv.eval_offdomain import (
    CORPUS_LANGUAGES, TRAINING_DIR, corpus_messages, held_out,
)
trained = set()
for path in TRAINING_DIR.glob("*.txt"):
    trained |= {l.strip() for l in path.read_text().splitlines() if not l.startswith("#")}
held = {lang: [" ".join(t.split()) for _, t in held_out(lang)] for lang in CORPUS_LANGUAGES}
print(json.dumps({
    "held": {lang: len(lines) for lang, lines in held.items()},
    "leaked": sorted(t for lines in held.values() for t in lines if t in trained),
    "trained": len(trained),
}))
"""


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment is not set up")
def test_no_held_out_line_is_trained_on_and_at_least_500_are_held_out() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    held = found["held"]
    assert (found["leaked"], min(held.values()) > 400, sum(held.values()) >= 500) == (
        [],
        True,
        True,
    )
    assert found["trained"] > 1000
