"""nlu/speedups.py in the Rasa environment: Rasa's check of action server answers keeps its rules
(a valid answer passes, a malformed one raises the same ValidationError with Rasa's hint) and no
longer re-checks its own schema on every answer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

SCRIPT = """
import json, time
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from nlu import speedups

action = RemoteAction("action_price", None)
valid = {"events": [{"event": "slot", "name": "order_plan", "value": None}],
         "responses": [{"text": "芙蓉王(硬) ¥250.00/条", "buttons": []}]}
invalid = {"events": [{"name": "order_plan"}], "responses": []}

def timed(check, runs=200):
    started = time.perf_counter()
    for _ in range(runs):
        check()
    return (time.perf_counter() - started) / runs * 1000

before = timed(lambda: validate(valid, RemoteAction.action_response_format_spec()))
speedups.install()
speedups.install()
after = timed(lambda: action._validate_action_result(valid))
try:
    action._validate_action_result(invalid)
    refused = None
except ValidationError as error:
    refused = error.message
print(json.dumps({"ok": action._validate_action_result(valid), "refused": refused,
                  "ms_before": before, "ms_after": after}))
"""


def test_action_answers_are_checked_by_the_prebuilt_validator() -> None:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    assert result["refused"] is not None
    assert "event" in result["refused"]
    assert "Failed to validate Action server response" in result["refused"]
    print(f"answer check: {result['ms_before']:.2f} ms -> {result['ms_after']:.3f} ms")
    assert result["ms_after"] * 5 < result["ms_before"]
