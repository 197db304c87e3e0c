"""Order changes waiting for the user's confirmation, kept in the database.

Nothing is written to an order before the user confirms: :func:`propose_change` stores the
:class:`~retail.orders.ChangePlan` the user was shown under a short id (the adapter's confirm and
cancel buttons carry only that id), :func:`confirm_change` applies it exactly once, and
:func:`cancel_change` drops it. Because the plans live in the database, not in Rasa's tracker
or the bot's memory, a restart of any process loses none of them.

A plan can be confirmed while it is ``pending``, younger than :data:`PLAN_TTL`, before its
order closes, and while it is the user's newest plan (a newer change supersedes it). Any
other tap gets :class:`PlanUnavailable` with the reason, and nothing changes.

A confirmation is bound to what the user saw: it always names a plan (a tap carries the id, a
typed yes the id of the plan last offered in that conversation; never "the newest plan"), a
typed yes counts only for a plan shown before the message was written (:class:`PlanShownLater`
otherwise: a yes typed during an outage and replayed later must not confirm a plan offered
meanwhile), and only while the order is at the version the plan was made from
(:class:`OrderMoved` otherwise: a manager's edit or another confirmed change came first, and
:func:`refresh_plan` computes the same requested changes against the order as it is now).

Whether a typed reply is a confirmation at all is for the caller to decide (lang.confirmations)
before it calls :func:`confirm_change`; this module speaks of plans and their ids, not of words or
payloads.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from retail.access import Principal, own_shop
from retail.clock import Clock
from retail.errors import NotYourShop, PlanUnavailable, RetailError
from retail.models import Order, OrderChangePlan
from retail.orders.weekly import (
    ChangePlan,
    ChangeResult,
    apply_order_change,
    plan_order_change,
    requests_of,
)

PLAN_TTL = timedelta(minutes=30)
"""How long a confirmation stays valid: long enough to check the figures, short enough that a
forgotten button from yesterday cannot change today's order."""


class PlanShownLater(PlanUnavailable):
    """A typed confirmation written before this plan was shown: it was meant for something
    else (an older plan, or nothing), so it confirms nothing. The plan stays pending."""

    def __init__(self) -> None:
        super().__init__(reason="shown_later")


class OrderMoved(PlanUnavailable):
    """The order changed since the plan was made (a manager's edit, another confirmed change):
    the figures the user confirmed are no longer the order's. Nothing was written."""

    def __init__(self) -> None:
        super().__init__(reason="order_changed")


def _whole_seconds(moment: datetime) -> datetime:
    """``moment`` cut to the second: Telegram dates a message in whole seconds, so a plan made
    at 10:00:00.4 counts as shown before a message dated 10:00:00."""
    return moment.replace(microsecond=0)


def propose_change(
    session: Session, principal: Principal, plan: ChangePlan, *, clock: Clock
) -> str:
    """Keep ``plan`` for confirmation and return its id; the user's older pending plans are
    superseded (only the newest confirmation counts)."""
    retailer = own_shop(session, principal)
    if plan.retailer_id != retailer.id:
        raise NotYourShop()
    if not plan.changes:
        raise ValueError("a plan without accepted changes has nothing to confirm")
    now = clock.now()
    session.execute(
        update(OrderChangePlan)
        .where(OrderChangePlan.user_id == principal.user_id, OrderChangePlan.status == "pending")
        .values(status="superseded", decided_at=now)
    )
    plan_id = secrets.token_urlsafe(6)
    session.add(
        OrderChangePlan(
            id=plan_id,
            order_id=plan.order_id,
            retailer_id=plan.retailer_id,
            user_id=principal.user_id,
            status="pending",
            created_at=now,
            expires_at=min(now + PLAN_TTL, plan.closes_at),
            request_message=plan.request_message[:64],
            plan=plan.to_json(),
        )
    )
    session.flush()
    return plan_id


def _pending(
    session: Session, principal: Principal, plan_id: str | None, clock: Clock
) -> OrderChangePlan:
    """The plan to decide on or show: by id, or the user's newest; checked for access."""
    retailer = own_shop(session, principal)
    if plan_id:
        row = session.get(OrderChangePlan, plan_id[:16])
    else:
        newest = select(OrderChangePlan).where(OrderChangePlan.user_id == principal.user_id)
        newest = newest.order_by(OrderChangePlan.created_at.desc()).limit(1)
        row = session.scalar(newest.where(OrderChangePlan.status == "pending")) or session.scalar(
            newest
        )
    if row is None:
        raise PlanUnavailable(reason="unknown")
    if row.retailer_id != retailer.id:
        raise NotYourShop()
    if row.status != "pending":
        raise PlanUnavailable(reason=row.status)
    if row.expires_at <= clock.now():
        raise PlanUnavailable(reason="expired")
    return row


