"""Visit notes of customer managers, what they found, and the follow-ups they promised."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retail.models.base import Base, UTCDateTime


class VisitNote(Base):
    """One visit: who, which shop, when, the raw text as said, and the structured record."""

    __tablename__ = "visit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raw_text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8), default="text")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    price_tags: Mapped[int] = mapped_column(Integer, default=0)
    display_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    deposit_reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("visit_notes.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The draft this note was saved from: unique, so saving one draft twice (a double tap, a
    # replayed 保存, two saves at once) can only ever write one note.
    draft_id: Mapped[int | None] = mapped_column(Integer, unique=True)

    findings: Mapped[list[VisitFinding]] = relationship(cascade="all, delete-orphan")
    follow_ups: Mapped[list[FollowUp]] = relationship(cascade="all, delete-orphan")


class VisitFinding(Base):
    """Something seen on a visit: a stock count, a stock-out, a suspected fake, a complaint..."""

    __tablename__ = "visit_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("visit_notes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    cartons: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(512), default="")


class FollowUp(Base):
    """A promise made on a visit, due on a date, done or not."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("visit_notes.id"), index=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(512))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VisitDraft(Base):
    """A note read from a manager's message and shown back, waiting for 保存 or 取消.

    Drafts are kept apart from :class:`VisitNote` so an unconfirmed message never touches the
    visit record (only a tap on 保存 does), and in the database rather than Rasa's tracker so a
    restart loses none: the buttons carry only ``id``. ``record`` holds what was read, exactly as
    it was shown; ``amends_id`` names the saved note a correction replaces. ``status`` is
    ``pending`` until saved (``note_id`` then names the note), cancelled, or replaced by a newer
    correction (``superseded``).
    """

    __tablename__ = "visit_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"))
    raw_text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8), default="text")
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("visit_notes.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("visit_notes.id"))
