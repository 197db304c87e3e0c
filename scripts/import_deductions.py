"""Import a file of deduction results: which orders' deductions succeeded or failed.

    python -m scripts.import_deductions deductions.csv --feed bank-a

The CSV has a header row: ``retailer_code,cycle,outcome,amount,reported_at[,order_id,reason,
result_id]`` (``cycle`` such as 2026-W48, or ``order_id`` instead); ``outcome`` is
``succeeded`` or ``failed``; times are ISO 8601 (without an offset they are Asia/Shanghai).
A failed result marks the order ``deduct_failed``: the reminder planner then tells the retailer
and escalates to their manager. Importing the same file twice applies nothing new; a result
for an order that is not awaiting its deduction is rejected, never applied over it. Rejected
rows are listed with their line number and reason; the exit status is 1 if any row was
rejected, 2 if the file could not be read at all. The database is DATABASE_URL's. Feed tokens
for the HTTP endpoint are issued by ``scripts.import_balances --issue-token FEED``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retail.settlement import deductions
from scripts.import_balances import import_csv_file


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.import_deductions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="CSV file to import")
    parser.add_argument("--feed", default="manual", help="feed name the results come from")
    parser.add_argument("--lang", default=None, help="language of the report (zh or en)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = parse_args(argv)
    return import_csv_file(
        args.file, feed=args.feed, lang=args.lang, importer=deductions.import_deductions_csv
    )


if __name__ == "__main__":
    sys.exit(main())
