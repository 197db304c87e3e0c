"""Weekly orders: showing them, planning line changes against window, quota, status and
stock, and applying a confirmed plan exactly once.
"""

from __future__ import annotations

from retail.orders.confirmations import (
    PLAN_TTL,
    OrderMoved,
    PlanShownLater,
    cancel_change,
    confirm_change,
    newest_pending,
    pending_plan,
    propose_change,
    refresh_plan,
)
from retail.orders.weekly import (
    ChangePlan,
    ChangeResult,
    LineChange,
    LineRejection,
    LineRequest,
    OrderView,
    apply_order_change,
    current_order,
    is_open,
    open_order,
    order_total,
    ordered_product_ids,
    plan_order_change,
    repeat_last_order,
    requests_of,
    show_order,
)

__all__ = [
    "PLAN_TTL",
    "ChangePlan",
    "ChangeResult",
    "LineChange",
    "LineRejection",
    "LineRequest",
    "OrderMoved",
    "OrderView",
    "PlanShownLater",
    "apply_order_change",
    "cancel_change",
    "confirm_change",
    "current_order",
    "is_open",
    "newest_pending",
    "open_order",
    "order_total",
    "ordered_product_ids",
    "pending_plan",
    "plan_order_change",
    "propose_change",
    "refresh_plan",
    "repeat_last_order",
    "requests_of",
    "show_order",
]
