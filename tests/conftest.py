"""Shared fixtures: real databases (a temporary SQLite file, a throwaway PostgreSQL database)
migrated with Alembic and seeded with the demo data, and a fixed business clock."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.schema import migrate
from retail.seed import seed_demo

# endpoints.yml makes Rasa send this to the action server; `rasa test` reads that file too.
os.environ.setdefault("ACTION_SERVER_TOKEN", secrets.token_urlsafe(24))
# The bot signs what it sends Rasa with this; the channel and the actions check it (trust/).
os.environ.setdefault("BOT_SIGNING_SECRET", secrets.token_urlsafe(24))

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FixedClock:
    """Tuesday 24 Nov 2026, 10:30 in Shanghai."""
    return FixedClock(NOW)


def _seeded(url: str, clock: FixedClock) -> Database:
    migrate(url)
    database = Database(url)
    with database.session() as session:
        seed_demo(session, clock)
    return database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'retail.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards."""
    name = f"retail_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(sqlite_url: str, clock: FixedClock) -> Iterator[Database]:
    """The demo data in a temporary SQLite database."""
    database = _seeded(sqlite_url, clock)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Database]:
    """The demo data on SQLite and on real PostgreSQL (model-layer tests run on both)."""
    if request.param == "sqlite":
        database = _seeded(f"sqlite:///{tmp_path / 'retail.db'}", clock)
        yield database
        database.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    database = _seeded(url, clock)
    yield database
    database.dispose()
