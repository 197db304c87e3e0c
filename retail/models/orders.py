"""Weekly orders, their lines, and the audit log of every change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retail.models.base import Base, Money, UTCDateTime


class Order(Base):
    """One retailer's order for one weekly cycle.

    ``version`` is SQLAlchemy's optimistic-lock column: an UPDATE that finds another writer got
    there first fails with ``StaleDataError`` instead of silently overwriting the other edit.
    """

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("retailer_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    cycle: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deduct_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy declares it


class OrderLine(Base):
    """A product and a quantity in 条, with the wholesale price at the time it was set."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderAudit(Base):
    """Who changed which line of which order, when, from what to what, and from which message."""

    __tablename__ = "order_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    old_quantity: Mapped[int | None] = mapped_column(Integer)
    new_quantity: Mapped[int | None] = mapped_column(Integer)
    source_message: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OrderChangePlan(Base):
    """An order change shown to a user for confirmation, and what became of it.

    Kept in the database (not in Rasa's tracker) so a restart of Rasa, the action server or the
    bot loses nothing: the confirm button carries only ``id``. ``status`` is ``pending`` until
    the user confirms (``applied``) or cancels (``cancelled``), or a newer change replaces it
    (``superseded``); ``plan`` holds the per-line changes exactly as they were shown.
    """

    __tablename__ = "order_change_plans"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_message: Mapped[str] = mapped_column(String(64), default="")
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
