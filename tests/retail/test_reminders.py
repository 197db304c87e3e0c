"""The reminder planner with a fixed clock: what is due, when, for whom, and what is held back.

Demo data: R001 张记烟酒 (Telegram 10001, manager M001 = 20001) orders ¥3,059.00 against a
bank balance of ¥2,700.00, so it is ¥359.00 short. Each test puts R001's order window on
Tuesday 24 Nov 2026 (Asia/Shanghai) where it needs it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from retail import access, outbox
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.errors import WrongRole
from retail.models import FollowUp, OutboxMessage, ReminderPreference, Retailer, VisitNote
from retail.models.orders import Order
from retail.reminders import (
    PlanReport,
    QuietHours,
    ReminderPolicy,
    daily_figures,
    place,
    plan_reminders,
    record_blocked,
    remind_short_retailers,
)
from retail.settlement import deductions, feeds, record_deposit_claim

NO_OPENING = ReminderPolicy(order_open=False)
WITH_OPENING = ReminderPolicy(order_open=True)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Asia/Shanghai (24 = Tuesday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def _r001(session: Session) -> Retailer:
    retailer = session.scalar(select(Retailer).where(Retailer.code == "R001"))
    assert retailer is not None
    return retailer


def _window(
    db: Database, *, opens: datetime, closes: datetime, deduct: datetime, code: str = "R001"
) -> str:
    """Put the shop's open order in this window; returns the order cycle."""
    with db.session() as session:
        retailer = session.scalar(select(Retailer).where(Retailer.code == code))
        assert retailer is not None
        order = session.scalar(
            select(Order).where(Order.retailer_id == retailer.id, Order.status == "open")
        )
        assert order is not None
        order.opens_at, order.closes_at, order.deduct_at = opens, closes, deduct
        return order.cycle


def _today_window(db: Database) -> str:
    return _window(db, opens=at(24, 9), closes=at(24, 16), deduct=at(24, 18))


def _prefer(db: Database, **fields: object) -> None:
    with db.session() as session:
        session.add(ReminderPreference(retailer_id=_r001(session).id, **fields))


def _plan(db: Database, moment: datetime, policy: ReminderPolicy = NO_OPENING) -> PlanReport:
    with db.session() as session:
        return plan_reminders(session, clock=FixedClock(moment), policy=policy)


def _rows(db: Database) -> list[tuple[str, int, str]]:
    """(kind, chat, status) of every outbox row, oldest first."""
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.kind, r.chat_id, r.status) for r in rows]


def _only(db: Database) -> OutboxMessage:
    with db.session() as session:
        [row] = session.scalars(select(OutboxMessage))
        return row


def test_first_reminder_goes_at_the_lead_before_cutoff_with_shortfall_and_deadline(
    db: Database,
) -> None:
    cycle = _today_window(db)

    _plan(db, at(24, 9, 59))
    nothing_yet = _rows(db)
    _plan(db, at(24, 10))

    row = _only(db)
    assert nothing_yet == []
    assert (row.kind, row.chat_id, row.dedupe_key) == (
        "funding_first",
        10001,
        f"R001:funding_first:{cycle}:first",
    )
    assert row.text == (
        "张记烟酒您好,本周订单 ¥3,059.00,结算账户余额 ¥2,700.00,还差 ¥359.00。"
        "请在 11月24日(周二) 18:00 扣款前存入,以免影响本周供货。"
    )
    assert row.buttons == [
        {"title": "知道了", "payload": "ack"},
        {"title": "已存款", "payload": "deposited"},
    ]
    assert row.expires_at == at(24, 15)


def test_planning_again_queues_nothing_new(db: Database) -> None:
    _today_window(db)

    first = _plan(db, at(24, 10))
    again = _plan(db, at(24, 10, 1))

    assert (first.queued, again.queued, len(_rows(db))) == (1, 0, 1)


def test_last_call_goes_shortly_before_cutoff(db: Database) -> None:
    _today_window(db)

    _plan(db, at(24, 10))
    _plan(db, at(24, 14, 59))
    _plan(db, at(24, 15))

    assert [kind for kind, _, _ in _rows(db)] == ["funding_first", "funding_last"]
    assert _rows(db)[1][1] == 10001


def test_reminders_stop_once_the_bank_reports_enough(db: Database) -> None:
    _today_window(db)
    _plan(db, at(24, 10))
    with db.session() as session:
        report = feeds.import_balances(
            session,
            [{"retailer_code": "R001", "balance": "3100.00", "reported_at": "2026-11-24T10:20"}],
            feed="bank-a",
            clock=FixedClock(at(24, 10, 25)),
        )

    after_funding = _plan(db, at(24, 10, 30))
    _plan(db, at(24, 15))

    assert report.stored == 1
    assert after_funding.cancelled == 1
    assert _rows(db) == [("funding_first", 10001, "cancelled")]


