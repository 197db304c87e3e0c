"""Start and stop the whole assistant: action server, Rasa, Bot API stand-in, bot.

:class:`Stack` is the single-machine shape (``make run``, the end-to-end tests): one action
server, one Rasa with in-memory stores, the bot polling the stand-in. :class:`ProdStack` is the
production shape of docker-compose.yml run natively (``make run-prod-local``, the failover
test, the turn benchmark): PostgreSQL for the data and Rasa's tracker store, a private Redis for
Rasa's lock store, several Rasa servers and action servers (the latter behind HAProxy), the bot
in webhook mode behind the stand-in. Both run the same commands, so what the tests exercise is
what a developer runs. Each process logs to ``<log_dir>/<name>.log``.
"""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
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
    """A started child process, how to tell it is ready, and how to start it again."""

    name: str
    popen: subprocess.Popen[bytes]
    ready_url: str
    log: Path
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict, repr=False)
    """What this process gets on top of :meth:`Stack.child_env` (kept for a restart)."""
    ready: Callable[[], bool] | None = None
    """A readiness probe for processes that do not speak HTTP (Redis); else ``ready_url``."""


def free_port() -> int:
    """A localhost port nobody listens on now (tests run their stacks side by side)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def seeded_sqlite(folder: Path) -> str:
    """A freshly migrated SQLite database with the demo data in ``folder``; its URL."""
    from retail.clock import SystemClock
    from retail.db import Database
    from retail.schema import migrate
    from retail.seed import seed_demo

    url = f"sqlite:///{folder / 'retail.db'}"
    migrate(url)
    database = Database(url)
    with database.session() as session:
        seed_demo(session, SystemClock())
    database.dispose()
    return url


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

    def _start(
        self,
        name: str,
        command: list[str],
        ready_url: str,
        *,
        env: dict[str, str] | None = None,
        ready: Callable[[], bool] | None = None,
        append: bool = False,
    ) -> Process:
        """Start ``command`` in its own process group, logging to ``<log_dir>/<name>.log``
        (``append``: after the log of the process it replaces, so a restart keeps the story)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("ab" if append else "wb") as handle:
            popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.child_env(), **(env or {})},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, ready_url, log, command, dict(env or {}), ready)
        self.processes.append(process)
        return process

    def start_actions(self, *, name: str = "actions", port: int | None = None) -> Process:
        port = self.ports.actions if port is None else port
        command = [str(APP_PYTHON), "-m", "actions.server", "--port", str(port)]
        return self._start(name, command, f"http://127.0.0.1:{port}/health")

    def rasa_command(self, port: int, endpoints: Path) -> list[str]:
        """``rasa run`` with the API behind the auth token, on 127.0.0.1:``port``."""
        return [
            str(RASA),
            "run",
            "--enable-api",
            # One argument: a token that starts with "-" (token_urlsafe gives one in 64 runs)
            # would otherwise be read by argparse as an option, and Rasa would not start.
            f"--auth-token={self.rasa_token}",
            "--model",
            str(self.model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
        ]

    def start_rasa(self) -> Process:
        endpoints = self.log_dir / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.ports.actions}/webhook"\n'
            "  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n"
        )
        command = self.rasa_command(self.ports.rasa, endpoints)
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
            if process.ready() if process.ready else _http_ok(process.ready_url):
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

    def serve(self, announce: Callable[[float], None]) -> None:
        """Start, ``announce(seconds it took)``, and run until Ctrl-C or SIGTERM (then stop
        everything); if a process dies, print its log tail, stop the rest and exit 1. The body
        of ``make run`` and ``make run-prod-local``."""
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        started = time.monotonic()
        try:
            self.start(progress=lambda line: print(line, flush=True))
            announce(time.monotonic() - started)
            print("Press Ctrl-C to stop.", flush=True)
            while all(p.popen.poll() is None for p in self.processes):
                time.sleep(1)
            for process in [p for p in self.processes if p.popen.poll() is not None]:
                print(
                    f"{process.name} stopped unexpectedly:\n{self.tail(process)}", file=sys.stderr
                )
            sys.exit(1)
        except KeyboardInterrupt:
            print("\nstopping...")
        finally:
            self.stop()

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


PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
"""The PostgreSQL server the production shape makes its databases on (a URL without a database)."""
ENDPOINTS_PRODUCTION = ROOT / "deploy" / "endpoints.production.yml"
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
LOCK_LIFETIME_SECONDS = 10
"""Rasa's ``TICKET_LOCK_LIFETIME`` (Rasa's default: 60 s). A Rasa killed mid-turn leaves its
ticket in the Redis lock store until the ticket expires, and the replica the bot retries on
waits that long (plus up to 1 s of Rasa's polling) before it serves the conversation; with 60 s
the conversation would be stuck for a minute, far past the bot's RASA_TIMEOUT (20 s). 10 s
leaves the retried turn about 9 s of that budget on a loaded replica. The lock must outlive a
normal turn (well under a second, a few seconds under load), and it rarely has a second waiter
at all: the bot sends each chat's messages one at a time."""
_DB_NAME = frozenset(string.ascii_lowercase + string.digits + "_")


def _free_ports() -> Ports:
    return Ports(rasa=free_port(), actions=free_port(), http=free_port(), standin=free_port())


@dataclass
class ProdPorts:
    """Where the production shape's extra processes listen (all on 127.0.0.1)."""

    rasa: list[int]
    actions: list[int]
    proxy: int
    redis: int
    webhook: int

    @classmethod
    def free(cls, replicas: int) -> ProdPorts:
        """Free ports for ``replicas`` Rasa servers and action servers and the rest."""
        return cls(
            rasa=[free_port() for _ in range(replicas)],
            actions=[free_port() for _ in range(replicas)],
            proxy=free_port(),
            redis=free_port(),
            webhook=free_port(),
        )


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _redis_ok(port: int, password: str) -> bool:
    """True if the Redis on ``port`` takes ``password`` and answers PING (inline commands)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            answer = b""
            while answer.count(b"\r\n") < 2 and len(answer) < 512:
                chunk = connection.recv(256)
                if not chunk:
                    break
                answer += chunk
            return answer.startswith(b"+OK\r\n+PONG")
    except OSError:
        return False


def _checked_name(name: str) -> str:
    if not name or set(name) - _DB_NAME:
        raise ValueError(f"database names are lower-case letters, digits and _: {name!r}")
    return name


def _create_database(server: str, name: str) -> bool:
    """Create database ``name`` on ``server`` unless it exists; True if it was created."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is not None:
            return False
        admin.execute(f'CREATE DATABASE "{_checked_name(name)}"')
        return True


def _drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{_checked_name(name)}" WITH (FORCE)')


