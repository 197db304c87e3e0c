"""E-settlement: what the open order takes against the bank-reported balance, deposit claims,
and the bank feeds (balances, deduction results).

``status`` (settlement status, shortfalls), ``deposits`` (a retailer's "I deposited" claims),
``feeds`` (bank balance feeds and their tokens) and ``deductions`` (deduction results) are
imported as modules by the HTTP API and the tools; the names below are the rest of the face.
"""

from __future__ import annotations

from retail.settlement import deductions, feeds
from retail.settlement.deposits import ImplausibleAmount, check_amount, report_deposit
from retail.settlement.feeds import (
    AMOUNT,
    SNAPSHOT_ID,
    FeedReport,
    RowProblem,
    check_feed_name,
    field_text,
    number_rows,
    read_csv_rows,
    reported_time,
)
from retail.settlement.status import (
    SettlementStatus,
    record_deposit_claim,
    settlement_status,
    shortfalls,
    status_of,
)

__all__ = [
    "AMOUNT",
    "SNAPSHOT_ID",
    "FeedReport",
    "ImplausibleAmount",
    "RowProblem",
    "SettlementStatus",
    "check_amount",
    "check_feed_name",
    "deductions",
    "feeds",
    "field_text",
    "number_rows",
    "read_csv_rows",
    "record_deposit_claim",
    "report_deposit",
    "reported_time",
    "settlement_status",
    "shortfalls",
    "status_of",
]
