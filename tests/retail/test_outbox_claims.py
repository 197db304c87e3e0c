"""Claiming outbox rows: concurrent senders never share a row, crashes lose and repeat nothing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from retail import outbox
from retail.clock import Clock, FixedClock
from retail.db import Database
from retail.models import OutboxMessage
from retail.outbox import NewMessage, claim_batch, mark_sent, start_sending
from retail.schema import migrate

LEASE = timedelta(seconds=30)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    """An empty, migrated PostgreSQL database."""
    migrate(postgres_url)
    database = Database(postgres_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite(sqlite_url: str) -> Iterator[Database]:
    """An empty, migrated SQLite database."""
    migrate(sqlite_url)
    database = Database(sqlite_url)
    yield database
    database.dispose()


def _fill(database: Database, count: int, clock: Clock) -> list[int]:
    messages = [
        NewMessage(
            dedupe_key=f"R{n:05d}:funding_first:2026-W48:first",
            kind="funding_first",
            chat_id=1_000_000 + n,
            language="zh",
            text=f"提醒 {n}",
        )
        for n in range(count)
    ]
    with database.session() as session:
        outbox.enqueue_many(session, messages, clock=clock)
        return list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def _deliver(
    database: Database, rows: list[outbox.ClaimedMessage], worker: str, clock: Clock
) -> list[int]:
    """What a sender does per row: in flight, "sent to Telegram", marked sent."""
    delivered = []
    with database.session() as session:
        for row in rows:
            started = start_sending(session, row.id, worker=worker, lease=LEASE, clock=clock)
            session.commit()
            if not started:
                continue
            delivered.append(row.id)
            mark_sent(session, row.id, telegram_message_id=row.id, clock=clock)
            session.commit()
    return delivered


def _statuses(database: Database) -> dict[str, int]:
    with database.session() as session:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: count for status, count in session.execute(query)}


@pytest.mark.postgres
def test_four_concurrent_senders_deliver_5000_rows_exactly_once(
    pg: Database, clock: FixedClock
) -> None:
    ids = _fill(pg, 5000, clock)
    delivered: list[tuple[str, int]] = []
    start = threading.Barrier(4)

    def sender(worker: str) -> None:
        start.wait()
        while True:
            with pg.session() as session:
                rows = claim_batch(session, worker=worker, limit=50, lease=LEASE, clock=clock)
            if not rows:
                return
            delivered.extend((worker, row_id) for row_id in _deliver(pg, rows, worker, clock))

    threads = [threading.Thread(target=sender, args=(f"sender-{n}",)) for n in range(4)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began

    per_row = Counter(row_id for _, row_id in delivered)
    per_worker = Counter(worker for worker, _ in delivered)
    assert sorted(per_row) == ids
    assert set(per_row.values()) == {1}
    assert _statuses(pg) == {"sent": 5000}
    assert len(per_worker) == 4 and min(per_worker.values()) > 0
    print(f"4 senders, 5000 rows on PostgreSQL: {elapsed:.1f} s, per sender {dict(per_worker)}")


@pytest.mark.postgres
def test_a_crashed_sender_loses_nothing_and_resends_nothing_delivered(
    pg: Database, clock: FixedClock
) -> None:
    ids = _fill(pg, 100, clock)
    with pg.session() as session:
        batch = claim_batch(session, worker="crashing", limit=40, lease=LEASE, clock=clock)
    delivered_before_crash = _deliver(pg, batch[:15], "crashing", clock)
    # ...and the "crashing" sender dies here, holding 25 claimed rows.

    clock.advance(timedelta(seconds=1))
    with pg.session() as session:
        others = claim_batch(session, worker="survivor", limit=500, lease=LEASE, clock=clock)
    delivered_by_survivor = _deliver(pg, others, "survivor", clock)
    with pg.session() as session:
        too_early = claim_batch(session, worker="survivor", limit=500, lease=LEASE, clock=clock)

    clock.advance(LEASE)
    with pg.session() as session:
        recovered = claim_batch(session, worker="survivor", limit=500, lease=LEASE, clock=clock)
    delivered_after_lease = _deliver(pg, recovered, "survivor", clock)
    with pg.session() as session:
        nothing_left = claim_batch(session, worker="survivor", limit=500, lease=LEASE, clock=clock)

    assert (len(batch), len(others), too_early) == (40, 60, [])
    assert sorted(delivered_after_lease) == sorted(m.id for m in batch[15:])
    every = delivered_before_crash + delivered_by_survivor + delivered_after_lease
    assert (sorted(every), nothing_left) == (ids, [])
    assert [m.interrupted for m in recovered] == [0] * 25
    assert _statuses(pg) == {"sent": 100}


def test_a_send_cut_off_in_flight_is_sent_again_and_counted(
    sqlite: Database, clock: FixedClock
) -> None:
    [row_id] = _fill(sqlite, 1, clock)
    with sqlite.session() as session:
        [claimed] = claim_batch(session, worker="a", limit=5, lease=LEASE, clock=clock)
        assert start_sending(session, claimed.id, worker="a", lease=LEASE, clock=clock)
    # sender "a" dies while its request is in flight: the message may or may not have arrived.

    clock.advance(LEASE + timedelta(seconds=1))
    with sqlite.session() as session:
        [again] = claim_batch(session, worker="b", limit=5, lease=LEASE, clock=clock)
        late = start_sending(session, row_id, worker="a", lease=LEASE, clock=clock)
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        status, note = row.status, row.last_error

    assert (again.id, again.interrupted, status, late) == (row_id, 1, "claimed", False)
    assert note == outbox.INTERRUPTED_NOTE


def test_a_sender_whose_lease_ran_out_does_not_send_a_reclaimed_row(
    sqlite: Database, clock: FixedClock
) -> None:
    [row_id] = _fill(sqlite, 1, clock)
    with sqlite.session() as session:
        claim_batch(session, worker="slow", limit=5, lease=LEASE, clock=clock)
    clock.advance(LEASE + timedelta(seconds=1))
    with sqlite.session() as session:
        [taken] = claim_batch(session, worker="fast", limit=5, lease=LEASE, clock=clock)

    with sqlite.session() as session:
        slow = start_sending(session, row_id, worker="slow", lease=LEASE, clock=clock)
        fast = start_sending(session, row_id, worker="fast", lease=LEASE, clock=clock)

    assert (taken.id, slow, fast) == (row_id, False, True)


def test_throttled_row_waits_for_retry_after_and_does_not_count_as_failure(
    sqlite: Database, clock: FixedClock
) -> None:
    [row_id] = _fill(sqlite, 1, clock)
    with sqlite.session() as session:
        claim_batch(session, worker="a", limit=1, lease=LEASE, clock=clock)
        start_sending(session, row_id, worker="a", lease=LEASE, clock=clock)
        outbox.mark_throttled(session, row_id, retry_after=3, clock=clock)
    clock.advance(timedelta(seconds=2))
    with sqlite.session() as session:
        early = claim_batch(session, worker="a", limit=1, lease=LEASE, clock=clock)
    clock.advance(timedelta(seconds=1))
    with sqlite.session() as session:
        [due] = claim_batch(session, worker="a", limit=1, lease=LEASE, clock=clock)
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        counts = (row.throttled, row.attempts)

    assert (early, due.id, counts) == ([], row_id, (1, 0))


def test_network_failures_back_off_then_give_up(sqlite: Database, clock: FixedClock) -> None:
    [row_id] = _fill(sqlite, 1, clock)
    waits = []
    for _ in range(3):
        with sqlite.session() as session:
            claim_batch(session, worker="a", limit=1, lease=LEASE, clock=clock)
            status = outbox.mark_failed(
                session,
                row_id,
                error="TimedOut",
                clock=clock,
                retry_base=timedelta(seconds=2),
                max_attempts=3,
            )
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            waits.append((status, (row.not_before - clock.now()).total_seconds()))
        clock.advance(timedelta(minutes=1))

    assert [status for status, _ in waits] == ["pending", "pending", "failed"]
    assert [wait for _, wait in waits[:2]] == [2.0, 4.0]


def test_an_expired_reminder_is_not_sent_late(sqlite: Database, clock: FixedClock) -> None:
    with sqlite.session() as session:
        outbox.enqueue(
            session,
            dedupe_key="R001:funding_last:2026-W48:last",
            kind="funding_last",
            chat_id=10001,
            language="zh",
            text="最后提醒",
            clock=clock,
            expires_at=clock.now() + timedelta(minutes=5),
        )
    clock.advance(timedelta(minutes=6))
    with sqlite.session() as session:
        claimed = claim_batch(session, worker="a", limit=5, lease=LEASE, clock=clock)
        expired = outbox.expire_stale(session, lease=LEASE, clock=clock)

    assert (claimed, expired, _statuses(sqlite)) == ([], 1, {"expired": 1})
