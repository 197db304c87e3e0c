"""Order changes waiting for the user's confirmation, kept in the database.

Nothing is written to an order before the user confirms: :func:`propose_change` stores the
:class:`~retail.orders.ChangePlan` the user was shown under a short id (the adapter's confirm and
cancel buttons carry only that id), :func:`confirm_change` applies it exactly once, and
:func:`cancel_change` drops it. Because the plans live in the database, not in Rasa's tracker
or the bot's memory, a restart of any process loses none of them.

A plan can be confirmed while it is ``pending``, younger than :data:`PLAN_TTL`, before its
order closes, and while it is the user's newest plan (a newer change supersedes it). Any
other tap gets :class:`PlanUnavailable` with the reason, and nothing changes.

Whether a typed reply is a confirmation at all is for the caller to decide (lang.confirmations)
before it calls :func:`confirm_change`; this module speaks of plans and their ids, not of words or
payloads.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from retail.access import Principal, own_shop
from retail.clock import Clock
from retail.errors import NotYourShop, PlanUnavailable, RetailError
from retail.models import OrderChangePlan
from retail.orders.weekly import ChangePlan, ChangeResult, apply_order_change

PLAN_TTL = timedelta(minutes=30)
"""How long a confirmation stays valid: long enough to check the figures, short enough that a
forgotten button from yesterday cannot change today's order."""


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
    """The plan to decide on: by id, or the user's newest pending one; checked for access."""
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
    """The plan a confirmation would apply (for showing it again); raises like confirming."""
    row = _pending(session, principal, plan_id, clock)
    return ChangePlan.from_json(row.plan, plan_id=row.id)


def confirm_change(
    session: Session,
    principal: Principal,
    plan_id: str | None,
    *,
    source_message: str,
    clock: Clock,
) -> ChangeResult:
    """Apply the confirmed plan (by id, or the user's newest) exactly once.

    The plan is claimed (``pending`` -> ``applied``) in the same transaction that writes the
    lines, by a conditional UPDATE: a second tap, even at the same moment, finds it no longer
    pending and gets :class:`PlanUnavailable` ("applied"). If the order cannot be changed any
    more the whole transaction rolls back and the plan stays as it was.
    """
    row = _pending(session, principal, plan_id, clock)
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
