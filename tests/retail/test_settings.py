"""Settings come from the environment, and .env.example documents every one."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys

import pytest

from retail import settings as settings_module
from retail.settings import PROJECT_ROOT, Settings, SettingsError


def test_every_environment_variable_is_documented() -> None:
    read = set(re.findall(r'_env\w*\("(\w+)"', inspect.getsource(settings_module)))
    documented = set(re.findall(r"^(\w+)=", (PROJECT_ROOT / ".env.example").read_text(), re.M))
    assert read - documented == set()


def test_without_a_token_the_bot_uses_the_local_standin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_API_URL", raising=False)
    monkeypatch.setenv("STANDIN_PORT", "9999")
    settings = Settings.from_env()
    assert (settings.uses_standin, settings.telegram_api_url) == (True, "http://127.0.0.1:9999")


def test_with_a_token_the_bot_uses_telegram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.delenv("TELEGRAM_API_URL", raising=False)
    settings = Settings.from_env()
    assert (settings.uses_standin, settings.telegram_api_url) == (False, "https://api.telegram.org")
    assert settings.bot_token == "123:abc"


def test_a_sqlite_database_in_a_missing_folder_is_migrated_there(tmp_path) -> None:
    from retail.schema import migrate

    path = tmp_path / "var" / "nested" / "retail.db"
    migrate(f"sqlite:///{path}")
    assert path.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [("RASA_TIMEOUT", "twenty"), ("HTTP_PORT", "80.5"), ("INBOUND_PER_MINUTE", "nan")],
)
def test_an_unusable_number_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        Settings.from_env()


@pytest.mark.parametrize("module", ["bot", "actions.server"])
def test_a_process_with_an_unusable_number_stops_with_one_line(module: str) -> None:
    env = {**os.environ, "RASA_TIMEOUT": "twenty", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", module],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "RASA_TIMEOUT" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
