"""Visit notes end to end in the domain: draft, save, correct, confirm, and who may do what.

Notes arrive as typed facts (what actions/visits.py reads from the text with lang/); the
reading itself is tested in tests/lang/test_visit_notes.py.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retail.access import principal_for
from retail.clock import SHANGHAI, FixedClock
from retail.db import Database
from retail.errors import (
    AmendNotUnderstood,
    ManagersOnly,
    VisitShopAmbiguous,
    VisitShopUnknown,
    VisitUnavailable,
    WrongRole,
)
from retail.models import FollowUp, OutboxMessage, Retailer, VisitFinding, VisitNote
from retail.models.visits import VisitDraft
from retail.schema import migrate
from retail.seed import seed_demo
from retail.visits import (
    NoteFacts,
    SavedVisit,
    StatedTime,
    amend_last,
    cancel_visit,
    confirm_by_retailer,
    draft_visit,
    due_on,
    save_visit,
    send_deposit_reminders,
    visit_moment,
)
from tests.retail.visit_facts import confirm_payload, note_facts

NOTE = (
    "今天下午去了张记烟酒 补了三张标价签 芙蓉王硬还有十条 白沙断货了 老板反映送货晚 下周一前给答复"
)
SENT = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)


def _note(session: Session, shops: tuple[str, ...] = ("R001",)) -> NoteFacts:
    """NOTE as the adapter reads it (sent at the test clock's 10:30, before 今天下午)."""
    return note_facts(
        session,
        NOTE,
        sent_at=SENT,
        shops=shops,
        visited=StatedTime(datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI), day_only=False),
        price_tags=3,
        tags=("price_tags", "stock_out", "complaint", "follow_up"),
        stock={"芙蓉王(硬)": 10},
        stock_outs=("白沙(硬)",),
        remarks=(("complaint", "老板反映送货晚"),),
        follow_ups=((date(2026, 11, 30), "老板反映送货晚 下周一前给答复"),),
    )


def _save(session: Session, principal_id: int, draft_id: int, clock: FixedClock) -> SavedVisit:
    return save_visit(
        session,
        principal_for(session, principal_id),
        draft_id,
        clock=clock,
        confirm_payload=confirm_payload,
    )


def _notes(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(VisitNote)) or 0)


def test_a_note_is_drafted_without_touching_the_visit_record(
    any_db: Database, clock: FixedClock
) -> None:
    before = _notes(any_db)
    with any_db.session() as session:
        visit = draft_visit(session, principal_for(session, 20001), _note(session), clock=clock)
    assert visit.status == "draft"
    assert visit.retailer_code == "R001"
    assert [(s.spec, s.cartons) for s in visit.stock] == [("芙蓉王(硬)", 10)]
    assert [s.spec for s in visit.stock_outs] == ["白沙(硬)"]
    assert visit.price_tags == 3
    assert visit.follow_ups[0][0] == date(2026, 11, 30)
    assert _notes(any_db) == before


def test_saving_writes_the_note_and_asks_the_retailer_to_confirm(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        draft = draft_visit(session, principal_for(session, 20001), _note(session), clock=clock)
    with any_db.session() as session:
        saved = _save(session, 20001, draft.id, clock)
    assert saved.confirmation_queued
    with any_db.session() as session:
        note = session.get(VisitNote, saved.visit.id)
        assert note is not None
        assert note.status == "saved"
        assert note.raw_text == NOTE
        assert note.price_tags == 3
        kinds = sorted(
            f.kind for f in session.scalars(select(VisitFinding).filter_by(note_id=note.id))
        )
        assert kinds == ["complaint", "stock", "stock_out"]
        follow_up = session.scalar(select(FollowUp).filter_by(note_id=note.id))
        assert follow_up is not None and follow_up.due_on == date(2026, 11, 30)
        push = session.scalar(select(OutboxMessage).filter_by(kind="visit_confirm"))
        assert push is not None
        assert push.chat_id == 10001
        assert push.buttons[0]["payload"] == confirm_payload(note.id)


def test_saving_twice_writes_one_note(db: Database, clock: FixedClock) -> None:
    before = _notes(db)
    with db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, _note(session), clock=clock)
        first = save_visit(session, manager, draft.id, clock=clock, confirm_payload=confirm_payload)
        second = save_visit(
            session, manager, draft.id, clock=clock, confirm_payload=confirm_payload
        )
    assert first.visit.id == second.visit.id
    assert _notes(db) == before + 1


def test_a_cancelled_draft_cannot_be_saved(db: Database, clock: FixedClock) -> None:
    before = _notes(db)
    with db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, _note(session), clock=clock)
        cancel_visit(session, manager, draft.id, clock=clock)
        with pytest.raises(VisitUnavailable):
            save_visit(session, manager, draft.id, clock=clock, confirm_payload=confirm_payload)
    assert _notes(db) == before


