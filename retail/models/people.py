"""Managers, retailers, Telegram users and the one-time codes that bind them."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retail.models.base import Base, UTCDateTime


class Manager(Base):
    """A customer manager (客户经理); their territory is the retailers assigned to them."""

    __tablename__ = "managers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    display_zh: Mapped[str] = mapped_column(String(64))
    display_en: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="zh")
    territory: Mapped[str] = mapped_column(String(128), default="")

    retailers: Mapped[list[Retailer]] = relationship(back_populates="manager")


class Retailer(Base):
    """A licensed shop (零售户) with its weekly order window and deduction time."""

    __tablename__ = "retailers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    owner: Mapped[str] = mapped_column(String(64), default="")
    licence_no: Mapped[str] = mapped_column(String(32), unique=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    address: Mapped[str] = mapped_column(String(256), default="")
    star_level: Mapped[int] = mapped_column(Integer)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    segment: Mapped[str] = mapped_column(String(16), default="urban")
    key_shop: Mapped[bool] = mapped_column(Boolean, default=False)
    order_weekday: Mapped[int] = mapped_column(Integer)
    window_open: Mapped[time] = mapped_column(Time)
    window_close: Mapped[time] = mapped_column(Time)
    deduction_time: Mapped[time] = mapped_column(Time)
    language: Mapped[str] = mapped_column(String(2), default="zh")

    manager: Mapped[Manager] = relationship(back_populates="retailers")


class User(Base):
    """A person who may talk to the assistant: a retailer, a manager or staff.

    The row exists before the person ever opens Telegram; binding fills in
    ``telegram_user_id``. Nobody is served until that link exists.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    retailer_id: Mapped[int | None] = mapped_column(ForeignKey("retailers.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(2), default="zh")
    language_pinned: Mapped[bool] = mapped_column(Boolean, default=False)

    retailer: Mapped[Retailer | None] = relationship()
    manager: Mapped[Manager | None] = relationship()


class BindingCode(Base):
    """A one-time code (``/start CODE``) that binds a Telegram account to a user."""

    __tablename__ = "binding_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
