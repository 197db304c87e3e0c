"""Requests to managers: logged, pushed to the manager, answered back, access-checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from retail import access
from retail.access import Principal
from retail.clock import FixedClock
from retail.db import Database
from retail.errors import NotYourShop, WrongRole
from retail.models import ManagerRequest, OutboxMessage, User
from retail.support import (
    Submitted,
    answer_request,
    manager_contact,
    request_for_reply,
    requests_of,
    submit_request,
)


def _payload(request_id: int, choice: str) -> str:
    """What a manager's button sends, as the adapter would name it (here: plainly)."""
    return f"{request_id}:{choice}"


def _submit(
    session: Session,
    principal: Principal,
    kind: str,
    text: str,
    clock: FixedClock,
    *,
    language: str = "zh",
) -> Submitted:
    """Submit a request whose manager buttons carry the plain test payloads."""
    return submit_request(
        session,
        principal,
        kind=kind,
        text=text,
        clock=clock,
        language=language,
        reply_payload=_payload,
    )


def _outbox(session: object, kind: str) -> list[OutboxMessage]:
    return list(
        session.scalars(  # type: ignore[attr-defined]
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def test_a_complaint_is_logged_and_pushed_to_the_manager_with_one_tap_replies(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        retailer = access.principal_for(session, 10001)
        submitted = _submit(session, retailer, "complaint", "今天送来的货少了一条芙蓉王", clock)
        [push] = _outbox(session, "manager_request")
        request = session.get(ManagerRequest, submitted.request.id)
        assert request is not None and request.status == "open"
    assert submitted.manager.name == "王经理" and submitted.manager.on_telegram
    assert push.chat_id == 20001
    assert "张记烟酒" in push.text and "R001" in push.text and "少了一条芙蓉王" in push.text
    request_id = submitted.request.id
    assert [b["payload"] for b in push.buttons] == [
        f"{request_id}:handling",
        f"{request_id}:resolved",
        f"{request_id}:write",
    ]


def test_the_same_request_twice_is_stored_and_pushed_once(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        retailer = access.principal_for(session, 10001)
        first = _submit(session, retailer, "question", "能赊账吗", clock)
        second = _submit(session, retailer, "question", "能赊账吗", clock)
        assert len(_outbox(session, "manager_request")) == 1
    assert (second.duplicate, second.request.id) == (True, first.request.id)


def test_a_one_tap_reply_sets_the_status_and_reaches_the_retailer_in_their_language(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        retailer = access.principal_for(session, 10001)
        user = session.scalar(select(User).where(User.telegram_user_id == 10001))
        assert user is not None
        user.language = "en"
        request_id = _submit(
            session, retailer, "complaint", "short delivery", clock, language="en"
        ).request.id
    with any_db.session() as session:
        manager = access.principal_for(session, 20001)
        answered = answer_request(session, manager, request_id, clock=clock, choice="handling")
        [push] = _outbox(session, "request_answer")
    assert answered.request.status == "in_progress" and answered.retailer_on_telegram
    assert push.chat_id == 10001 and push.language == "en"
    assert "Manager Wang replied to your complaint" in push.text
    assert "Status: in progress" in push.text


def test_a_written_answer_is_delivered_and_marks_the_request_answered(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        retailer = access.principal_for(session, 10002)
        request_id = _submit(session, retailer, "question", "新品什么时候到", clock).request.id
    with db.session() as session:
        manager = access.principal_for(session, 20001)
        answer_request(session, manager, request_id, clock=clock, text="下周二到货")
        [push] = _outbox(session, "request_answer")
        [view] = requests_of(session, access.principal_for(session, 10002))
    assert push.chat_id == 10002 and "下周二到货" in push.text and "新品什么时候到" in push.text
    assert (view.status, view.answer) == ("answered", "下周二到货")


def test_a_manager_of_another_territory_cannot_answer_or_read(
    any_db: Database, clock: FixedClock
) -> None:
    with any_db.session() as session:
        retailer = access.principal_for(session, 10001)
        request_id = _submit(session, retailer, "contact", "请回电", clock).request.id
    with any_db.session() as session:
        other = access.principal_for(session, 20002)
        with pytest.raises(NotYourShop):
            answer_request(session, other, request_id, clock=clock, choice="call")
        with pytest.raises(NotYourShop):
            request_for_reply(session, other, request_id)
        assert _outbox(session, "request_answer") == []


def test_a_retailer_cannot_answer_requests_and_a_manager_cannot_submit(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        retailer = access.principal_for(session, 10001)
        manager = access.principal_for(session, 20001)
        request_id = _submit(session, retailer, "contact", "请回电", clock).request.id
        with pytest.raises(WrongRole):
            answer_request(session, retailer, request_id, clock=clock, choice="call")
        with pytest.raises(WrongRole):
            _submit(session, manager, "complaint", "x", clock)
        with pytest.raises(WrongRole):
            manager_contact(session, manager, "zh")


def test_a_retailer_sees_only_their_own_requests(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        for telegram_id, text in ((10001, "R001 的问题"), (10002, "R002 的问题")):
            principal = access.principal_for(session, telegram_id)
            _submit(session, principal, "complaint", text, clock)
        mine = requests_of(session, access.principal_for(session, 10001))
    assert [r.text for r in mine] == ["R001 的问题"]


def test_an_unbound_manager_gets_no_push_but_the_request_is_logged(
    db: Database, clock: FixedClock
) -> None:
    with db.session() as session:
        manager_user = session.scalar(select(User).where(User.telegram_user_id == 20001))
        assert manager_user is not None
        manager_user.telegram_user_id = None
    with db.session() as session:
        retailer = access.principal_for(session, 10001)
        submitted = _submit(session, retailer, "contact", "请回电", clock)
        assert _outbox(session, "manager_request") == []
    assert not submitted.manager.on_telegram and submitted.request.status == "open"
