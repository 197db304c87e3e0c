"""Push reminders: the planner (what is due, within quiet hours, caps and opt-out), what a
reminder's buttons mean, delivery trouble, staff figures, and each retailer's reminder
preferences.
"""

from __future__ import annotations

from retail.reminders.buttons import ButtonAction
from retail.reminders.delivery import record_blocked, record_failure
from retail.reminders.figures import DayFigures, daily_figures
from retail.reminders.kinds import DEDUCT_FAILED_STATUS
from retail.reminders.planner import plan_reminders
from retail.reminders.policy import QuietHours, ReminderPolicy, place
from retail.reminders.preferences import (
    PreferenceChange,
    PreferenceView,
    PreferenceWish,
    apply_preference_change,
    current_preferences,
    default_preferences,
    plan_preference_change,
)
from retail.reminders.rules import PlanReport
from retail.reminders.territory import ManagerReminderReport, remind_short_retailers

__all__ = [
    "DEDUCT_FAILED_STATUS",
    "ButtonAction",
    "DayFigures",
    "ManagerReminderReport",
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
