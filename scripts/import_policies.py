"""Import policy answers from a YAML or CSV file into the database: no retraining needed.

    python -m scripts.import_policies FILE            # add new policies, update changed ones
    python -m scripts.import_policies FILE --dry-run  # check the file and show what would change

YAML files use the layout of ``data/demo/policies.yml``; CSV files have the columns
key, topic, title_zh, title_en, text_zh, text_en, keywords_zh, keywords_en, effective_from,
effective_to (keywords separated by ``|``, dates as YYYY-MM-DD). Texts may use the placeholders
{order_day} {order_window} {deduction_time} {star_level} {manager_name} {manager_phone}
{hotline}. The database is ``DATABASE_URL`` (see ``.env.example``). A file with any problem
changes nothing; every problem is listed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retail.db import Database
from retail.policies import PolicyFileError, import_policies, read_policy_file
from retail.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Run the import; returns the process exit code (0 ok, 1 invalid file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="policies as .yml/.yaml or .csv")
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    args = parser.parse_args(argv)
    try:
        policy_file = read_policy_file(args.file)
    except (PolicyFileError, OSError) as error:
        problems = error.problems if isinstance(error, PolicyFileError) else [str(error)]
        print(f"{args.file}: not imported, {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    database = Database(Settings.from_env().database_url)
    try:
        with database.session() as session:
            report = import_policies(session, policy_file)
            if args.dry_run:
                session.rollback()
    finally:
        database.dispose()
    verb = "would be" if args.dry_run else "were"
    print(
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {report.contacts} contact line(s) {verb} written"
    )
    for label, keys in (("added", report.added), ("updated", report.updated)):
        if keys:
            print(f"  {label}: {', '.join(keys)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
