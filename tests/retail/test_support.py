"""Requests to managers: logged, pushed to the manager, answered back, access-checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from retail import access
from retail.clock import FixedClock
from retail.db import Database
from retail.errors import NotYourShop, WrongRole
from retail.models import ManagerRequest, OutboxMessage, User
from retail.support import (
    answer_request,
    asks_for_status,
    manager_contact,
    request_for_reply,
    requests_of,
    submit_request,
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
        submitted = submit_request(
            session,
            retailer,
            kind="complaint",
            text="今天送来的货少了一条芙蓉王",
            clock=clock,
            language="zh",
        )
        [push] = _outbox(session, "manager_request")
        request = session.get(ManagerRequest, submitted.request.id)
        assert request is not None and request.status == "open"
    assert submitted.manager.name == "王经理" and submitted.manager.on_telegram
    assert push.chat_id == 20001
    assert "张记烟酒" in push.text and "R001" in push.text and "少了一条芙蓉王" in push.text
    payloads = [b["payload"] for b in push.buttons]
    assert payloads == [
        f'/manager_reply{{"ref":"{submitted.request.id}:handling"}}',
        f'/manager_reply{{"ref":"{submitted.request.id}:resolved"}}',
        f'/manager_write{{"ref":"{submitted.request.id}"}}',
    ]
    assert all(len(p.encode()) <= 64 for p in payloads)


def test_the_same_request_twice_is_stored_and_pushed_once(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        retailer = access.principal_for(session, 10001)
        first = submit_request(
            session, retailer, kind="question", text="能赊账吗", clock=clock, language="zh"
        )
        second = submit_request(
            session, retailer, kind="question", text="能赊账吗", clock=clock, language="zh"
        )
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
        request_id = submit_request(
            session, retailer, kind="complaint", text="short delivery", clock=clock, language="en"
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
        request_id = submit_request(
            session, retailer, kind="question", text="新品什么时候到", clock=clock, language="zh"
        ).request.id
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
        request_id = submit_request(
            session, retailer, kind="contact", text="请回电", clock=clock, language="zh"
        ).request.id
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
        request_id = submit_request(
            session, retailer, kind="contact", text="请回电", clock=clock, language="zh"
        ).request.id
        with pytest.raises(WrongRole):
            answer_request(session, retailer, request_id, clock=clock, choice="call")
        with pytest.raises(WrongRole):
            submit_request(session, manager, kind="complaint", text="x", clock=clock, language="zh")
        with pytest.raises(WrongRole):
            manager_contact(session, manager, "zh")


def test_a_retailer_sees_only_their_own_requests(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        for telegram_id, text in ((10001, "R001 的问题"), (10002, "R002 的问题")):
            principal = access.principal_for(session, telegram_id)
            submit_request(
                session, principal, kind="complaint", text=text, clock=clock, language="zh"
            )
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
        submitted = submit_request(
            session, retailer, kind="contact", text="请回电", clock=clock, language="zh"
        )
        assert _outbox(session, "manager_request") == []
    assert not submitted.manager.on_telegram and submitted.request.status == "open"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的投诉处理得怎么样了", True),
        ("上次反映的问题有结果了吗", True),
        ("any update on my complaint?", True),
        ("经理回复我了吗", True),
        ("has my manager replied", True),
        ("让经理明天来店里一趟", False),
        ("最近新品怎么样了", False),
        ("今天送来的货少了一条芙蓉王", False),
        ("the delivery guy was rude", False),
    ],
)
def test_status_questions_are_told_from_new_complaints(text: str, expected: bool) -> None:
    assert asks_for_status(text) is expected
