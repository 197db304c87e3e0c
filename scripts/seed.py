"""Migrate the database to the newest schema and load the demo data (idempotent)."""

from __future__ import annotations

from retail.clock import SystemClock
from retail.db import Database
from retail.schema import migrate
from retail.seed import seed_demo
from retail.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    print("migrating the database...", flush=True)
    migrate(settings.database_url)
    database = Database(settings.database_url)
    with database.session() as session:
        report = seed_demo(session, SystemClock())
    database.dispose()
    print(
        f"demo data: {report.products} products, {report.policies} policies, "
        f"{report.managers} managers, {report.retailers} retailers, {report.orders} orders",
        flush=True,
    )


if __name__ == "__main__":
    main()