def test_a_deposit_claim_softens_the_last_call_but_does_not_stop_it(db: Database) -> None:
    _today_window(db)
    with db.session() as session:
        principal = access.principal_for(session, 10001)
        record_deposit_claim(
            session,
            principal,
            amount=Decimal("400"),
            message="刚存了400",
            clock=FixedClock(at(24, 9, 30)),
        )

    first = _plan(db, at(24, 10))
    _plan(db, at(24, 15))

    assert first.skipped["deposit_claimed"] == 1
    assert _only(db).text.startswith("【最后提醒】张记烟酒,您说已经存款")


def test_quiet_hours_move_a_reminder_to_their_end_or_just_before_them() -> None:
    quiet = QuietHours(time(21), time(8))
    margin = timedelta(minutes=30)

    moved_later = place(at(25, 6), expires=at(25, 11), floor=at(24, 9), quiet=quiet, margin=margin)
    moved_earlier = place(
        at(24, 21, 30), expires=at(24, 22, 30), floor=at(24, 9), quiet=quiet, margin=margin
    )
    impossible = place(
        at(24, 23), expires=at(24, 23, 30), floor=at(24, 22, 45), quiet=quiet, margin=margin
    )

    assert (moved_later, moved_earlier, impossible) == (at(25, 8), at(24, 20, 30), None)


def test_no_reminder_is_sent_in_quiet_hours(db: Database) -> None:
    _window(db, opens=at(24, 9), closes=at(25, 12), deduct=at(25, 14))

    _plan(db, at(25, 6))
    during_quiet_hours = _rows(db)
    _plan(db, at(25, 8))

    assert during_quiet_hours == []
    assert _rows(db) == [("funding_first", 10001, "pending")]


def test_a_last_call_that_would_fall_in_quiet_hours_goes_before_them(db: Database) -> None:
    _window(db, opens=at(24, 9), closes=at(24, 22, 30), deduct=at(25, 9))

    _plan(db, at(24, 20, 29))
    _plan(db, at(24, 20, 30))

    assert [kind for kind, _, _ in _rows(db)] == ["funding_first", "funding_last"]


def test_daily_cap_keeps_a_place_for_the_last_call(db: Database) -> None:
    _today_window(db)
    _prefer(db, daily_cap=1)

    opening = _plan(db, at(24, 9), WITH_OPENING)
    first = _plan(db, at(24, 10), WITH_OPENING)
    _plan(db, at(24, 15), WITH_OPENING)

    assert opening.skipped["daily_cap"] == 1
    assert first.skipped["daily_cap"] == 2  # opening and first
    assert _rows(db) == [("funding_last", 10001, "pending")]


def test_order_day_opening_says_the_shortfall_and_counts_as_the_first_reminder(
    db: Database,
) -> None:
    _today_window(db)

    _plan(db, at(24, 9), WITH_OPENING)
    _plan(db, at(24, 10), WITH_OPENING)
    _plan(db, at(24, 15), WITH_OPENING)

    assert [kind for kind, _, _ in _rows(db)] == ["order_open_funding", "funding_last"]


def test_opted_out_retailer_gets_nothing_but_a_failed_deduction_is_told_and_escalated(
    db: Database,
) -> None:
    cycle = _today_window(db)
    _prefer(db, opted_out=True)

    opted_out = _plan(db, at(24, 10))
    _plan(db, at(24, 15))
    with db.session() as session:
        deductions.record_deduction_result(
            session,
            retailer_code="R001",
            cycle=cycle,
            succeeded=False,
            clock=FixedClock(at(24, 18)),
        )
    _plan(db, at(24, 22))  # quiet hours, opted out: still told
    _plan(db, at(24, 22, 1))

    assert opted_out.skipped["opted_out"] == 1
    assert _rows(db) == [
        ("deduct_failed", 10001, "pending"),
        ("manager_deduct_failed", 20001, "pending"),
    ]
    with db.session() as session:
        escalation = session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "manager_deduct_failed")
        )
        assert escalation is not None
        assert escalation.text == (
            "【扣款失败】张记烟酒(R001)本周订单 ¥3,059.00 扣款未成功,"
            "银行余额 ¥2,700.00。请尽快联系。"
        )


def test_a_paused_retailer_is_reminded_when_the_pause_ends(db: Database) -> None:
    _today_window(db)
    _prefer(db, paused_until=at(24, 12))

    paused = _plan(db, at(24, 10))
    _plan(db, at(24, 12))

    assert paused.skipped["paused"] == 1
    assert _rows(db) == [("funding_first", 10001, "pending")]


