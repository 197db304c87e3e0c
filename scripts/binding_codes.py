"""Issue a one-time binding code for a retailer's or a customer manager's Telegram account.

    python -m scripts.binding_codes --retailer R001            # or: make binding-code RETAILER=R001
    python -m scripts.binding_codes --manager M001 --valid-hours 24

Prints the code, when it expires (Asia/Shanghai) and what the person types in Telegram
(``/start CODE``), in Chinese and in English. The record's user is created if it has none yet;
an earlier unused code of that user stops working. The exit status is 2 for an unknown record
(nothing issued), 1 if the record is already bound to a Telegram account (nothing issued),
else 0. The database is DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from retail import access
from retail.clock import SystemClock, local
from retail.db import Database
from retail.errors import BindingFailed, RecordNotFound
from retail.i18n import LANGUAGES, t
from retail.settings import Settings

DEFAULT_VALID_HOURS = 72
MAX_VALID_HOURS = 24 * 30


def _hours(text: str) -> int:
    """``--valid-hours``: a whole number of hours from 1 to 30 days."""
    try:
        hours = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of hours: {text!r}") from None
    if not 1 <= hours <= MAX_VALID_HOURS:
        raise argparse.ArgumentTypeError(f"give 1 to {MAX_VALID_HOURS} hours")
    return hours


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.binding_codes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    whose = parser.add_mutually_exclusive_group(required=True)
    whose.add_argument("--retailer", metavar="CODE", help="retailer code, e.g. R001")
    whose.add_argument("--manager", metavar="CODE", help="customer manager code, e.g. M001")
    parser.add_argument(
        "--valid-hours",
        type=_hours,
        default=DEFAULT_VALID_HOURS,
        help=f"how long the code works (default {DEFAULT_VALID_HOURS})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = parse_args(argv)
    role = access.RETAILER if args.retailer else access.MANAGER
    record_code = args.retailer or args.manager
    database = Database(Settings.from_env().database_url)
    try:
        with database.session() as session:
            issued = access.issue_record_binding_code(
                session,
                clock=SystemClock(),
                valid_for=timedelta(hours=args.valid_hours),
                retailer_code=args.retailer,
                manager_code=args.manager,
            )
    except (RecordNotFound, BindingFailed) as error:
        key = "binding_code.unknown" if isinstance(error, RecordNotFound) else "binding_code.taken"
        for language in LANGUAGES:
            kind = t(language, f"binding_code.kind.{role}")
            print(t(language, key, kind=kind, code=record_code), file=sys.stderr)
        return 2 if isinstance(error, RecordNotFound) else 1
    finally:
        database.dispose()
    expires = f"{local(issued.expires_at):%Y-%m-%d %H:%M}"
    for language in LANGUAGES:
        name = issued.name_zh if language == "zh" else issued.name_en
        who = t(language, f"binding_code.{issued.role}", name=name, code=issued.record_code)
        code = issued.code
        print(t(language, "binding_code.issued", who=who, binding_code=code, expires=expires))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
