"""Visit notes end to end in the domain: draft, save, correct, confirm, and who may do what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from retail.access import principal_for
from retail.clock import FixedClock
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
from retail.visits import (
    CONFIRM_PAYLOAD,
    amend_last,
    cancel_visit,
    confirm_by_retailer,
    draft_visit,
    save_visit,
)

NOTE = (
    "今天下午去了张记烟酒 补了三张标价签 芙蓉王硬还有十条 白沙断货了 老板反映送货晚 下周一前给答复"
)


def _notes(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(VisitNote)) or 0)


def test_a_note_is_drafted_without_touching_the_visit_record(
    any_db: Database, clock: FixedClock
) -> None:
    before = _notes(any_db)
    with any_db.session() as session:
        visit = draft_visit(session, principal_for(session, 20001), NOTE, clock=clock)
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
        draft = draft_visit(session, principal_for(session, 20001), NOTE, clock=clock)
    with any_db.session() as session:
        saved = save_visit(session, principal_for(session, 20001), draft.id, clock=clock)
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
        assert push.buttons[0]["payload"] == CONFIRM_PAYLOAD.format(id=note.id)


def test_saving_twice_writes_one_note(db: Database, clock: FixedClock) -> None:
    before = _notes(db)
    with db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, NOTE, clock=clock)
        first = save_visit(session, manager, draft.id, clock=clock)
        second = save_visit(session, manager, draft.id, clock=clock)
    assert first.visit.id == second.visit.id
    assert _notes(db) == before + 1


def test_a_cancelled_draft_cannot_be_saved(db: Database, clock: FixedClock) -> None:
    before = _notes(db)
    with db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, NOTE, clock=clock)
        cancel_visit(session, manager, draft.id, clock=clock)
        with pytest.raises(VisitUnavailable):
            save_visit(session, manager, draft.id, clock=clock)
    assert _notes(db) == before


def test_a_retailer_cannot_use_manager_flows(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        with pytest.raises(ManagersOnly):
            draft_visit(session, principal_for(session, 10001), NOTE, clock=clock)
        with pytest.raises(ManagersOnly):
            amend_last(session, principal_for(session, 10001), "库存是十二条", clock=clock)


def test_another_manager_can_neither_record_nor_save_for_a_shop_not_theirs(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        other = principal_for(session, 20002)
        with pytest.raises(VisitShopUnknown):
            draft_visit(session, other, NOTE, clock=clock)
        draft = draft_visit(session, principal_for(session, 20001), NOTE, clock=clock)
        with pytest.raises(VisitUnavailable):
            save_visit(session, other, draft.id, clock=clock)
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
        with pytest.raises(VisitShopAmbiguous) as asked:
            draft_visit(session, manager, "去了张记 白沙十条", clock=clock)
        assert set(asked.value.params["codes"].split(",")) == {"R001", "R099"}
        picked = draft_visit(
            session, manager, "去了张记 白沙十条", clock=clock, retailer_code="R099"
        )
    assert picked.retailer_code == "R099"


def test_the_last_note_is_corrected_by_message_keeping_both_raw_texts(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, NOTE, clock=clock)
        original = save_visit(session, manager, draft.id, clock=clock).visit
    clock.advance(timedelta(minutes=5))
    with any_db.session() as session:
        manager = principal_for(session, 20001)
        fix = amend_last(session, manager, "刚才那条记错了,库存是十二条", clock=clock)
        assert fix.amends_id == original.id
        assert [(s.spec, s.cartons) for s in fix.stock] == [("芙蓉王(硬)", 12)]
        assert fix.amended_raw_text == NOTE
        saved = save_visit(session, manager, fix.id, clock=clock).visit
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
        draft = draft_visit(session, manager, NOTE, clock=clock)
        fix = amend_last(session, manager, "不对 是昨天去的 价签补了两张", clock=clock)
        assert fix.amends_id is None
        assert fix.visited_at.date() == date(2026, 11, 23)
        assert fix.price_tags == 2
        old = session.get(VisitDraft, draft.id)
        assert old is not None and old.status == "superseded"
        with pytest.raises(VisitUnavailable):
            save_visit(session, manager, draft.id, clock=clock)


def test_a_correction_that_says_nothing_changes_nothing(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        manager = principal_for(session, 20001)
        draft_visit(session, manager, NOTE, clock=clock)
        drafts = session.scalar(select(func.count()).select_from(VisitDraft))
        with pytest.raises(AmendNotUnderstood):
            amend_last(session, manager, "刚才那条记错了", clock=clock)
        assert session.scalar(select(func.count()).select_from(VisitDraft)) == drafts


def test_only_the_visited_retailer_confirms_a_saved_visit(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        manager = principal_for(session, 20001)
        draft = draft_visit(session, manager, NOTE, clock=clock)
        note_id = save_visit(session, manager, draft.id, clock=clock).visit.id
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
        draft_visit(session, principal_for(session, 20001), "今天白沙十条", clock=clock)
