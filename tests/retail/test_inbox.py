"""Each Telegram update is handled once; failed ones wait for a retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retail import inbox
from retail.clock import FixedClock
from retail.db import Database
from retail.models import InboundUpdate


def _claim(db: Database, clock: FixedClock, update_id: int) -> bool:
    with db.session() as session:
        return inbox.claim_update(
            session,
            update_id=update_id,
            telegram_user_id=10001,
            chat_id=10001,
            text="芙蓉王多少钱",
            language="zh",
            clock=clock,
        )


def test_the_same_update_is_claimed_only_once(any_db: Database, clock: FixedClock) -> None:
    assert [_claim(any_db, clock, 7), _claim(any_db, clock, 7), _claim(any_db, clock, 8)] == [
        True,
        False,
        True,
    ]


def test_failed_updates_are_retried_while_recent(any_db: Database, clock: FixedClock) -> None:
    _claim(any_db, clock, 1)
    _claim(any_db, clock, 2)
    with any_db.session() as session:
        inbox.mark_failed(session, 1)
        inbox.mark_answered(session, 2, clock=clock)
    with any_db.session() as session:
        due = [
            u.update_id
            for u in inbox.updates_to_retry(session, clock=clock, within=timedelta(minutes=15))
        ]
    assert due == [1]
    clock.advance(timedelta(minutes=16))
    with any_db.session() as session:
        late = inbox.updates_to_retry(session, clock=clock, within=timedelta(minutes=15))
    assert late == []


def _due(db: Database, clock: FixedClock, **options: object) -> list[int]:
    with db.session() as session:
        return [
            u.update_id
            for u in inbox.updates_to_retry(
                session,
                clock=clock,
                within=timedelta(minutes=15),
                unanswered_after=timedelta(seconds=60),
                **options,  # type: ignore[arg-type]
            )
        ]


def test_the_retry_window_is_the_setting_not_an_attempt_count(
    any_db: Database, clock: FixedClock
) -> None:
    _claim(any_db, clock, 14)  # received 16 minutes before the check
    clock.advance(timedelta(minutes=2))
    _claim(any_db, clock, 15)  # received 14 minutes before the check
    for _ in range(25):  # one every 20 s for 8 minutes and more: no cap ends it early
        with any_db.session() as session:
            inbox.mark_failed(session, 14)
            inbox.mark_failed(session, 15)
    clock.advance(timedelta(minutes=14))

    assert _due(any_db, clock) == [15]
    with any_db.session() as session:
        assert session.get(InboundUpdate, 15).attempts == 25  # type: ignore[union-attr]


def test_an_update_claimed_but_never_answered_is_retried_once_it_is_old_enough(
    any_db: Database, clock: FixedClock
) -> None:
    _claim(any_db, clock, 21)
    clock.advance(timedelta(seconds=59))
    assert _due(any_db, clock) == []  # may still be on its way
    clock.advance(timedelta(seconds=2))
    assert _due(any_db, clock) == [21]
    assert _due(any_db, clock, busy={21}) == []  # this process is still handling it


def test_finished_updates_are_never_retried(any_db: Database, clock: FixedClock) -> None:
    for update_id, status in enumerate(sorted(inbox.FINAL), start=31):
        _claim(any_db, clock, update_id)
        with any_db.session() as session:
            inbox.mark_failed(session, update_id)
            inbox.finish(session, update_id, status, clock=clock)
    clock.advance(timedelta(minutes=5))

    assert _due(any_db, clock) == []
    with any_db.session() as session, pytest.raises(ValueError):
        inbox.finish(session, 31, inbox.FAILED, clock=clock)
