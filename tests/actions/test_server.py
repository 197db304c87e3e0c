"""The action server behind its shared secret (actions/server.py), as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-action-secret"
CALL = b'{"next_action": "action_that_does_not_exist", "sender_id": "10001", "tracker": {}}'


def _post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=CALL, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "ACTION_SERVER_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_call_without_the_secret_is_refused(server: str) -> None:
    assert _post(f"{server}/webhook", {}) == 401


def test_a_call_with_a_wrong_secret_is_refused(server: str) -> None:
    assert _post(f"{server}/webhook", {"X-Action-Token": "guess"}) == 401


def test_a_call_with_the_secret_reaches_the_actions(server: str) -> None:
    # An unknown action is rasa-sdk's 404: the call got past the secret to the executor.
    assert _post(f"{server}/webhook", {"X-Action-Token": TOKEN}) == 404


def test_the_action_list_is_not_served_without_the_secret(server: str) -> None:
    try:
        urllib.request.urlopen(f"{server}/actions", timeout=10).close()
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 401


def test_the_server_will_not_start_without_a_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, "ACTION_SERVER_TOKEN" in result.stderr) == (2, True)


def test_only_the_rasa_version_this_server_is_built_for_goes_unwarned() -> None:
    import warnings

    from rasa_sdk.utils import check_version_compatibility

    from actions.server import build_app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_app(TOKEN)
        check_version_compatibility("3.6.21")
        assert caught == []
        check_version_compatibility("3.7.0")
        assert "might not be compatible" in str(caught[-1].message)
