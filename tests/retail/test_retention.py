"""Retention (retail/retention.py) on SQLite and PostgreSQL, with a fixed clock."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from retail import outbox
from retail.clock import FixedClock
from retail.db import Database
from retail.models import InboundUpdate, OutboxMessage
from retail.retention import RetentionPolicy, delete_old_tracker_events, purge

POLICY = RetentionPolicy(inbound_days=90, outbox_days=180, voice_days=30, tracker_days=90)


def _inbound(db: Database, clock: FixedClock, update_id: int, days_ago: int) -> None:
    with db.session() as session:
        session.add(
            InboundUpdate(
                update_id=update_id,
                telegram_user_id=10001,
                chat_id=10001,
                text=f"我的手机 138{update_id}",
                status="answered",
                received_at=clock.now() - timedelta(days=days_ago),
            )
        )


def _outbox(db: Database, clock: FixedClock, key: str, status: str, days_ago: int) -> None:
    then = FixedClock(clock.now() - timedelta(days=days_ago))
    with db.session() as session:
        row = outbox.enqueue(
            session, dedupe_key=key, kind="notice", chat_id=1, language="zh", text="x", clock=then
        )
        row.status = status
        row.finished_at = None if status == outbox.PENDING else then.now()


def test_purge_blanks_old_texts_and_deletes_finished_old_pushes_only(
    any_db: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    _inbound(any_db, clock, 9_000_001, days_ago=91)
    _inbound(any_db, clock, 9_000_002, days_ago=89)
    _outbox(any_db, clock, "old-sent", outbox.SENT, days_ago=181)
    _outbox(any_db, clock, "old-failed", outbox.FAILED, days_ago=200)
    _outbox(any_db, clock, "old-pending", outbox.PENDING, days_ago=400)
    _outbox(any_db, clock, "new-sent", outbox.SENT, days_ago=10)

    with caplog.at_level(logging.INFO, logger="retail.retention"):
        report = purge(any_db, policy=POLICY, clock=clock)

    with any_db.session() as session:
        texts = {
            u: t for u, t in session.execute(select(InboundUpdate.update_id, InboundUpdate.text))
        }
        keys = set(session.scalars(select(OutboxMessage.dedupe_key)))
    assert (texts[9_000_001], texts[9_000_002]) == ("", "我的手机 1389000002")
    assert {"old-pending", "new-sent"} <= keys
    assert not {"old-sent", "old-failed"} & keys
    assert (report.inbound_texts_blanked, report.outbox_rows_deleted) == (1, 2)
    [line] = [r for r in caplog.records if r.getMessage() == "retention purge"]
    assert (line.inbound_texts_blanked, line.outbox_rows_deleted) == (1, 2)  # type: ignore[attr-defined]


def test_voice_files_older_than_the_limit_are_deleted(
    db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    old, new = tmp_path / "20001" / "7.ogg", tmp_path / "20002" / "8.ogg"
    for path, days in ((old, 31), (new, 29)):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"OggS")
        moment = (clock.now() - timedelta(days=days)).timestamp()
        os.utime(path, (moment, moment))

    report = purge(db, policy=POLICY, clock=clock, voice_dir=tmp_path)

    assert (report.voice_files_deleted, old.exists(), new.exists()) == (1, False, True)
    assert not old.parent.exists()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_rasa_tracker_events_older_than_the_limit_are_deleted(
    kind: str, request: pytest.FixtureRequest, clock: FixedClock, tmp_path: Path
) -> None:
    url = (
        request.getfixturevalue("postgres_url")
        if kind == "postgres"
        else f"sqlite:///{tmp_path / 'tracker.db'}"
    )
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    now = clock.now().timestamp()
    with engine.begin() as connection:
        # The columns Rasa 3.6's SQLTrackerStore gives its events table.
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
        for n, days in enumerate((120, 91, 5)):
            connection.execute(
                text(
                    "INSERT INTO events (id, sender_id, type_name, timestamp, data) "
                    "VALUES (:id, '10001', 'user', :ts, '{}')"
                ),
                {"id": n + 1, "ts": now - days * 86_400},
            )
    try:
        deleted = delete_old_tracker_events(url, before=clock.now() - timedelta(days=90))
        with engine.connect() as connection:
            left = connection.execute(text("SELECT id FROM events")).scalars().all()
    finally:
        engine.dispose()
    assert (deleted, left) == (2, [3])


def test_without_a_tracker_table_nothing_is_deleted(clock: FixedClock, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert delete_old_tracker_events(url, before=clock.now()) == 0