def test_a_retailer_cannot_use_manager_flows(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        with pytest.raises(ManagersOnly):
            draft_visit(session, principal_for(session, 10001), _note(session), clock=clock)
        fix = note_facts(session, "库存是十二条", sent_at=SENT, bare_count=12)
        with pytest.raises(ManagersOnly):
            amend_last(session, principal_for(session, 10001), fix, clock=clock)


def test_another_manager_can_neither_record_nor_save_for_a_shop_not_theirs(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        other = principal_for(session, 20002)
        with pytest.raises(VisitShopUnknown):
            draft_visit(session, other, _note(session), clock=clock)
        draft = draft_visit(session, principal_for(session, 20001), _note(session), clock=clock)
        with pytest.raises(VisitUnavailable):
            save_visit(session, other, draft.id, clock=clock, confirm_payload=confirm_payload)
        with pytest.raises(VisitUnavailable):
            cancel_visit(session, other, draft.id, clock=clock)


def test_an_ambiguous_shop_is_asked_about_and_can_be_picked(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        r001 = session.scalar(select(Retailer).filter_by(code="R001"))
        assert r001 is not None
        twin = Retailer(
            code="R099",
            name="张记便利店",
            owner="张强",
            licence_no="430104100099",
            phone="13900000099",
            star_level=2,
            manager_id=r001.manager_id,
            order_weekday=1,
            window_open=r001.window_open,
            window_close=r001.window_close,
            deduction_time=r001.deduction_time,
        )
        session.add(twin)
    with db.session() as session:
        manager = principal_for(session, 20001)
        facts = note_facts(
            session,
            "去了张记 白沙十条",
            sent_at=SENT,
            shops=("R001", "R099"),
            stock={"白沙(硬)": 10},
        )
        with pytest.raises(VisitShopAmbiguous) as asked:
            draft_visit(session, manager, facts, clock=clock)
        assert set(asked.value.params["codes"].split(",")) == {"R001", "R099"}
        picked = draft_visit(session, manager, facts, clock=clock, retailer_code="R099")
    assert picked.retailer_code == "R099"


def test_the_last_note_is_corrected_by_message_keeping_both_raw_texts(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, _note(session), clock=clock)
        original = save_visit(
            session, manager, draft.id, clock=clock, confirm_payload=confirm_payload
        ).visit
    clock.advance(timedelta(minutes=5))
    with any_db.session() as session:
        manager = principal_for(session, 20001)
        said = "刚才那条记错了,库存是十二条"
        fix = amend_last(
            session, manager, note_facts(session, said, sent_at=SENT, bare_count=12), clock=clock
        )
        assert fix.amends_id == original.id
        assert [(s.spec, s.cartons) for s in fix.stock] == [("芙蓉王(硬)", 12)]
        assert fix.amended_raw_text == NOTE
        saved = save_visit(
            session, manager, fix.id, clock=clock, confirm_payload=confirm_payload
        ).visit
    with any_db.session() as session:
        old = session.get(VisitNote, original.id)
        new = session.get(VisitNote, saved.id)
        assert old is not None and new is not None
        assert old.status == "superseded"
        assert old.raw_text == NOTE
        assert new.raw_text == "刚才那条记错了,库存是十二条"
        assert new.amends_id == old.id
        assert new.price_tags == 3
        old_follow_up = session.scalar(select(FollowUp).filter_by(note_id=old.id))
        new_follow_up = session.scalar(select(FollowUp).filter_by(note_id=new.id))
        assert old_follow_up is not None and old_follow_up.done_at is not None
        assert new_follow_up is not None and new_follow_up.done_at is None


def test_a_pending_draft_can_be_corrected_before_it_is_saved(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, _note(session), clock=clock)
        yesterday = StatedTime(datetime(2026, 11, 23, tzinfo=SHANGHAI), day_only=True)
        said = note_facts(
            session, "不对 是昨天去的 价签补了两张", sent_at=SENT, visited=yesterday, price_tags=2
        )
        fix = amend_last(session, manager, said, clock=clock)
        assert fix.amends_id is None
        assert fix.visited_at.date() == date(2026, 11, 23)
        assert fix.price_tags == 2
        old = session.get(VisitDraft, draft.id)
        assert old is not None and old.status == "superseded"
        with pytest.raises(VisitUnavailable):
            save_visit(session, manager, draft.id, clock=clock, confirm_payload=confirm_payload)


def test_a_correction_that_says_nothing_changes_nothing(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        manager = principal_for(session, 20001)
        draft_visit(session, manager, _note(session), clock=clock)
        drafts = session.scalar(select(func.count()).select_from(VisitDraft))
        with pytest.raises(AmendNotUnderstood):
            amend_last(
                session, manager, note_facts(session, "刚才那条记错了", sent_at=SENT), clock=clock
            )
        assert session.scalar(select(func.count()).select_from(VisitDraft)) == drafts


def test_only_the_visited_retailer_confirms_a_saved_visit(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, _note(session), clock=clock)
        note_id = save_visit(
            session, manager, draft.id, clock=clock, confirm_payload=confirm_payload
        ).visit.id
    with any_db.session() as session:
        with pytest.raises(VisitUnavailable):
            confirm_by_retailer(session, principal_for(session, 10002), note_id, clock=clock)
        with pytest.raises(WrongRole):
            confirm_by_retailer(session, principal_for(session, 20001), note_id, clock=clock)
        confirmed = confirm_by_retailer(
            session, principal_for(session, 10001), note_id, clock=clock
        )
    assert confirmed.confirmed_at == clock.now()


def test_a_note_naming_no_shop_is_refused(db: Database, clock: FixedClock) -> None:
    with db.session() as session, pytest.raises(VisitShopUnknown):
        facts = note_facts(session, "今天白沙十条", sent_at=SENT, stock={"白沙(硬)": 10})
        draft_visit(session, principal_for(session, 20001), facts, clock=clock)


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        (None, SENT),
        # A later hour of the message day is capped at the message time: no visit is ahead.
        (StatedTime(datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI), False), SENT),
        (
            StatedTime(datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI), False),
            datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI),
        ),
        # A day without a time of day: noon, or the message's clock on the message day.
        (
            StatedTime(datetime(2026, 11, 20, tzinfo=SHANGHAI), True),
            datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI),
        ),
        (StatedTime(datetime(2026, 11, 24, tzinfo=SHANGHAI), True), SENT),
    ],
)
def test_the_visit_time_is_the_stated_one_at_most_the_message_time(
    stated: StatedTime | None, expected: datetime
) -> None:
    assert visit_moment(stated, SENT) == expected


