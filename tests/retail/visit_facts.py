"""Typed visit notes for the domain tests: what the adapter would have read from the text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.catalog import load_catalog
from retail.models import Retailer
from retail.visits import NoteFacts, StatedTime


def confirm_payload(note_id: int) -> str:
    """The retailer's confirm button, as the action builds it."""
    return f'/visit_confirm{{"ref":"{note_id}"}}'


def shop_id(session: Session, code: str) -> int:
    """The id of the retailer with ``code``."""
    retailer = session.scalar(select(Retailer).where(Retailer.code == code))
    assert retailer is not None
    return retailer.id


def note_facts(
    session: Session,
    raw_text: str,
    *,
    sent_at: datetime,
    shops: Iterable[str] = (),
    visited: StatedTime | None = None,
    price_tags: int | None = None,
    tags: Iterable[str] = (),
    stock: dict[str, int] | None = None,
    stock_outs: Iterable[str] = (),
    remarks: Iterable[tuple[str, str]] = (),
    follow_ups: Iterable[tuple[date | None, str]] = (),
    bare_count: int | None = None,
) -> NoteFacts:
    """A note's facts with shops given by code and products by spec."""
    ids = {product.spec: product.id for product in load_catalog(session)}
    return NoteFacts(
        raw_text=raw_text,
        sent_at=sent_at,
        shops=tuple(shop_id(session, code) for code in shops),
        visited=visited,
        price_tags=price_tags,
        tags=frozenset(tags),
        stock=tuple((ids[spec], cartons) for spec, cartons in (stock or {}).items()),
        stock_outs=tuple(ids[spec] for spec in stock_outs),
        remarks=tuple((kind, text, None) for kind, text in remarks),
        follow_ups=tuple(follow_ups),
        bare_count=bare_count,
    )
