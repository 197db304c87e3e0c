"""Reminder preferences and the outbox every push message passes through."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from retail.models.base import Base, UTCDateTime


class ReminderPreference(Base):
    """When and whether a retailer wants funding reminders (quiet hours, cap, opt-out)."""

    __tablename__ = "reminder_preferences"

    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), primary_key=True)
    preferred_time: Mapped[time | None] = mapped_column(Time)
    preferred_weekdays: Mapped[list[Any]] = mapped_column(JSON, default=list)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_cap: Mapped[int] = mapped_column(Integer, default=2)
    quiet_start: Mapped[time] = mapped_column(Time, default=time(21, 0))
    quiet_end: Mapped[time] = mapped_column(Time, default=time(8, 0))


class OutboxMessage(Base):
    """A push message waiting to be sent, sent, or given up on.

    The row is written before any send; ``dedupe_key`` (retailer, kind, cycle, slot) makes the
    planner idempotent, and the status makes a crashed sender resume without re-sending.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    retailer_id: Mapped[int | None] = mapped_column(ForeignKey("retailers.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str] = mapped_column(String(256), default="")
    # Claiming (retail/outbox.py): who holds the row, and until when it is worth sending.
    cycle: Mapped[str] = mapped_column(String(16), default="", server_default="")
    claimed_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    priority: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Delivery figures: 429s met, and sends interrupted by a crash (possibly delivered twice).
    throttled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    interrupted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