def test_a_follow_up_without_a_day_falls_due_a_week_later() -> None:
    assert due_on(None, SENT) == date(2026, 12, 1)
    assert due_on(date(2026, 11, 25), SENT) == date(2026, 11, 25)


def _pushes(database: Database) -> int:
    with database.session() as session:
        return len(session.scalars(select(OutboxMessage).filter_by(kind="visit_confirm")).all())


def test_a_replayed_save_writes_nothing_and_says_it_was_saved_before(
    any_db: Database, clock: FixedClock
) -> None:
    before = _notes(any_db)
    with any_db.session() as session:
        draft_id = draft_visit(
            session, principal_for(session, 20001), _note(session), clock=clock
        ).id
    with any_db.session() as session:
        first = _save(session, 20001, draft_id, clock)
    with any_db.session() as session:
        again = _save(session, 20001, draft_id, clock)
    assert (first.already_saved, again.already_saved) == (False, True)
    assert (first.confirmation_queued, again.confirmation_queued) == (True, False)
    assert again.visit.id == first.visit.id
    assert _notes(any_db) == before + 1 and _pushes(any_db) == 1
    with any_db.session() as session:
        note = session.get(VisitNote, first.visit.id)
        assert note is not None and note.draft_id == draft_id


@pytest.mark.postgres
def test_two_saves_of_one_draft_at_the_same_moment_write_one_note(
    postgres_url: str, clock: FixedClock
) -> None:
    """Two action-server workers take the same 保存 at once: both read the draft as pending,
    both write; the unique draft id lets one note through and the other finds it."""
    migrate(postgres_url)
    database = Database(postgres_url)
    try:
        with database.session() as session:
            seed_demo(session, clock)
        with database.session() as session:
            manager = principal_for(session, 20001)
            draft_id = draft_visit(session, manager, _note(session), clock=clock).id
        before = _notes(database)
        barrier = threading.Barrier(2, timeout=30)
        outcomes: list[object] = []

        def save() -> None:
            try:
                with database.session() as session:
                    session.get(VisitDraft, draft_id)  # read as pending by both
                    barrier.wait()
                    outcomes.append(_save(session, 20001, draft_id, clock).already_saved)
            except Exception as error:  # reported by the assertion below
                outcomes.append(error)

        threads = [threading.Thread(target=save) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes, key=str) == [False, True], outcomes
        assert _notes(database) == before + 1 and _pushes(database) == 1
    finally:
        database.dispose()


def test_a_broadcast_confirmed_twice_queues_one_set_of_reminders(
    any_db: Database, clock: FixedClock
) -> None:
    def confirm() -> tuple[bool, list[str]]:
        with any_db.session() as session:
            manager = principal_for(session, 20001)
            sent = send_deposit_reminders(session, manager, offer_key="b40adca57000", clock=clock)
            return sent.already, sent.report.queued

    first = confirm()
    with any_db.session() as session:
        rows = session.scalars(select(OutboxMessage.dedupe_key)).all()
    clock.advance(timedelta(hours=14))  # past midnight: the one-a-day limit alone would resend
    second = confirm()
    assert first[0] is False and "R001" in first[1]
    assert second == (True, [])
    with any_db.session() as session:
        assert session.scalars(select(OutboxMessage.dedupe_key)).all() == rows
    with any_db.session() as session, pytest.raises(ManagersOnly):
        send_deposit_reminders(session, principal_for(session, 10001), offer_key="x", clock=clock)
