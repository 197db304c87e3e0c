"""Retention: personal data is kept only as long as it is useful, then purged.

Four kinds, each with its own number of days (``RETAIN_*_DAYS``):

- inbound message texts (:class:`~retail.models.InboundUpdate`): the text is blanked, the row
  stays (it is what makes each Telegram update count once);
- outbox rows that are finished (sent, failed, blocked, cancelled, expired) are deleted; a
  pending, claimed or in-flight row never is, however old;
- voice notes under ``VOICE_DIR``: files older than the limit are deleted;
- Rasa's conversation trackers, when ``TRACKER_DATABASE_URL`` names Rasa's SQL tracker store
  (production: PostgreSQL, ``deploy/endpoints.production.yml``): rows of its ``events`` table
  older than the limit are deleted. Rasa rebuilds a tracker from the events that remain.

The bot runs :func:`purge` every ``RETENTION_EVERY_HOURS``; ``make purge`` runs it once. Each
run logs one line with the counts.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, func, inspect, text, update
from sqlalchemy.orm import Session

from retail import outbox
from retail.clock import Clock
from retail.db import Database, normalise_url
from retail.models import InboundUpdate, OutboxMessage
from retail.settings import Settings

log = logging.getLogger(__name__)
FINISHED = tuple(sorted(outbox.FINAL))


@dataclass(frozen=True)
class RetentionPolicy:
    """How many days each kind of data is kept."""

    inbound_days: int = 90
    outbox_days: int = 180
    voice_days: int = 30
    tracker_days: int = 90

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        """The policy ``RETAIN_*_DAYS`` configure."""
        return cls(
            inbound_days=settings.retain_inbound_days,
            outbox_days=settings.retain_outbox_days,
            voice_days=settings.retain_voice_days,
            tracker_days=settings.retain_tracker_days,
        )


@dataclass
class PurgeReport:
    """What one purge removed."""

    inbound_texts_blanked: int = 0
    outbox_rows_deleted: int = 0
    voice_files_deleted: int = 0
    tracker_events_deleted: int = 0


def blank_inbound_texts(session: Session, *, before: datetime) -> int:
    """Blank the text of updates received before ``before``; how many."""
    statement = (
        update(InboundUpdate)
        .where(InboundUpdate.received_at < before, InboundUpdate.text != "")
        .values(text="")
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def delete_finished_outbox(session: Session, *, before: datetime) -> int:
    """Delete finished outbox rows that finished (or, without a finish time, were created)
    before ``before``; never a row still to be sent. How many."""
    finished_at = func.coalesce(OutboxMessage.finished_at, OutboxMessage.created_at)
    statement = (
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_(FINISHED), finished_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def delete_old_voice_files(folder: Path, *, before: datetime) -> int:
    """Delete files under ``folder`` last written before ``before`` (and folders left empty);
    how many files."""
    if not folder.is_dir():
        return 0
    cutoff = before.timestamp()
    deleted = 0
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return deleted


def delete_old_tracker_events(url: str, *, before: datetime) -> int:
    """Delete the events older than ``before`` from Rasa's SQL tracker store at ``url`` (its
    ``events`` table; ``timestamp`` is seconds since the epoch); 0 if there is no such table."""
    engine = create_engine(normalise_url(url), hide_parameters=True)
    try:
        with engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                return 0
            result = connection.execute(
                text("DELETE FROM events WHERE timestamp < :cutoff"),
                {"cutoff": before.timestamp()},
            )
            return int(result.rowcount)
    finally:
        engine.dispose()


def purge(
    database: Database,
    *,
    policy: RetentionPolicy,
    clock: Clock,
    voice_dir: Path | None = None,
    tracker_url: str = "",
) -> PurgeReport:
    """Apply ``policy`` to everything configured and log one line with the counts."""
    now = clock.now()
    report = PurgeReport()
    with database.session() as session:
        report.inbound_texts_blanked = blank_inbound_texts(
            session, before=now - timedelta(days=policy.inbound_days)
        )
        report.outbox_rows_deleted = delete_finished_outbox(
            session, before=now - timedelta(days=policy.outbox_days)
        )
    if voice_dir is not None:
        report.voice_files_deleted = delete_old_voice_files(
            voice_dir, before=now - timedelta(days=policy.voice_days)
        )
    if tracker_url:
        report.tracker_events_deleted = delete_old_tracker_events(
            tracker_url, before=now - timedelta(days=policy.tracker_days)
        )
    log.warning("retention purge", extra={**asdict(report), **asdict(policy)})
    return report


def purge_configured(database: Database, settings: Settings, *, clock: Clock) -> PurgeReport:
    """:func:`purge` with everything the settings name (the bot's job and ``make purge``)."""
    return purge(
        database,
        policy=RetentionPolicy.from_settings(settings),
        clock=clock,
        voice_dir=Path(settings.voice_dir),
        tracker_url=settings.tracker_database_url,
    )