def _has_table(url: str, table: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            row = connection.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
            return bool(row and row[0])
    except psycopg.OperationalError:
        return False


@dataclass
class ProdStack(Stack):
    """The production shape of docker-compose.yml, natively on this machine.

    PostgreSQL (the data database, migrated and seeded with the demo, and Rasa's SQL tracker
    store), a private Redis with a password (Rasa's lock store), ``replicas`` action servers
    behind HAProxy (``deploy/haproxy.cfg``: health checks, retries on another server),
    ``replicas`` Rasa servers reading ``deploy/endpoints.production.yml`` (the file compose
    uses) with values from the environment, the bot in webhook mode behind the stand-in, its
    Rasa client balancing over the Rasa servers (``RASA_URL`` lists them). Every port is a free
    one on 127.0.0.1; every secret is made for the run unless the environment sets it.

    Without ``data_db``/``tracker_db`` both databases are fresh (random names) and dropped by
    :meth:`stop`; named ones are created when missing and kept (``make run-prod-local``).
    Processes are named ``redis``, ``actions-1``.., ``haproxy``, ``rasa-1``.., ``standin``,
    ``bot``; :meth:`kill` and :meth:`restart` take those names.
    """

    ports: Ports = field(default_factory=_free_ports)
    replicas: int = 2
    data_db: str = ""
    tracker_db: str = ""
    postgres: str = PG_SERVER
    redis_password: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)
    prod_ports: ProdPorts = field(init=False)
    _fresh: bool = field(default=True, init=False, repr=False)
    _drop_on_stop: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.replicas < 1:
            raise ValueError("ProdStack needs at least one replica")
        self.prod_ports = ProdPorts.free(self.replicas)
        merged = {**os.environ, **self.env}
        self.redis_password = (
            self.redis_password or merged.get("REDIS_PASSWORD") or secrets.token_urlsafe(32)
        )
        self.webhook_secret = (
            self.webhook_secret or merged.get("WEBHOOK_SECRET") or secrets.token_urlsafe(32)
        )
        self._fresh = not (self.data_db and self.tracker_db)
        run = uuid.uuid4().hex[:10]
        self.data_db = _checked_name(self.data_db or f"retail_prod_{run}")
        self.tracker_db = _checked_name(self.tracker_db or f"rasa_tracker_{run}")

    @property
    def rasa_urls(self) -> list[str]:
        """The Rasa servers, in replica order (``RASA_URL`` is these, comma-separated)."""
        return [f"http://127.0.0.1:{port}" for port in self.prod_ports.rasa]

    @property
    def rasa_url(self) -> str:
        """The first Rasa server (for posting to one replica directly)."""
        return self.rasa_urls[0]

    @property
    def database_url(self) -> str:
        """The data database (``DATABASE_URL``)."""
        return f"{self.postgres}/{self.data_db}"

    @property
    def tracker_database_url(self) -> str:
        """Rasa's SQL tracker store (``TRACKER_DATABASE_URL``, for the bot's retention job)."""
        return f"{self.postgres}/{self.tracker_db}"

    @property
    def actions_proxy_url(self) -> str:
        """HAProxy's listener for the action servers."""
        return f"http://127.0.0.1:{self.prod_ports.proxy}"

    @property
    def webhook_url(self) -> str:
        """Where the stand-in posts updates to the bot (``WEBHOOK_URL``)."""
        return f"http://127.0.0.1:{self.prod_ports.webhook}/telegram"

    @property
    def stats_socket(self) -> Path:
        """HAProxy's stats socket (``show stat``), only this user may open it."""
        return self.log_dir / "haproxy.sock"

    def child_env(self) -> dict[str, str]:
        """Stack's environment plus the production wiring: the names compose uses. The
        secrets only one kind of process needs go to that process alone: the lock store's
        and the tracker database's passwords to Rasa (:meth:`rasa_secrets`), the webhook
        mode and its secret to the bot (:meth:`start_bot`)."""
        env = super().child_env()
        server = urllib.parse.urlsplit(self.postgres)
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "TRACKER_DATABASE_URL": self.tracker_database_url,
                "RASA_URL": ",".join(self.rasa_urls),
                "TELEGRAM_BOT_TOKEN": "",
                "TELEGRAM_API_URL": self.standin_url,
                # deploy/endpoints.production.yml reads these.
                "ACTION_ENDPOINT_URL": f"{self.actions_proxy_url}/webhook",
                "TRACKER_DB_HOST": server.hostname or "127.0.0.1",
                "TRACKER_DB_PORT": str(server.port or 5432),
                "TRACKER_DB_USER": server.username or "postgres",
                "TRACKER_DB_NAME": self.tracker_db,
                "REDIS_HOST": "127.0.0.1",
                "REDIS_PORT": str(self.prod_ports.redis),
            }
        )
        env.setdefault("TICKET_LOCK_LIFETIME", str(LOCK_LIFETIME_SECONDS))
        return env

    def rasa_secrets(self) -> dict[str, str]:
        """What deploy/endpoints.production.yml reads that no other process may see."""
        password = urllib.parse.urlsplit(self.postgres).password or ""
        return {"TRACKER_DB_PASSWORD": password, "REDIS_PASSWORD": self.redis_password}

    def prepare_databases(self) -> None:
        """Create both databases if missing; migrate the data one and load the demo data."""
        from retail.clock import SystemClock
        from retail.db import Database
        from retail.schema import migrate
        from retail.seed import seed_demo

        for name in (self.data_db, self.tracker_db):
            if _create_database(self.postgres, name) and self._fresh:
                self._drop_on_stop.append(name)
        migrate(self.database_url)
        database = Database(self.database_url)
        try:
            with database.session() as session:
                seed_demo(session, SystemClock())
        finally:
            database.dispose()

    def start_redis(self) -> Process:
        """A private Redis: password required, nothing written to disk, 127.0.0.1 only.
        (Redis replaces its process title, so the password does not stay visible in ps.)"""
        port, password = self.prod_ports.redis, self.redis_password
        command = [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--requirepass",
            password,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.log_dir),
        ]
        return self._start(
            "redis", command, f"redis://127.0.0.1:{port}", ready=lambda: _redis_ok(port, password)
        )

    def start_haproxy(self) -> Process:
        """HAProxy in front of the action servers, from ``deploy/haproxy.cfg``."""
        servers = "\n".join(
            f"    server actions-{i} 127.0.0.1:{port} check"
            for i, port in enumerate(self.prod_ports.actions, start=1)
        )
        config = self.log_dir / "haproxy.cfg"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(
            string.Template(HAPROXY_TEMPLATE.read_text()).substitute(
                stats_socket=self.stats_socket, proxy_port=self.prod_ports.proxy, servers=servers
            )
        )
        command = [shutil.which("haproxy") or "haproxy", "-db", "-f", str(config)]
        return self._start("haproxy", command, f"{self.actions_proxy_url}/health")

    def start_rasa_replica(self, index: int) -> Process:
        """Rasa server ``index`` (0-based; named ``rasa-<index+1>``) on the production endpoints."""
        port = self.prod_ports.rasa[index]
        url = f"http://127.0.0.1:{port}/status?token={self.rasa_token}"
        command = self.rasa_command(port, ENDPOINTS_PRODUCTION)
        return self._start(f"rasa-{index + 1}", command, url, env=self.rasa_secrets())

    def start_bot(self) -> Process:
        """The bot in webhook mode: ready when its HTTP API and its webhook listener answer."""
        healthz, webhook = f"http://127.0.0.1:{self.ports.http}/healthz", self.prod_ports.webhook
        return self._start(
            "bot",
            [str(APP_PYTHON), "-m", "bot"],
            healthz,
            env={
                "BOT_MODE": "webhook",
                "WEBHOOK_URL": self.webhook_url,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(self.prod_ports.webhook),
                "WEBHOOK_SECRET": self.webhook_secret,
            },
            ready=lambda: _http_ok(healthz) and _listening(webhook),
        )

    def start(self, *, progress: Callable[[str], None] = print) -> None:
        """Prepare the databases, start every process in dependency order, wait for each."""
        if shutil.which("haproxy") is None:
            raise RuntimeError("haproxy is not installed: run `make setup-prod`")
        progress(f"preparing PostgreSQL databases {self.data_db} and {self.tracker_db}...")
        self.prepare_databases()
        progress(
            f"starting Redis, {self.replicas} action server(s) behind HAProxy and "
            f"{self.replicas} Rasa server(s) (each loads the model: about a minute)..."
        )
        early = [self.start_redis(), self.start_standin()]
        early += [
            self.start_actions(name=f"actions-{i}", port=port)
            for i, port in enumerate(self.prod_ports.actions, start=1)
        ]
        first = self.start_rasa_replica(0)
        for process in early:
            self.wait_ready(process, timeout=60, progress=progress)
        self.wait_ready(self.start_haproxy(), timeout=30, progress=progress)
        self._wait_for_tracker_tables(first)
        rasas = [first, *(self.start_rasa_replica(i) for i in range(1, self.replicas))]
        for process in rasas:
            self.wait_ready(process, timeout=300, progress=progress)
        progress("starting the bot (webhook mode)...")
        self.wait_ready(self.start_bot(), timeout=60, progress=progress)

    def _wait_for_tracker_tables(self, rasa: Process, timeout: float = 180) -> None:
        """Let the first Rasa create the tracker store's tables before the others start:
        Rasa creates them at start-up, and two servers doing it at once race in PostgreSQL."""
        deadline = time.monotonic() + timeout
        while not _has_table(self.tracker_database_url, "events"):
            if rasa.popen.poll() is not None:
                raise RuntimeError(f"{rasa.name} exited early:\n{self.tail(rasa)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no tracker tables after {timeout:.0f} s:\n{self.tail(rasa)}")
            time.sleep(0.5)

    def process(self, name: str) -> Process:
        """The newest process called ``name``."""
        for process in reversed(self.processes):
            if process.name == name:
                return process
        raise KeyError(name)

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` to process ``name``'s group (SIGKILL: a crash, nothing cleaned up)."""
        process = self.process(name)
        os.killpg(process.popen.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            process.popen.wait(timeout=30)

    def restart(
        self, name: str, *, timeout: float = 300, progress: Callable[[str], None] = print
    ) -> Process:
        """Start process ``name`` again (stopping it first if it runs) and wait until ready."""
        old = self.process(name)
        if old.popen.poll() is None:
            self.kill(name, signal.SIGTERM)
        self.processes.remove(old)
        new = self._start(
            name, old.command, old.ready_url, env=old.env, ready=old.ready, append=True
        )
        self.wait_ready(new, timeout=timeout, progress=progress)
        return new

    def proxy_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's statistics per action server (``stot``: requests so far, ``status``)."""
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(5)
            connection.connect(str(self.stats_socket))
            connection.sendall(b"show stat\n")
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        lines = b"".join(chunks).decode().lstrip("# ").splitlines()
        return {
            row["svname"]: row
            for row in csv.DictReader(line for line in lines if line)
            if row["pxname"] == "action_servers" and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def stop(self) -> None:
        """Stop every process, then drop the databases this run created."""
        super().stop()
        while self._drop_on_stop:
            _drop_database(self.postgres, self._drop_on_stop.pop())
