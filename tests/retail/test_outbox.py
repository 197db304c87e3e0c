"""Enqueueing push messages is idempotent by dedupe key."""

from __future__ import annotations

from sqlalchemy import func, select

from retail.clock import FixedClock
from retail.db import Database
from retail.models import OutboxMessage
from retail.outbox import PushButton, enqueue


def test_the_same_dedupe_key_is_stored_once(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session:
        first = enqueue(
            session,
            dedupe_key="R001:funding:2026-W48:first",
            kind="funding",
            chat_id=10001,
            language="zh",
            text="请存款",
            clock=clock,
            buttons=[PushButton("知道了", "/affirm")],
        )
        again = enqueue(
            session,
            dedupe_key="R001:funding:2026-W48:first",
            kind="funding",
            chat_id=10001,
            language="zh",
            text="请存款",
            clock=clock,
        )
        count = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert (first.id, count) == (again.id, 1)
    assert first.buttons == [{"title": "知道了", "payload": "/affirm"}]
