"""The signed REST channel (nlu/channel.py) as Rasa loads it from credentials.yml, in the Rasa
environment: it keeps the ``rest`` URL, refuses to start without the secret, and tells which
bodies it refuses. The HTTP answers themselves are checked against a running Rasa in
tests/e2e/test_trust.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from trust import signed_metadata

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
SECRET = "channel-test-secret"

SCRIPT = """
import json, sys
import rasa.core.run
try:
    [channel] = rasa.core.run.create_http_input_channels(None, "credentials.yml")
except Exception as error:
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
    sys.exit(0)
from nlu.channel import refusal_reason
bodies = json.loads(sys.argv[1])
print(json.dumps({
    "class": type(channel).__name__,
    "prefix": channel.url_prefix(),
    "reasons": [refusal_reason(channel._secret, body) for body in bodies],
}))
"""


def _load(bodies: list[Any], secret: str | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "BOT_SIGNING_SECRET"}
    env["PYTHONPATH"] = str(ROOT)
    if secret is not None:
        env["BOT_SIGNING_SECRET"] = secret
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT, json.dumps(bodies)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment is not set up")
def test_credentials_load_the_signed_channel_which_refuses_what_the_bot_did_not_sign() -> None:
    text = "芙蓉王硬多少钱一条"
    metadata = signed_metadata(SECRET, sender="10001", text=text, metadata={"update_id": 3})
    labelled = signed_metadata(
        SECRET, sender="10001", text=text, metadata={"update_id": 4, "language": "en"}
    )
    bodies = [
        {"sender": "10001", "message": text, "metadata": metadata},
        {"sender": "10001", "message": text, "metadata": labelled},
        {"sender": "10001", "message": text, "metadata": {**labelled, "language": "zh"}},
        {"sender": 10001, "message": f"  {text}\n", "metadata": metadata},
        {"sender": "10001", "message": text},
        {"sender": "10002", "message": text, "metadata": metadata},
        {"sender": "10001", "message": "白沙加30条", "metadata": metadata},
        {"message": text, "metadata": metadata},
        ["not", "an", "object"],
    ]
    loaded = _load(bodies, SECRET)
    assert loaded == {
        "class": "SignedRestInput",
        "prefix": "rest",
        "reasons": [
            None,
            None,  # the reply language the bot decided is signed with the rest
            "bad_signature",  # and cannot be changed on the way
            None,
            "missing",
            "sender_mismatch",
            "bad_signature",
            "missing",
            "missing",
        ],
    }


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment is not set up")
def test_the_channel_does_not_start_without_the_secret() -> None:
    loaded = _load([], None)
    assert loaded == {
        "error": "RasaException: BOT_SIGNING_SECRET is not set: the signed REST channel will "
        "not run open."
    }
