"""Purge data past its retention (retail/retention.py) once, with the settings of the
environment: ``make purge`` or ``python -m scripts.purge``. Prints the counts."""

from __future__ import annotations

from dataclasses import asdict

from retail.clock import SystemClock
from retail.db import Database
from retail.logs import configure_logging
from retail.retention import purge_configured
from retail.settings import Settings


def main() -> int:
    """Run one purge; returns the exit status."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    database = Database(settings.database_url)
    try:
        report = purge_configured(database, settings, clock=SystemClock())
    finally:
        database.dispose()
    print(" ".join(f"{name}={count}" for name, count in asdict(report).items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
