"""Bank feeds: balance snapshots from the banks, and the tokens that let feeds post.

A feed sends rows of ``retailer_code, balance, reported_at[, snapshot_id]`` (JSON through the
HTTP API, or CSV through ``scripts/import_balances.py``). Every valid row becomes a
:class:`~retail.models.BalanceSnapshot`; its ``snapshot_key`` (the feed's ``snapshot_id``, or
the row's content when there is none) makes a re-sent snapshot a counted duplicate instead of a
second row. Malformed rows are rejected one by one with a reason and the valid rest is stored,
so one typo does not hold back a whole bank's morning file. The row numbering and CSV reading
here are shared with the deduction results feed (:mod:`retail.settlement.deductions`).

Each feed authenticates with its own token; only the token's SHA-256 is stored. A token proves
which feed posts, not which shops it may speak for: :func:`import_within_bank` scopes a feed to
its own bank's settlement accounts (``FEED_BANKS`` maps feed names to
:attr:`~retail.models.SettlementAccount.bank`), and rows about another bank's accounts are
rejected one by one, like any malformed row, before anything is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from retail.clock import SHANGHAI, Clock
from retail.i18n import t
from retail.models import BalanceSnapshot, Retailer, SettlementAccount
from retail.models.settlement import FeedToken

MAX_ROWS = 10_000
FEED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,64}$")
AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
FUTURE_TOLERANCE = timedelta(minutes=5)
FIELDS = ("retailer_code", "balance", "reported_at")


class FeedError(ValueError):
    """The payload as a whole cannot be read (not rows, too many rows, a bad feed name)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, language: str) -> str:
        """The reason, in ``language``."""
        return t(language, f"feed.error.{self.code}", **self.params)


@dataclass(frozen=True)
class RowProblem:
    """Why one row was rejected: its number, what was wrong (``code``), with which field."""

    row: int
    code: str
    field: str
    value: str = ""

    def message(self, language: str) -> str:
        """The reason, in ``language`` (feed.error.<code> in the locale files)."""
        return t(
            language, f"feed.error.{self.code}", row=self.row, field=self.field, value=self.value
        )


@dataclass
class FeedReport:
    """What an import did: rows received, newly stored, already stored, and rejected."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    def summary(self, language: str) -> str:
        """One line for people: "12 rows: 10 stored, 1 duplicates, 1 rejected."."""
        return t(
            language,
            "feed.report",
            received=self.received,
            stored=self.stored,
            duplicates=self.duplicates,
            rejected=len(self.rejected),
        )

    def as_json(self, language: str) -> dict[str, Any]:
        """The report as the HTTP API returns it, reasons in ``language``."""
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": [
                {"row": p.row, "field": p.field, "code": p.code, "message": p.message(language)}
                for p in self.rejected
            ],
            "summary": self.summary(language),
        }


@dataclass(frozen=True)
class _Row:
    number: int
    retailer_code: str
    balance: Decimal
    reported_at: datetime
    snapshot_id: str


def check_feed_name(feed: str) -> str:
    """``feed`` if it is a valid feed name (lowercase letters, digits, - and _; 32 at most)."""
    if not FEED_NAME.match(feed):
        raise FeedError("invalid_body")
    return feed


def field_text(value: Any) -> str:
    """A field's value as stripped text ("" for a missing one)."""
    return "" if value is None else str(value).strip()


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time; without an offset it is taken as Asia/Shanghai. None if unreadable."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def reported_time(number: int, text: str, *, now: datetime) -> datetime | RowProblem:
    """Row ``number``'s ``reported_at``: an ISO 8601 time, not in the future (a few minutes
    of clock skew allowed); else why not. Shared by every feed."""
    moment = parse_time(text)
    if moment is None:
        return RowProblem(number, "bad_time", "reported_at", text[:40])
    if moment > now + FUTURE_TOLERANCE:
        return RowProblem(number, "future_time", "reported_at", text[:40])
    return moment


def _parse(number: int, raw: Mapping[str, Any], now: datetime) -> _Row | RowProblem:
    values = {name: field_text(raw.get(name)) for name in (*FIELDS, "snapshot_id")}
    for name in FIELDS:
        if not values[name]:
            return RowProblem(number, "missing", name)
    if not AMOUNT.match(values["balance"]):
        return RowProblem(number, "bad_amount", "balance", values["balance"][:40])
    reported_at = reported_time(number, values["reported_at"], now=now)
    if isinstance(reported_at, RowProblem):
        return reported_at
    snapshot_id = values["snapshot_id"]
    if snapshot_id and not SNAPSHOT_ID.match(snapshot_id):
        return RowProblem(number, "bad_key", "snapshot_id", snapshot_id[:40])
    return _Row(
        number, values["retailer_code"], Decimal(values["balance"]), reported_at, snapshot_id
    )


