"""Bring a database to the newest schema with Alembic (what ``make run`` and tests call)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from retail.db import ensure_sqlite_folder
from retail.settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration, aimed at ``database_url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    return config


def migrate(database_url: str) -> None:
    """Upgrade ``database_url`` to the head revision (creating tables on a new database)."""
    ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), "head")
