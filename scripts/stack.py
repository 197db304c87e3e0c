"""Start and stop the whole assistant: action server, Rasa, Bot API stand-in, bot.

Used by ``make run`` (``python -m scripts.run``) and by the end-to-end tests, so both exercise
the same processes with the same commands. Each process logs to ``<log_dir>/<name>.log``.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


@dataclass
class Ports:
    """Where each process listens (CONTRACT.md defaults)."""

    rasa: int = 5005
    actions: int = 5055
    http: int = 8080
    standin: int = 8081


@dataclass
class Process:
    """A started child process and how to tell it is ready."""

    name: str
    popen: subprocess.Popen[bytes]
    ready_url: str
    log: Path


def free_port() -> int:
    """A localhost port nobody listens on now (tests run their stacks side by side)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Stack:
    """The assistant's processes, started in dependency order and stopped in reverse."""

    env: dict[str, str]
    log_dir: Path
    ports: Ports = field(default_factory=Ports)
    model: Path = ROOT / "models" / "current.tar.gz"
    with_standin: bool = True
    processes: list[Process] = field(default_factory=list)
    action_token: str = field(default="", repr=False)
    """The secret Rasa sends the action server: ``ACTION_SERVER_TOKEN`` if set, else a new one
    for this run (nothing outside the stack needs to know it)."""
    rasa_token: str = field(default="", repr=False)
    """Rasa's ``--auth-token`` for its HTTP API (parse, trackers): ``RASA_AUTH_TOKEN`` if set,
    else a new one for this run. The bot does not need it: it talks to the REST channel."""
    signing_secret: str = field(default="", repr=False)
    """The secret the bot signs each message with and Rasa's channel and the action server check
    (``trust/``): ``BOT_SIGNING_SECRET`` if set, else a new one for this run."""

    def __post_init__(self) -> None:
        merged = {**os.environ, **self.env}
        if not self.action_token:
            self.action_token = merged.get("ACTION_SERVER_TOKEN") or secrets.token_urlsafe(32)
        if not self.rasa_token:
            self.rasa_token = merged.get("RASA_AUTH_TOKEN") or secrets.token_urlsafe(32)
        if not self.signing_secret:
            self.signing_secret = merged.get("BOT_SIGNING_SECRET") or secrets.token_urlsafe(32)

    @property
    def standin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.standin}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    def child_env(self) -> dict[str, str]:
        """The environment every child sees: ours, plus the URLs that tie them together."""
        env = {**os.environ, **self.env}
        env["RASA_URL"] = self.rasa_url
        env["HTTP_PORT"] = str(self.ports.http)
        env["STANDIN_PORT"] = str(self.ports.standin)
        env["PYTHONPATH"] = str(ROOT)
        env["ACTION_SERVER_TOKEN"] = self.action_token
        env["BOT_SIGNING_SECRET"] = self.signing_secret
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _start(self, name: str, command: list[str], ready_url: str) -> Process:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.child_env(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name, popen, ready_url, log)
        self.processes.append(process)
        return process

    def start_actions(self) -> Process:
        port = self.ports.actions
        command = [str(APP_PYTHON), "-m", "actions.server", "--port", str(port)]
        return self._start("actions", command, f"http://127.0.0.1:{port}/health")

    def start_rasa(self) -> Process:
        endpoints = self.log_dir / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.ports.actions}/webhook"\n'
            "  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n"
        )
        command = [
            str(RASA),
            "run",
            "--enable-api",
            "--auth-token",
            self.rasa_token,
            "--model",
            str(self.model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.ports.rasa),
        ]
        return self._start("rasa", command, f"{self.rasa_url}/status?token={self.rasa_token}")

    def start_standin(self) -> Process:
        port = self.ports.standin
        command = [str(APP_PYTHON), "-m", "standin", "--port", str(port)]
        return self._start("standin", command, f"http://127.0.0.1:{port}/_test/stats")

    def start_bot(self) -> Process:
        return self._start(
            "bot", [str(APP_PYTHON), "-m", "bot"], f"http://127.0.0.1:{self.ports.http}/healthz"
        )

    def wait_ready(
        self, process: Process, *, timeout: float, progress: Callable[[str], None] = print
    ) -> None:
        """Block until the process answers its ready URL; raise with its log tail if it dies."""
        deadline = time.monotonic() + timeout
        next_note = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited early:\n{self.tail(process)}")
            if _http_ok(process.ready_url):
                return
            if time.monotonic() > next_note:
                progress(f"  still waiting for {process.name}...")
                next_note = time.monotonic() + 10
            time.sleep(0.3)
        raise TimeoutError(f"{process.name} not ready after {timeout:.0f} s:\n{self.tail(process)}")

    def start(self, *, progress: Callable[[str], None] = print) -> None:
        """Start every process and wait until each answers."""
        progress("starting the action server and Rasa (loading the model takes about a minute)...")
        actions = self.start_actions()
        rasa = self.start_rasa()
        standin = self.start_standin() if self.with_standin else None
        for process in (actions, standin):
            if process is not None:
                self.wait_ready(process, timeout=60, progress=progress)
        self.wait_ready(rasa, timeout=240, progress=progress)
        progress("starting the bot...")
        self.wait_ready(self.start_bot(), timeout=60, progress=progress)

    def tail(self, process: Process, lines: int = 30) -> str:
        """The last lines of a process's log."""
        if not process.log.exists():
            return ""
        return "\n".join(process.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop every process (newest first): SIGTERM, then SIGKILL after a grace period."""
        for process in reversed(self.processes):
            if process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
        self.processes.clear()

    def stop_one(self, name: str) -> None:
        """Stop one named process (tests use it to simulate an outage)."""
        for process in self.processes:
            if process.name == name and process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
                process.popen.wait(timeout=10)
