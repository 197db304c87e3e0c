"""Offers a user confirmed, each recorded once: the idempotency key of a confirm step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from retail.models.base import Base, UTCDateTime


class ConfirmedOffer(Base):
    """One confirmation of one offer (a reminder-preference change, a manager's broadcast...).

    Confirm steps that write no row of their own, or write several, record here the key of the
    offer that was confirmed (the offer's message reference, maybe with what it offered). The
    unique key per user and kind makes the second tap, a replayed tap or a concurrent one find
    the first: it writes nothing and can say so.
    """

    __tablename__ = "confirmed_offers"
    __table_args__ = (UniqueConstraint("user_id", "kind", "offer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    offer_key: Mapped[str] = mapped_column(String(128))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def claim_offer(session: Session, *, user_id: int, kind: str, offer_key: str, at: datetime) -> bool:
    """Record that ``user_id`` confirmed offer ``offer_key`` of ``kind``; False if they already
    had (then nothing is written). The record joins the caller's transaction, so an offer
    whose effect rolls back is not marked as confirmed; a concurrent claim of the same key
    loses on the unique constraint instead of writing twice."""
    key = offer_key[:128]
    found = select(ConfirmedOffer.id).where(
        ConfirmedOffer.user_id == user_id,
        ConfirmedOffer.kind == kind,
        ConfirmedOffer.offer_key == key,
    )
    if session.scalar(found) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ConfirmedOffer(user_id=user_id, kind=kind, offer_key=key, confirmed_at=at))
    except IntegrityError:
        return False
    return True
