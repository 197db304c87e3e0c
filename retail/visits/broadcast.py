"""A manager's deposit-reminder broadcast ("给余额不够的户发个存款提醒"), sent once per offer.

The manager is shown the short shops and confirms with a tap; the tap names the offer. The
reminders themselves are planned by :func:`retail.reminders.remind_short_retailers` (one per
shop a day, through the outbox); this module makes the confirmation itself idempotent, so a
double tap, or a tap replayed after an outage (even past midnight, when the daily limit would
let a second set through), enqueues one set of reminders.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from retail.access import Principal
from retail.clock import Clock
from retail.models import claim_offer
from retail.reminders import ManagerReminderReport, remind_short_retailers
from retail.visits.notes import require_manager

BROADCAST_OFFER = "deposit_broadcast"
"""The kind of confirmed offer (:class:`~retail.models.ConfirmedOffer`) a broadcast is."""


@dataclass(frozen=True)
class Broadcast:
    """What a confirmed broadcast queued; ``already`` when the offer had been confirmed before
    (then nothing was queued this time and ``report`` is empty)."""

    report: ManagerReminderReport
    already: bool


def send_deposit_reminders(
    session: Session, principal: Principal, *, offer_key: str | None, clock: Clock
) -> Broadcast:
    """Queue the deposit reminders the manager confirmed, once per offer (``offer_key``: the
    offer the tap names; None for an offer that carried no key, which the outbox's one
    reminder per shop a day still limits)."""
    require_manager(principal)
    if offer_key and not claim_offer(
        session,
        user_id=principal.user_id,
        kind=BROADCAST_OFFER,
        offer_key=offer_key,
        at=clock.now(),
    ):
        return Broadcast(ManagerReminderReport(), already=True)
    return Broadcast(remind_short_retailers(session, principal, clock), already=False)
