"""Each Telegram update is handled once; failed ones wait for a retry."""

from __future__ import annotations

from datetime import timedelta

from retail import inbox
from retail.clock import FixedClock
from retail.db import Database


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


def test_an_update_is_abandoned_after_repeated_failures(
    any_db: Database, clock: FixedClock
) -> None:
    _claim(any_db, clock, 3)
    for _ in range(inbox.MAX_ATTEMPTS):
        with any_db.session() as session:
            inbox.mark_failed(session, 3)
    with any_db.session() as session:
        assert inbox.updates_to_retry(session, clock=clock, within=timedelta(hours=1)) == []
