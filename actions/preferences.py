"""Funding-reminder preferences: read the wish, offer it for one tap, save, repeat what was saved.

The wish comes from the NLU's ``time`` entities where it found them and from
``lang.reminder_prefs`` for the rest of the words; ``retail.reminders.preferences`` settles it
for the retailer. ``/prefs_confirm{"ref": "<offer ref>:<encoded change>"}`` carries exactly the
change the offer showed, so a tap saves that and nothing else, and names the offer (the start of
the message it answered), so the same button tapped twice saves once. A message with no
recognisable wish gets the current settings and a few one-tap choices.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from actions.base import Button, Reply, RetailAction, Turn
from actions.conversation import message_ref, payload, user_text
from actions.support import cancel_button
from lang.reminder_prefs import PreferenceWords, mention_from_entity, read_preference_words
from lang.times import TimeMention
from retail.clock import SHANGHAI, local
from retail.i18n import format_datetime, weekday_name
from retail.reminders import (
    PreferenceChange,
    PreferenceView,
    PreferenceWish,
    current_preferences,
    plan_preference_change,
)
from retail.reminders.preferences import confirm_preference_change

OFFER_REF_LENGTH = 8
"""How much of the offering message's id a button keeps: enough to tell one retailer's offers
apart, short enough that the payload fits Telegram's 64 bytes of callback data."""


def confirm_ref(turn: Turn, change: PreferenceChange) -> str:
    """The ``ref`` of a confirm button: the offer (the message it answers) and the change."""
    offer = message_ref(turn.tracker)[:OFFER_REF_LENGTH]
    return f"{offer}:{change.encode()}" if offer else change.encode()


def read_confirm_ref(ref: str) -> tuple[str | None, PreferenceChange]:
    """The offer and the change a confirm button carries; ValueError for a forged one. A
    button from before offers were named carries the change alone."""
    offer, _, encoded = ref.rpartition(":")
    return offer or None, PreferenceChange.decode(encoded)


def wish_from_words(words: PreferenceWords) -> PreferenceWish:
    """The retail wish for what the words said (the same fields, in retail's own type)."""
    change = PreferenceChange(
        stop=words.stop,
        resume=words.resume,
        pause_until=words.pause_until,
        preferred_time=words.preferred_time,
        weekdays=words.weekdays,
        daily_cap=words.daily_cap,
        quiet_start=words.quiet_start,
        quiet_end=words.quiet_end,
    )
    return PreferenceWish(
        change=change, pause=words.pause, order_day=words.order_day, fewer=words.fewer
    )


def _time_mentions(turn: Turn, text: str) -> list[TimeMention]:
    """The time expressions the NLU resolved in ``text`` (unresolved ones are left out)."""
    entities: list[dict[str, Any]] = turn.tracker.latest_message.get("entities") or []
    mentions = (mention_from_entity(e, text) for e in entities if e.get("entity") == "time")
    return [mention for mention in mentions if mention is not None]


def _days(turn: Turn, weekdays: tuple[int, ...]) -> str:
    separator = ", " if turn.language == "en" else "、"
    return separator.join(weekday_name(day, turn.language) for day in weekdays)


def _clock(moment: time) -> str:
    return f"{moment:%H:%M}"


def describe_change(turn: Turn, change: PreferenceChange) -> str:
    """One line per thing the change will set, in the user's language."""
    lines: list[str] = []
    if change.stop:
        lines.append(turn.t("prefs.change.stop"))
    if change.resume:
        lines.append(turn.t("prefs.change.resume"))
    if change.pause_until is not None:
        resumes = datetime.combine(change.pause_until, time(0), tzinfo=SHANGHAI)
        until = format_datetime(resumes, turn.language)
        lines.append(turn.t("prefs.change.pause", until=until))
    if change.weekdays is not None:
        if change.weekdays:
            lines.append(turn.t("prefs.change.days", days=_days(turn, change.weekdays)))
        else:
            lines.append(turn.t("prefs.change.every_day"))
    if change.preferred_time is not None:
        lines.append(turn.t("prefs.change.time", time=_clock(change.preferred_time)))
    if change.daily_cap is not None:
        lines.append(turn.t("prefs.change.cap", cap=change.daily_cap))
    if change.quiet_start is not None:
        lines.append(turn.t("prefs.change.quiet_start", time=_clock(change.quiet_start)))
    if change.quiet_end is not None:
        lines.append(turn.t("prefs.change.quiet_end", time=_clock(change.quiet_end)))
    return "\n".join(f"• {line}" for line in lines)


