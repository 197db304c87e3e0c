"""The vocabulary of reminders: their kinds, priorities and dedupe keys.

Every module of the package speaks it; it imports nothing of the package, so it sits at the
bottom and no module needs another just for a name.
"""

from __future__ import annotations

from retail import outbox

FUNDING_FIRST = "funding_first"
FUNDING_LAST = "funding_last"
ORDER_OPEN = "order_open"
ORDER_OPEN_FUNDING = "order_open_funding"
DEDUCT_FAILED = "deduct_failed"
MANUAL = "manager_reminder"
MANAGER_DEDUCT_FAILED = "manager_deduct_failed"
MANAGER_UNREACHABLE = "manager_unreachable"
MANAGER_FOLLOW_UPS = "manager_follow_ups"

CAPPED_KINDS = frozenset({FUNDING_FIRST, FUNDING_LAST, ORDER_OPEN, ORDER_OPEN_FUNDING, MANUAL})
"""Kinds that count against a retailer's daily cap (a failed deduction never does)."""
FUNDING_KINDS = frozenset({FUNDING_FIRST, FUNDING_LAST, ORDER_OPEN_FUNDING, MANUAL})
"""Kinds about a shortfall: cancelled while pending once the shop is funded."""
RETAILER_KINDS = CAPPED_KINDS | {DEDUCT_FAILED}
"""Kinds sent to retailers; when one cannot be delivered, the manager is told."""
PRIORITY = {
    DEDUCT_FAILED: 0,
    MANAGER_DEDUCT_FAILED: 0,
    FUNDING_LAST: 1,
    FUNDING_FIRST: 2,
    MANAGER_UNREACHABLE: 2,
    ORDER_OPEN_FUNDING: 2,
    ORDER_OPEN: 3,
    MANUAL: 3,
    MANAGER_FOLLOW_UPS: 4,
}
UNSENT = frozenset({outbox.CANCELLED, outbox.EXPIRED})
"""Outbox statuses of reminders that never went out."""
DEDUCT_FAILED_STATUS = "deduct_failed"
"""``Order.status`` once the company reports that the deduction failed (see
retail.settlement.deductions)."""


def dedupe_key(owner: str, kind: str, cycle: str, slot: str) -> str:
    """The outbox key of a reminder: who it is for, what, which order cycle, which slot."""
    return f"{owner}:{kind}:{cycle}:{slot}"
