"""The planner: which pushes are due now, for whom; run every minute by the bot.

:func:`plan_reminders` reads the open orders, their windows and deduction times, the balances
the bank reported and each retailer's :class:`~retail.models.ReminderPreference`, and writes the
reminders that are due now into the outbox (:mod:`retail.outbox`); senders in ``bot/`` deliver
them. Each reminder has a dedupe key ``retailer:kind:cycle:slot``, so running the planner twice,
or on two machines, stores it once.

What is due, by priority:

1. **Failed deduction** (``deduct_failed``, :mod:`~retail.reminders.deduct_failed`): always
   sent, even in quiet hours, paused or opted out, and escalated to the retailer's manager.
2. **Last call** (``funding_last``): ``last_call`` before the order cutoff while the balance is
   short. A place under the daily cap is kept for it.
3. **First funding reminder** (``funding_first``): ``first_lead`` before the cutoff (or at the
   retailer's chosen time), never before the window opens, while short.
4. **Order day opening** (``order_open``): when the window opens (or at the chosen time); if
   the shop is short by then it says so and counts as the first funding reminder.
5. **Manager's reminder** (``manager_reminder``, :mod:`~retail.reminders.territory`): when a
   manager asks, one a day.

Reminders 2-4 are :mod:`~retail.reminders.funding`, timed by :mod:`~retail.reminders.window`.
Every one but the first honours opt-out, pause, quiet hours (default 21:00-08:00 Asia/Shanghai;
a reminder that would fall inside them goes when they end, or, if that is too late, shortly
before they begin), the chosen time and weekdays (the last call, being urgent, keeps to its
time) and the daily cap (:mod:`~retail.reminders.rules`). Funding reminders stop once the bank
reports enough money; pending ones are cancelled. A retailer who says they deposited enough is
spared the first reminder and gets a gentler last call. Managers also get a daily digest of
visit follow-ups due (``manager_follow_ups``, :mod:`~retail.reminders.digests`) and a notice
when a retailer cannot be reached (``manager_unreachable``, :mod:`~retail.reminders.delivery`).
The clock is always passed in.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from retail import outbox
from retail.clock import Clock
from retail.outbox import NewMessage
from retail.reminders.deduct_failed import failed_deductions
from retail.reminders.digests import follow_up_digests
from retail.reminders.funding import funding_reminders
from retail.reminders.kinds import CAPPED_KINDS, FUNDING_KINDS
from retail.reminders.policy import ReminderPolicy
from retail.reminders.rules import PlanReport
from retail.reminders.shops import open_orders


def due_reminders(
    session: Session, *, clock: Clock, policy: ReminderPolicy, report: PlanReport | None = None
) -> tuple[list[NewMessage], set[int], set[int]]:
    """Every reminder due now and not yet in the outbox, with the shops now funded and the
    shops that asked for silence (their pending reminders are to be cancelled).

    Reads only; :func:`plan_reminders` writes the result.
    """
    now = clock.now()
    report = report if report is not None else PlanReport()
    due, funded, silenced = funding_reminders(
        session, open_orders(session, now, None), now=now, policy=policy, report=report
    )
    due.extend(failed_deductions(session, now=now, policy=policy, report=report))
    due.extend(follow_up_digests(session, now=now, policy=policy))
    already = outbox.existing_keys(session, [m.dedupe_key for m in due])
    return [m for m in due if m.dedupe_key not in already], funded, silenced


def plan_reminders(session: Session, *, clock: Clock, policy: ReminderPolicy) -> PlanReport:
    """Queue every reminder due now; cancel pending ones that stopped being right; expire
    ones whose moment has passed. Idempotent: run it as often as you like."""
    report = PlanReport()
    due, funded, silenced = due_reminders(session, clock=clock, policy=policy, report=report)
    report.cancelled += outbox.cancel_pending(
        session, retailer_ids=sorted(funded), kinds=FUNDING_KINDS, clock=clock
    )
    report.cancelled += outbox.cancel_pending(
        session, retailer_ids=sorted(silenced), kinds=CAPPED_KINDS, clock=clock
    )
    report.expired = outbox.expire_stale(session, lease=timedelta(hours=1), clock=clock)
    report.queued = outbox.enqueue_many(session, due, clock=clock)
    return report
