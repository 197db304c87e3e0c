"""Export a period's visit notes as CSV or XLSX, for the monthly report.

    python -m scripts.export_visits --from 2026-11-01 --to 2026-11-30 visits.xlsx
    python -m scripts.export_visits --manager M001 --from 2026-11-01 --to 2026-11-30 m001.csv

The format follows the file's suffix (.csv or .xlsx). Without ``--manager`` every shop's notes
are exported (as staff); with it, only that manager's territory. Column titles are in ``--lang``
(zh or en, default the settings' language). The database is DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select

from retail.access import ADMIN, MANAGER, Principal
from retail.db import Database
from retail.i18n import supported
from retail.models import Manager
from retail.settings import Settings
from retail.visits import export_visits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.export_visits",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="output file, .csv or .xlsx")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    parser.add_argument("--manager", help="a manager's code (e.g. M001): only their territory")
    parser.add_argument("--lang", default=None, help="language of the column titles (zh or en)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the export; returns the exit status."""
    args = parse_args(argv)
    settings = Settings.from_env()
    language = supported(args.lang or settings.default_language)
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            principal = Principal(0, 0, ADMIN, None, None, language, "export")
            if args.manager:
                manager = session.scalar(select(Manager).where(Manager.code == args.manager))
                if manager is None:
                    print(f"no manager {args.manager}", file=sys.stderr)
                    return 2
                principal = Principal(0, 0, MANAGER, None, manager.id, language, manager.name)
            count = export_visits(
                session, principal, args.start, args.end, language=language, path=args.file
            )
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        database.dispose()
    print(f"exported {count} visits to {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