def pending_plan(
    session: Session, principal: Principal, plan_id: str | None, *, clock: Clock
) -> ChangePlan:
    """The plan a confirmation would apply (for showing it again); raises like confirming.
    Without an id, the user's newest plan: only for showing, never for confirming."""
    row = _pending(session, principal, plan_id, clock)
    return ChangePlan.from_json(row.plan, plan_id=row.id)


def newest_pending(session: Session, principal: Principal, *, clock: Clock) -> ChangePlan | None:
    """The user's plan still waiting for a decision, if any (to offer it again when a yes
    arrives that names no plan)."""
    try:
        return pending_plan(session, principal, None, clock=clock)
    except PlanUnavailable:
        return None


def refresh_plan(
    session: Session, principal: Principal, plan_id: str, *, clock: Clock
) -> ChangePlan:
    """The same requested changes as plan ``plan_id``, planned against the order as it is now
    (for offering again after :class:`OrderMoved`). Nothing is written; proposing the result
    supersedes the old plan. Raises like :func:`pending_plan` and :func:`plan_order_change`."""
    old = pending_plan(session, principal, plan_id, clock=clock)
    return plan_order_change(
        session,
        principal,
        requests_of(old),
        clock=clock,
        request_message=old.request_message,
        skip_unchanged=True,
    )


def confirm_change(
    session: Session,
    principal: Principal,
    plan_id: str,
    *,
    source_message: str,
    clock: Clock,
    written_at: datetime | None = None,
) -> ChangeResult:
    """Apply the confirmed plan ``plan_id`` exactly once.

    ``written_at`` is when a typed confirmation was written (None for a tap, which is bound by
    the id it carries): a plan made after it raises :class:`PlanShownLater`. A plan whose order
    moved on since it was made raises :class:`OrderMoved`.

    The plan is claimed (``pending`` -> ``applied``) in the same transaction that writes the
    lines, by a conditional UPDATE: a second tap, even at the same moment, finds it no longer
    pending and gets :class:`PlanUnavailable` ("applied"). If the order cannot be changed any
    more the whole transaction rolls back and the plan stays as it was.
    """
    if not plan_id:
        raise PlanUnavailable(reason="unknown")
    row = _pending(session, principal, plan_id, clock)
    if written_at is not None and _whole_seconds(row.created_at) > written_at:
        raise PlanShownLater()
    plan = ChangePlan.from_json(row.plan, plan_id=row.id)
    claimed_id = row.id

    def claim(attempt_session: Session) -> None:
        claimed = attempt_session.execute(
            update(OrderChangePlan)
            .where(OrderChangePlan.id == claimed_id, OrderChangePlan.status == "pending")
            .values(status="applied", decided_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            status = attempt_session.scalar(
                select(OrderChangePlan.status).where(OrderChangePlan.id == claimed_id)
            )
            raise PlanUnavailable(reason=status or "unknown")
        # Read in each attempt: a writer that committed since the plan was made (or since the
        # last attempt lost the optimistic lock to it) moved the version on.
        version = attempt_session.scalar(
            select(Order.version)
            .where(Order.id == plan.order_id)
            .execution_options(populate_existing=True)
        )
        if version != plan.order_version:
            raise OrderMoved()

    try:
        return apply_order_change(
            session, principal, plan, source_message, clock=clock, on_attempt=claim
        )
    except RetailError:
        # A refused apply (window closed, plan taken, order busy) must not leave the claim
        # behind: the plan stays as it was and the caller's commit writes nothing.
        session.rollback()
        raise


def cancel_change(
    session: Session, principal: Principal, plan_id: str | None, *, clock: Clock
) -> ChangePlan:
    """Drop a pending plan (by id, or the user's newest); the order is not touched."""
    row = _pending(session, principal, plan_id, clock)
    row.status = "cancelled"
    row.decided_at = clock.now()
    session.flush()
    return ChangePlan.from_json(row.plan, plan_id=row.id)
