"""What a visit note records, how it is stored (a draft's JSON, a note's rows) and shown.

A note arrives as :class:`NoteFacts`: typed values the adapter read from the manager's message
(shop candidates, the time it states, product ids with counts, follow-ups) and the raw text,
kept for the record and never read again here. A :class:`Record` is the plain content of a
note: shop, time, price tags, tags, stock counts, stock-outs, remarks and follow-ups. A draft
keeps it as JSON exactly as it was shown; saving writes it as a :class:`VisitNote` with its
findings and follow-ups. Both are shown as a :class:`VisitView`, so the dialogue renders drafts
and saved notes alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from retail.catalog import load_catalog
from retail.clock import local
from retail.models import FollowUp, Retailer, VisitFinding, VisitNote
from retail.models.visits import VisitDraft

SAVED = "saved"
DRAFT = "draft"

PRICE_TAGS = "price_tags"
DISPLAY = "display"
DEPOSIT = "deposit_reminder"
STOCK_OUT = "stock_out"
COUNTERFEIT = "counterfeit"
PRICE_PROBLEM = "price_problem"
COMPLAINT = "complaint"
ADVICE = "advice"
FOLLOW_UP = "follow_up"
STOCK = "stock"
TAGS = (PRICE_TAGS, DISPLAY, DEPOSIT, STOCK_OUT, COUNTERFEIT, PRICE_PROBLEM, COMPLAINT, ADVICE)
"""Every tag a note can carry, in the order summaries show them."""
DEFAULT_FOLLOW_UP_DAYS = 7
"""A follow-up without a stated date falls due a week after the note."""


@dataclass(frozen=True)
class StatedTime:
    """The visit time a note states; ``day_only`` when it names a day but no time of day."""

    at: datetime
    day_only: bool


@dataclass(frozen=True)
class NoteFacts:
    """A manager's note (or correction) as typed values, with its raw text for the record.

    ``shops`` are the retailer ids the message names, best first (several: ambiguous);
    ``stock`` holds (product id, 条) pairs; ``remarks`` (kind, clause, product id or None);
    ``follow_ups`` (due day or None when the note gives none, what was promised).
    ``bare_count`` is a count that names no product, as a correction says it (库存是十二条).
    """

    raw_text: str
    sent_at: datetime
    shops: tuple[int, ...] = ()
    visited: StatedTime | None = None
    price_tags: int | None = None
    tags: frozenset[str] = frozenset()
    stock: tuple[tuple[int, int], ...] = ()
    stock_outs: tuple[int, ...] = ()
    remarks: tuple[tuple[str, str, int | None], ...] = ()
    follow_ups: tuple[tuple[date | None, str], ...] = ()
    bare_count: int | None = None


def visit_moment(stated: StatedTime | None, sent_at: datetime) -> datetime:
    """When a visit took place: the stated time, or the message time when none is stated.

    A stated day without a time of day is taken at the message's clock time if that day is
    the message's day, else at noon, so the date is right and the order of visits plausible.
    A visit cannot be after the message: a later time is clamped to the message time.
    """
    if stated is None:
        return sent_at
    current = local(sent_at)
    at = local(stated.at)
    if stated.day_only and at.date() == current.date():
        at = current.replace(second=0, microsecond=0)
    elif stated.day_only:
        at = datetime.combine(at.date(), time(12), tzinfo=current.tzinfo)
    if at > current:
        at = current.replace(second=0, microsecond=0)
    return at


def due_on(due: date | None, sent_at: datetime) -> date:
    """The day a follow-up falls due: the stated one, else a week after the message."""
    return due or local(sent_at).date() + timedelta(days=DEFAULT_FOLLOW_UP_DAYS)


@dataclass(frozen=True)
class StockLine:
    """A counted or missing product as a summary shows it."""

    spec: str
    name_en: str
    cartons: int | None


@dataclass(frozen=True)
class VisitView:
    """A visit note (or a draft of one: ``status`` is ``draft``) as the dialogue shows it.

    For a draft ``id`` is the draft's id, which its buttons carry; for a note, the note's.
    """

    id: int
    status: str
    retailer_id: int
    retailer_code: str
    retailer_name: str
    retailer_name_en: str
    visited_at: datetime
    recorded_at: datetime
    time_stated: bool
    raw_text: str
    price_tags: int
    tags: tuple[str, ...]
    stock: tuple[StockLine, ...]
    stock_outs: tuple[StockLine, ...]
    remarks: tuple[tuple[str, str], ...]
    follow_ups: tuple[tuple[date, str], ...]
    confirmed_at: datetime | None
    amends_id: int | None
    amended_raw_text: str | None = None


@dataclass
class Record:
    """What a note records, as plain values."""

    retailer_id: int
    visited_at: datetime
    time_stated: bool
    price_tags: int | None
    tags: set[str]
    stock: list[tuple[int, int]]
    stock_outs: list[int]
    remarks: list[tuple[str, str, int | None]]
    follow_ups: list[tuple[date, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON for a draft."""
        return {
            "retailer_id": self.retailer_id,
            "visited_at": self.visited_at.isoformat(),
            "time_stated": self.time_stated,
            "price_tags": self.price_tags,
            "tags": sorted(self.tags),
            "stock": [list(item) for item in self.stock],
            "stock_outs": list(self.stock_outs),
            "remarks": [list(item) for item in self.remarks],
            "follow_ups": [[due.isoformat(), text] for due, text in self.follow_ups],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """A record stored by :meth:`to_json`."""
        return cls(
            retailer_id=int(data["retailer_id"]),
            visited_at=datetime.fromisoformat(data["visited_at"]),
            time_stated=bool(data["time_stated"]),
            price_tags=data.get("price_tags"),
            tags=set(data.get("tags") or ()),
            stock=[(int(pid), int(cartons)) for pid, cartons in data.get("stock") or ()],
            stock_outs=[int(pid) for pid in data.get("stock_outs") or ()],
            remarks=[(kind, text, pid) for kind, text, pid in data.get("remarks") or ()],
            follow_ups=[(date.fromisoformat(d), text) for d, text in data.get("follow_ups") or ()],
        )

    @classmethod
    def from_facts(cls, facts: NoteFacts, retailer_id: int) -> Record:
        """The record of a note just read, for the shop ``retailer_id``."""
        return cls(
            retailer_id=retailer_id,
            visited_at=visit_moment(facts.visited, facts.sent_at),
            time_stated=facts.visited is not None,
            price_tags=facts.price_tags,
            tags=set(facts.tags),
            stock=list(facts.stock),
            stock_outs=list(facts.stock_outs),
            remarks=[(kind, text[:512], pid) for kind, text, pid in facts.remarks],
            follow_ups=[(due_on(due, facts.sent_at), text[:512]) for due, text in facts.follow_ups],
        )

    @classmethod
    def of_note(cls, note: VisitNote) -> Record:
        """The record a saved note holds."""
        details: dict[str, Any] = note.details or {}
        return cls(
            retailer_id=note.retailer_id,
            visited_at=note.visited_at,
            time_stated=bool(details.get("time_stated", True)),
            price_tags=details.get("price_tags_count"),
            tags=set(details.get("tags") or ()),
            stock=[
                (f.product_id, f.cartons or 0)
                for f in note.findings
                if f.kind == STOCK and f.product_id
            ],
            stock_outs=[
                f.product_id for f in note.findings if f.kind == STOCK_OUT and f.product_id
            ],
            remarks=[
                (f.kind, f.text, f.product_id)
                for f in note.findings
                if f.kind not in (STOCK, STOCK_OUT)
            ],
            follow_ups=[(f.due_on, f.text) for f in note.follow_ups],
        )


def load_note(session: Session, note_id: int) -> VisitNote | None:
    """A note with its findings and follow-ups."""
    return session.scalar(
        select(VisitNote)
        .options(selectinload(VisitNote.findings), selectinload(VisitNote.follow_ups))
        .where(VisitNote.id == note_id)
    )


def write_note(
    session: Session,
    record: Record,
    *,
    manager_id: int,
    raw_text: str,
    source: str,
    recorded_at: datetime,
    amends_id: int | None = None,
    status: str = SAVED,
    confirmed_at: datetime | None = None,
    draft_id: int | None = None,
) -> VisitNote:
    """Store a record as a visit note with its findings and follow-ups. ``draft_id`` (the draft
    it is saved from) is unique among notes: one draft can only ever become one note."""
    note = VisitNote(
        manager_id=manager_id,
        retailer_id=record.retailer_id,
        visited_at=record.visited_at,
        recorded_at=recorded_at,
        raw_text=raw_text,
        source=source,
        status=status,
        price_tags=record.price_tags or 0,
        display_checked=DISPLAY in record.tags,
        deposit_reminded=DEPOSIT in record.tags,
        details={
            "tags": sorted(record.tags),
            "price_tags_count": record.price_tags,
            "time_stated": record.time_stated,
        },
        amends_id=amends_id,
        confirmed_at=confirmed_at,
        draft_id=draft_id,
    )
    note.findings = [
        VisitFinding(kind=STOCK, product_id=product_id, cartons=cartons)
        for product_id, cartons in record.stock
    ]
    note.findings += [VisitFinding(kind=STOCK_OUT, product_id=pid) for pid in record.stock_outs]
    note.findings += [
        VisitFinding(kind=kind, product_id=pid, text=text) for kind, text, pid in record.remarks
    ]
    note.follow_ups = [
        FollowUp(retailer_id=record.retailer_id, due_on=due, text=text)
        for due, text in record.follow_ups
    ]
    session.add(note)
    session.flush()
    return note


def _view(
    session: Session,
    record: Record,
    *,
    id: int,
    status: str,
    raw_text: str,
    recorded_at: datetime,
    confirmed_at: datetime | None,
    amends_id: int | None,
) -> VisitView:
    retailer = session.get(Retailer, record.retailer_id)
    assert retailer is not None
    products = {p.id: p for p in load_catalog(session)}

    def line(product_id: int, cartons: int | None) -> StockLine:
        product = products.get(product_id)
        return StockLine(
            product.spec if product else "", product.name_en if product else "", cartons
        )

    amended = session.get(VisitNote, amends_id) if amends_id else None
    return VisitView(
        id=id,
        status=status,
        retailer_id=retailer.id,
        retailer_code=retailer.code,
        retailer_name=retailer.name,
        retailer_name_en=retailer.name_en,
        visited_at=record.visited_at,
        recorded_at=recorded_at,
        time_stated=record.time_stated,
        raw_text=raw_text,
        price_tags=record.price_tags or 0,
        tags=tuple(sorted(record.tags)),
        stock=tuple(line(pid, cartons) for pid, cartons in record.stock),
        stock_outs=tuple(line(pid, None) for pid in record.stock_outs),
        remarks=tuple((kind, text) for kind, text, _ in record.remarks),
        follow_ups=tuple(sorted(record.follow_ups)),
        confirmed_at=confirmed_at,
        amends_id=amends_id,
        amended_raw_text=amended.raw_text if amended else None,
    )


def note_view(session: Session, note: VisitNote) -> VisitView:
    """The view of a saved (or superseded) note."""
    return _view(
        session,
        Record.of_note(note),
        id=note.id,
        status=note.status,
        raw_text=note.raw_text,
        recorded_at=note.recorded_at,
        confirmed_at=note.confirmed_at,
        amends_id=note.amends_id,
    )


def draft_view(session: Session, draft: VisitDraft) -> VisitView:
    """The view of a draft, exactly as stored."""
    return _view(
        session,
        Record.from_json(draft.record),
        id=draft.id,
        status=DRAFT if draft.status == "pending" else draft.status,
        raw_text=draft.raw_text,
        recorded_at=draft.created_at,
        confirmed_at=None,
        amends_id=draft.amends_id,
    )
