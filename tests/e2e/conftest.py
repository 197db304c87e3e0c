"""The whole assistant as separate processes, shared by every end-to-end test of a run.

The trained model comes from ``make train`` (``make test`` trains first; it is trained here if
missing). Ports are picked free at start, so a running ``make run`` or a parallel test run
does not interfere.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from retail.db import Database
from retail.models import Order, OrderLine
from scripts import model
from scripts.stack import Ports, Stack, free_port, seeded_sqlite
from standin import StandinClient
from tests.e2e.helpers import current_order_of


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
        # The staff pages answer 401 without this (tests/e2e/test_browser.py shows both sides).
        "STAFF_TOKEN": secrets.token_urlsafe(24),
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


@pytest.fixture
def restore_orders(e2e_database: Database) -> Iterator[None]:
    """Put the orders of 10001 and 10002 back as they were after the test."""
    saved: dict[int, tuple[int, datetime, str, list[tuple[int, int, Any]]]] = {}
    with e2e_database.session() as session:
        for user in (10001, 10002):
            order = current_order_of(session, user)
            lines = [(line.product_id, line.quantity, line.unit_price) for line in order.lines]
            saved[user] = (order.id, order.closes_at, order.status, lines)
    yield
    with e2e_database.session() as session:
        for order_id, closes_at, status, lines in saved.values():
            saved_order = session.get(Order, order_id)
            assert saved_order is not None
            saved_order.closes_at, saved_order.status = closes_at, status
            saved_order.lines.clear()
            session.flush()
            saved_order.lines.extend(
                OrderLine(product_id=pid, quantity=quantity, unit_price=price)
                for pid, quantity, price in lines
            )
