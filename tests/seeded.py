"""A seeded demo database copied per test: migrating and seeding once per module, not per test.

Order tests each need a fresh database they may change; building one takes about 1.5 s, a file
copy a few milliseconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from retail.clock import FixedClock
from retail.db import Database
from tests.conftest import NOW, _seeded


def seeded_template(directory: Path) -> Path:
    """Migrate and seed (at the fixed test time) a SQLite file in ``directory``; return it."""
    path = directory / "template.db"
    database = _seeded(f"sqlite:///{path}", FixedClock(NOW))
    database.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


def fresh_copy(template: Path, directory: Path) -> Database:
    """A private copy of the template database."""
    target = directory / "retail.db"
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")
