"""Push reminders: the planner (what is due, within quiet hours, caps and opt-out) and
each retailer's reminder preferences.
"""

from __future__ import annotations

from retail.reminders.planner import (
    DEDUCT_FAILED_STATUS,
    PlanReport,
    QuietHours,
    ReminderPolicy,
    daily_figures,
    place,
    plan_reminders,
    record_blocked,
    record_failure,
    remind_short_retailers,
)
from retail.reminders.preferences import (
    PreferenceChange,
    PreferenceView,
    PreferenceWish,
    apply_preference_change,
    current_preferences,
    default_preferences,
    plan_preference_change,
)

__all__ = [
    "DEDUCT_FAILED_STATUS",
    "PlanReport",
    "PreferenceChange",
    "PreferenceView",
    "PreferenceWish",
    "QuietHours",
    "ReminderPolicy",
    "apply_preference_change",
    "current_preferences",
    "daily_figures",
    "default_preferences",
    "place",
    "plan_preference_change",
    "plan_reminders",
    "record_blocked",
    "record_failure",
    "remind_short_retailers",
]