def _by_retailer_code(session: Session, codes: Iterable[str], column: Any) -> dict[str, Any]:
    """``column`` of each listed retailer's settlement account, by retailer code (retailers
    without an account left out); 500 codes per query."""
    wanted = sorted(set(codes))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), 500):
        query = (
            select(Retailer.code, column)
            .join(SettlementAccount, SettlementAccount.retailer_id == Retailer.id)
            .where(Retailer.code.in_(wanted[start : start + 500]))
        )
        found.update({code: value for code, value in session.execute(query)})
    return found


def _accounts(session: Session, codes: Iterable[str]) -> dict[str, int]:
    return _by_retailer_code(session, codes, SettlementAccount.id)


def snapshot_key(feed: str, row: _Row) -> str:
    """The feed's own snapshot id, or (without one) the row's content: what makes a re-sent
    snapshot recognisable."""
    if row.snapshot_id:
        return f"{feed}:{row.snapshot_id}"
    moment = row.reported_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{feed}:{row.retailer_code}:{moment}:{row.balance:.2f}"[:128]


def import_balances(
    session: Session,
    rows: Iterable[Mapping[str, Any]],
    *,
    feed: str,
    clock: Clock,
    numbers: Iterable[int] | None = None,
) -> FeedReport:
    """Store the valid rows of a feed as balance snapshots; report the rest row by row.

    Idempotent: a snapshot already stored (same key) is counted as a duplicate, never stored
    twice, also when two deliveries of the same file race. ``numbers`` are the row numbers to
    report (CSV line numbers); by default rows count from 1.
    """
    check_feed_name(feed)
    now = clock.now()
    numbered = number_rows(rows, numbers)
    report = FeedReport(received=len(numbered))
    parsed: list[_Row] = []
    for number, raw in numbered:
        if not isinstance(raw, Mapping):
            report.rejected.append(RowProblem(number, "missing", "retailer_code"))
            continue
        result = _parse(number, raw, now)
        if isinstance(result, RowProblem):
            report.rejected.append(result)
        else:
            parsed.append(result)
    accounts = _accounts(session, (r.retailer_code for r in parsed))
    values: list[dict[str, Any]] = []
    for row in parsed:
        account_id = accounts.get(row.retailer_code)
        if account_id is None:
            report.rejected.append(
                RowProblem(row.number, "unknown_retailer", "retailer_code", row.retailer_code[:40])
            )
            continue
        values.append(
            {
                "account_id": account_id,
                "balance": row.balance,
                "reported_at": row.reported_at,
                "received_at": now,
                "feed": feed,
                "snapshot_key": snapshot_key(feed, row),
            }
        )
    report.rejected.sort(key=lambda p: p.row)
    report.stored = _insert_new(session, values)
    report.duplicates = len(values) - report.stored
    return report


def _insert_new(session: Session, values: list[dict[str, Any]]) -> int:
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(BalanceSnapshot)
        .on_conflict_do_nothing(index_elements=["snapshot_key"])
        .returning(BalanceSnapshot.id)
    )
    stored = 0
    for start in range(0, len(values), 500):
        stored += len(session.execute(statement, values[start : start + 500]).all())
    return stored


def import_balances_csv(session: Session, text: str, *, feed: str, clock: Clock) -> FeedReport:
    """Import a CSV file with a header row (retailer_code, balance, reported_at[, snapshot_id]);
    rejected rows are reported by their line number in the file."""
    rows, numbers = read_csv_rows(text, required=FIELDS)
    return import_balances(session, rows, feed=feed, clock=clock, numbers=numbers)