def describe_preferences(turn: Turn, view: PreferenceView) -> str:
    """The whole of a retailer's reminder settings, as saved."""
    now = turn.clock.now()
    if view.opted_out:
        state = turn.t("prefs.state.off")
    elif view.paused_until is not None and view.paused_at(now):
        state = turn.t(
            "prefs.state.paused", until=format_datetime(view.paused_until, turn.language)
        )
    else:
        state = turn.t("prefs.state.on")
    days = (
        turn.t("prefs.days_some", days=_days(turn, view.weekdays))
        if view.weekdays
        else turn.t("prefs.days_any")
    )
    when = (
        turn.t("prefs.time_set", time=_clock(view.preferred_time))
        if view.preferred_time is not None
        else turn.t("prefs.time_default")
    )
    return turn.t(
        "prefs.summary",
        state=state,
        days=days,
        time=when,
        cap=view.daily_cap,
        quiet_start=_clock(view.quiet_start),
        quiet_end=_clock(view.quiet_end),
    )


def _choices(turn: Turn, view: PreferenceView) -> list[Button]:
    """One-tap choices for a retailer who did not say what they want (a tap saves it)."""
    today = local(turn.clock.now()).date()
    switch = (
        ("prefs.choice.resume", PreferenceChange(resume=True))
        if view.opted_out
        else ("prefs.choice.stop", PreferenceChange(stop=True))
    )
    options = [
        ("prefs.choice.morning", PreferenceChange(preferred_time=time(9, 0))),
        ("prefs.choice.afternoon", PreferenceChange(preferred_time=time(15, 0))),
        ("prefs.choice.order_day", PreferenceChange(weekdays=(view.order_weekday,), daily_cap=1)),
        ("prefs.choice.pause_week", PreferenceChange(pause_until=today + timedelta(days=7))),
        switch,
    ]
    day = weekday_name(view.order_weekday, turn.language)
    return [
        Button(turn.t(key, day=day), payload("prefs_confirm", confirm_ref(turn, change)))
        for key, change in options
    ]


class ActionReminderPrefs(RetailAction):
    """Read a reminder wish and offer it for confirmation (nothing is saved yet)."""

    action_name = "action_reminder_prefs"

    def respond(self, turn: Turn) -> Reply:
        view = current_preferences(turn.session, turn.principal)
        # The entities' offsets count from the message as sent, so it is read unstripped.
        text = turn.text if user_text(turn) else ""
        now = turn.clock.now()
        words = read_preference_words(text, now=now, times=_time_mentions(turn, text))
        plan = plan_preference_change(view, wish_from_words(words), today=local(now).date())
        if plan.problem is not None:
            return Reply(texts=[turn.t(f"prefs.problem.{plan.problem}", **plan.problem_params)])
        if plan.change.is_empty:
            return Reply(
                texts=[
                    turn.t("prefs.current"),
                    describe_preferences(turn, view),
                    turn.t("prefs.ask"),
                ],
                buttons=_choices(turn, view),
            )
        confirm = Button(
            turn.t("prefs.confirm_button"), payload("prefs_confirm", confirm_ref(turn, plan.change))
        )
        return Reply(
            texts=[turn.t("prefs.offer", changes=describe_change(turn, plan.change))],
            buttons=[confirm, cancel_button(turn)],
        )


class ActionPrefsConfirm(RetailAction):
    """Save the change the tapped button carries (once per offer) and repeat the settings."""

    action_name = "action_prefs_confirm"

    def respond(self, turn: Turn) -> Reply:
        try:
            offer, change = read_confirm_ref(turn.entity("ref") or "")
        except ValueError:
            return Reply(texts=[turn.t("button.expired")])
        if change.is_empty:
            return Reply(texts=[turn.t("button.expired")])
        saved = confirm_preference_change(
            turn.session, turn.principal, change, offer_key=offer, clock=turn.clock
        )
        title = "prefs.already_saved" if saved.already else "prefs.saved"
        return Reply(texts=[turn.t(title), describe_preferences(turn, saved.view)])