def test_the_chosen_time_and_weekday_set_the_first_reminder(db: Database) -> None:
    _window(db, opens=at(24, 9), closes=at(26, 16), deduct=at(26, 18))
    _prefer(db, preferred_time=time(13, 30), preferred_weekdays=[2])  # Wednesdays, 13:30

    _plan(db, at(24, 10))
    _plan(db, at(25, 13, 29))
    before = _rows(db)
    _plan(db, at(25, 13, 30))

    assert before == []
    assert _rows(db) == [("funding_first", 10001, "pending")]  # not Thursday 10:00 (6 h lead)


def test_chosen_weekdays_without_a_time_move_the_first_reminder_to_an_allowed_day(
    db: Database,
) -> None:
    _window(db, opens=at(24, 9), closes=at(26, 16), deduct=at(26, 18))
    _prefer(db, preferred_weekdays=[2])  # "别天天发, 周三提醒就行"

    _plan(db, at(25, 9, 59))
    before = _rows(db)
    _plan(db, at(25, 10))

    assert before == []
    assert _rows(db) == [("funding_first", 10001, "pending")]  # Wednesday, not Thursday


def test_a_manager_reminds_the_short_shops_of_their_territory_once_a_day(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        wang = access.principal_for(session, 20001)
        first = remind_short_retailers(session, wang, clock)
        again = remind_short_retailers(session, wang, clock)
        li = remind_short_retailers(session, access.principal_for(session, 20002), clock)

    assert (first.queued, first.skipped) == (["R001"], {"R004": "unbound"})
    assert (again.queued, again.skipped) == ([], {"R001": "already", "R004": "unbound"})
    assert "R001" not in li.queued
    row = _only(db)
    assert (row.kind, row.chat_id) == ("manager_reminder", 10001)
    assert row.text.startswith("张记烟酒您好,王经理提醒您:本周订单 ¥3,059.00,账户还差 ¥359.00")


def test_a_retailer_cannot_trigger_territory_reminders(db: Database, clock: FixedClock) -> None:
    with db.session() as session, pytest.raises(WrongRole):
        remind_short_retailers(session, access.principal_for(session, 10001), clock)


def test_a_manager_reminder_in_quiet_hours_waits_for_morning(db: Database) -> None:
    late = FixedClock(at(24, 22))
    with db.session() as session:
        report = remind_short_retailers(session, access.principal_for(session, 20001), late)

    assert report.queued == ["R001"]
    assert _only(db).not_before == at(25, 8)


def test_a_blocked_retailer_is_reported_to_their_manager(db: Database, clock: FixedClock) -> None:
    _today_window(db)
    _plan(db, at(24, 10))
    row_id = _only(db).id

    with db.session() as session:
        record_blocked(session, row_id, error="403: bot was blocked by the user", clock=clock)

    assert _rows(db) == [
        ("funding_first", 10001, "blocked"),
        ("manager_unreachable", 20001, "pending"),
    ]
    with db.session() as session:
        notice = session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "manager_unreachable")
        )
        assert notice is not None
        assert notice.text == "张记烟酒(R001)已屏蔽机器人,提醒「存款提醒」无法送达,请电话联系。"


def test_daily_figures_count_deliveries_and_shops_funded_after_a_reminder(
    db: Database,
) -> None:
    _today_window(db)
    _plan(db, at(24, 10))
    row_id = _only(db).id
    with db.session() as session:
        outbox.mark_sent(session, row_id, telegram_message_id=7, clock=FixedClock(at(24, 10, 1)))
        feeds.import_balances(
            session,
            [{"retailer_code": "R001", "balance": "3059.00", "reported_at": "2026-11-24T13:00"}],
            feed="bank-a",
            clock=FixedClock(at(24, 13, 5)),
        )

    with db.session() as session:
        figures = daily_figures(session, clock=FixedClock(at(24, 20)), days=2)

    assert [(f.day.isoformat(), f.sent, f.funded_after_reminder) for f in figures] == [
        ("2026-11-23", 0, 0),
        ("2026-11-24", 1, 1),
    ]
    assert figures[-1].sent_by_kind == {"funding_first": 1}


def test_a_manager_gets_one_digest_a_day_of_follow_ups_due(db: Database) -> None:
    with db.session() as session:
        r001 = _r001(session)
        note = VisitNote(
            manager_id=r001.manager_id,
            retailer_id=r001.id,
            visited_at=at(20, 15),
            recorded_at=at(20, 16),
            raw_text="下周二前把新价签送过去",
        )
        note.follow_ups = [
            FollowUp(retailer_id=r001.id, due_on=date(2026, 11, 24), text="送新价签")
        ]
        session.add(note)

    _plan(db, at(24, 7, 59))  # quiet hours
    _plan(db, at(24, 9))
    _plan(db, at(24, 11))

    row = _only(db)
    assert (row.kind, row.chat_id) == ("manager_follow_ups", 20001)
    assert row.text == "今天要跟进的事项 1 项:\n• 张记烟酒:送新价签(到期 2026-11-24)"
