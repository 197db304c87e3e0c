"""The whole assistant as separate processes, shared by every end-to-end test of a run.

The trained model comes from ``make train`` (``make test`` trains first; it is trained here if
missing). Ports are picked free at start, so a running ``make run`` or a parallel test run
does not interfere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from retail.db import Database
from scripts import model
from scripts.stack import Ports, Stack, free_port, seeded_sqlite
from standin import StandinClient


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Action server, Rasa, the Bot API stand-in and the bot, on a freshly seeded database."""
    model.train()
    ports = Ports(rasa=free_port(), actions=free_port(), http=free_port(), standin=free_port())
    work: Path = tmp_path_factory.mktemp("e2e")
    url = seeded_sqlite(work)
    env = {
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": f"http://127.0.0.1:{ports.standin}",
        "LOG_LEVEL": "INFO",
        "RETRY_FAILED_EVERY_SECONDS": "2",
        # A claimed message left unanswered (a killed bot) is retried after RASA_TIMEOUT + 5 s.
        "UNANSWERED_RETRY_AFTER_SECONDS": "1",
        # The fuzz test answers thousands of messages from six users as fast as the stack can;
        # the inbound limiter has its own tests (tests/bot/test_inbound.py).
        "INBOUND_BURST": "100000",
        "INBOUND_PER_MINUTE": "100000",
        "INBOUND_STRANGER_PER_MINUTE": "100000",
        # The English model pocketsphinx ships: the real decode and recognition path in CI.
        "VOICE_ENGINE": "pocketsphinx",
        "VOICE_DIR": str(work / "voice"),
    }
    running = Stack(env=env, log_dir=work / "logs", ports=ports)
    try:
        running.start(progress=lambda line: print(line, flush=True))
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def e2e_database(stack: Stack) -> Iterator[Database]:
    """The database the running stack uses, for checking what it wrote."""
    database = Database(stack.env["DATABASE_URL"])
    yield database
    database.dispose()


@pytest.fixture
async def standin(stack: Stack) -> AsyncIterator[StandinClient]:
    """A client of the running stand-in's test API."""
    async with StandinClient(stack.standin_url) as client:
        yield client