def read_csv_rows(text: str, *, required: Iterable[str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows of a CSV file with a header row, and the line number each starts on.

    Blank lines are skipped; header names are stripped. :class:`FeedError` (``invalid_body``)
    if the header lacks one of the ``required`` columns. Shared by every feed's CSV import.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or not set(required) <= {f.strip() for f in reader.fieldnames}:
        raise FeedError("invalid_body")
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for record in reader:
        if not any(field_text(v) for v in record.values()):
            continue
        rows.append({(k or "").strip(): v for k, v in record.items()})
        numbers.append(reader.line_num)
    return rows, numbers


def number_rows(rows: Iterable[Any], numbers: Iterable[int] | None) -> list[tuple[int, Any]]:
    """Each row with the number it is reported under (``numbers``, else counting from 1);
    :class:`FeedError` (``too_many_rows``) beyond :data:`MAX_ROWS`. Shared by every feed."""
    listed = list(rows)
    if len(listed) > MAX_ROWS:
        raise FeedError("too_many_rows", limit=MAX_ROWS)
    row_numbers = list(numbers) if numbers is not None else list(range(1, len(listed) + 1))
    return list(zip(row_numbers, listed, strict=True))


OTHER_BANK = "other_bank"

FeedImporter = Callable[..., FeedReport]
"""``import_balances`` or ``deductions.import_deductions``:
``(session, rows, *, feed, clock, numbers)``."""


def feed_banks(text: str) -> dict[str, str]:
    """``FEED_BANKS`` (``feed=bank`` pairs separated by ``;``) as a mapping; malformed pairs are
    skipped, so a typo leaves that feed unmapped (and refused), never open."""
    mapping: dict[str, str] = {}
    for pair in text.split(";"):
        feed, sep, bank = pair.partition("=")
        if sep and FEED_NAME.match(feed.strip()) and bank.strip():
            mapping[feed.strip()] = bank.strip()
    return mapping


def _account_banks(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The bank of each listed retailer's settlement account (retailers without one left out)."""
    return _by_retailer_code(session, codes, SettlementAccount.bank)


def import_within_bank(
    session: Session,
    payload: str | Iterable[Any],
    *,
    importer: FeedImporter,
    required: Iterable[str],
    feed: str,
    bank: str | None,
    clock: Clock,
) -> FeedReport:
    """Import ``payload`` (CSV text, or rows) with ``importer``, keeping ``feed`` to the
    settlement accounts of ``bank``: a row about another bank's account (or any row at all,
    when the feed has no bank) is rejected with ``other_bank`` and never reaches the importer.

    Rows are reported under their own numbers (CSV line numbers, else counting from 1), and
    the report counts every row received. Rows naming no known shop go through, so the
    importer reports them as it always does.
    """
    check_feed_name(feed)
    if isinstance(payload, str):
        rows, numbers = read_csv_rows(payload, required=required)
        numbered = number_rows(rows, numbers)
    else:
        numbered = number_rows(payload, None)
    codes = [
        field_text(raw.get("retailer_code")) for _, raw in numbered if isinstance(raw, Mapping)
    ]
    banks = _account_banks(session, codes)
    kept: list[tuple[int, Any]] = []
    refused: list[RowProblem] = []
    for number, raw in numbered:
        code = field_text(raw.get("retailer_code")) if isinstance(raw, Mapping) else ""
        if code in banks and (bank is None or banks[code] != bank):
            refused.append(RowProblem(number, OTHER_BANK, "retailer_code", code[:40]))
        else:
            kept.append((number, raw))
    report = importer(
        session,
        [raw for _, raw in kept],
        feed=feed,
        clock=clock,
        numbers=[number for number, _ in kept],
    )
    report.received += len(refused)
    report.rejected = sorted([*report.rejected, *refused], key=lambda p: p.row)
    return report


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(session: Session, *, feed: str, clock: Clock) -> str:
    """A new secret token for ``feed``; only its hash is stored, so show it once and keep it.

    Older tokens of the feed stay valid until revoked, so a bank can switch without a gap.
    """
    check_feed_name(feed)
    token = f"{feed}.{secrets.token_urlsafe(32)}"
    session.add(FeedToken(feed=feed, token_hash=_hash(token), created_at=clock.now()))
    session.flush()
    return token


def revoke_feed_tokens(session: Session, *, feed: str, clock: Clock) -> int:
    """Revoke every live token of ``feed``; how many."""
    statement = (
        update(FeedToken)
        .where(FeedToken.feed == feed, FeedToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def authenticate_feed(session: Session, *, feed: str, token: str, clock: Clock) -> bool:
    """True if ``token`` is a live token of ``feed`` (and note when it was last used)."""
    if not token or not FEED_NAME.match(feed):
        return False
    row = session.scalar(
        select(FeedToken).where(
            FeedToken.token_hash == _hash(token), FeedToken.revoked_at.is_(None)
        )
    )
    if row is None or not secrets.compare_digest(row.feed, feed):
        return False
    row.last_used_at = clock.now()
    return True
