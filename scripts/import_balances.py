"""Import a bank's balance file, or manage the tokens bank feeds post with.

    python -m scripts.import_balances balances.csv --feed bank-a     # import a CSV file
    python -m scripts.import_balances --issue-token bank-a          # print a new feed token
    python -m scripts.import_balances --revoke bank-a               # revoke a feed's tokens

The CSV has a header row: ``retailer_code,balance,reported_at[,snapshot_id]``; times are ISO
8601 (without an offset they are Asia/Shanghai). Importing the same file twice stores nothing
new. Rejected rows are listed with their line number and reason; the exit status is 1 if any
row was rejected, 2 if the file could not be read at all. The database is DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from retail.clock import SystemClock
from retail.db import Database
from retail.i18n import supported
from retail.settings import Settings
from retail.settlement import feeds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.import_balances",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", type=Path, help="CSV file to import")
    parser.add_argument("--feed", default="manual", help="feed name the snapshots come from")
    parser.add_argument("--issue-token", metavar="FEED", help="issue a new token for FEED")
    parser.add_argument("--revoke", metavar="FEED", help="revoke every token of FEED")
    parser.add_argument("--lang", default=None, help="language of the report (zh or en)")
    args = parser.parse_args(argv)
    if not (args.file or args.issue_token or args.revoke):
        parser.error("give a CSV file, --issue-token FEED or --revoke FEED")
    return args


def _say_scope(feed: str, settings: Settings) -> None:
    """Tell staff which accounts the new token may report on (FEED_BANKS), on stderr."""
    bank = feeds.feed_banks(settings.feed_banks).get(feed)
    if bank is None:
        print(
            f"warning: FEED_BANKS has no bank for {feed!r}: the bot's HTTP API rejects every "
            f"row this feed posts until FEED_BANKS lists {feed}=<bank>",
            file=sys.stderr,
        )
    else:
        print(f"{feed} may report on the settlement accounts at {bank}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = parse_args(argv)
    if not (args.issue_token or args.revoke):
        return import_csv_file(
            args.file, feed=args.feed, lang=args.lang, importer=feeds.import_balances_csv
        )
    settings = Settings.from_env()
    language = supported(args.lang or settings.default_language)
    database = Database(settings.database_url)
    clock = SystemClock()
    try:
        with database.session() as session:
            if args.issue_token:
                print(feeds.issue_feed_token(session, feed=args.issue_token, clock=clock))
                _say_scope(args.issue_token, settings)
            else:
                count = feeds.revoke_feed_tokens(session, feed=args.revoke, clock=clock)
                print(f"revoked {count}")
    except feeds.FeedError as error:
        print(error.message(language), file=sys.stderr)
        return 2
    finally:
        database.dispose()
    return 0


def import_csv_file(
    path: Path, *, feed: str, lang: str | None, importer: Callable[..., feeds.FeedReport]
) -> int:
    """Import one feed CSV file with ``importer`` (``(session, text, *, feed, clock)``), print
    the report and each rejected row; the exit status is 0, 1 if any row was rejected, 2 if
    the file could not be read at all. Shared by the balance and deduction imports."""
    settings = Settings.from_env()
    language = supported(lang or settings.default_language)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 2
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            report = importer(session, text, feed=feed, clock=SystemClock())
    except feeds.FeedError as error:
        print(error.message(language), file=sys.stderr)
        return 2
    finally:
        database.dispose()
    print(report.summary(language))
    for problem in report.rejected:
        print(problem.message(language))
    return 1 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
