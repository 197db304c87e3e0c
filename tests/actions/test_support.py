"""Contact manager, complaints and the manager's answers, as the actions run them."""

from __future__ import annotations

from sqlalchemy import select

from actions.support import (
    ActionAskAnswerText,
    ActionComplaint,
    ActionContactManager,
    ActionManagerAnswer,
    ActionManagerReply,
    ActionManagerWrite,
    ActionPendingCancel,
    ActionRequestSend,
    ActionRequestStatus,
    ValidateManagerAnswerForm,
)
from retail.db import Database
from retail.models import ManagerRequest, OutboxMessage
from tests.actions.history import Said, conversation, run, tap

COMPLAINT = Said("今天送来的货少了一条芙蓉王", "complaint", message_id="c0ffee00c0ffee00")


def _requests(db: Database) -> list[ManagerRequest]:
    with db.session() as session:
        return list(session.scalars(select(ManagerRequest).order_by(ManagerRequest.id)))


def _outbox(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        return list(rows)


async def test_a_complaint_is_offered_first_and_nothing_is_written(run_action, db) -> None:
    messages, _ = await run(ActionComplaint(), conversation("10001", COMPLAINT))
    [message] = messages
    assert "王经理" in message["text"] and "少了一条芙蓉王" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        '/request_send{"ref":"f:c0ffee00c0ff"}',
        "/pending_cancel",
    ]
    assert _requests(db) == [] and _outbox(db, "manager_request") == []


async def test_tapping_send_logs_the_complaint_and_notifies_the_manager(run_action, db) -> None:
    tracker = conversation("10001", COMPLAINT, tap("request_send", "c:c0ffee00c0ff"))
    messages, _ = await run(ActionRequestSend(), tracker)
    [request] = _requests(db)
    [push] = _outbox(db, "manager_request")
    assert (request.kind, request.text, request.status) == (
        "complaint",
        "今天送来的货少了一条芙蓉王",
        "open",
    )
    assert push.chat_id == 20001
    payloads = [b["payload"] for b in push.buttons]
    assert payloads == [
        f'/manager_reply{{"ref":"{request.id}:handling"}}',
        f'/manager_reply{{"ref":"{request.id}:resolved"}}',
        f'/manager_write{{"ref":"{request.id}"}}',
    ]
    assert all(len(p.encode()) <= 64 for p in payloads)
    assert f"#{request.id}" in messages[0]["text"]
    assert messages[0]["buttons"] == [{"title": "📋 查看处理进度", "payload": "/complaint_status"}]


async def test_a_tap_whose_message_is_no_longer_known_changes_nothing(run_action, db) -> None:
    tracker = conversation("10001", tap("request_send", "c:deadbeef0000"))
    messages, _ = await run(ActionRequestSend(), tracker)
    assert messages[0]["text"] == "这个按钮已失效,请重新发起。"
    assert _requests(db) == []


async def test_contact_manager_shows_the_phone_and_offers_a_call_back(run_action) -> None:
    said = Said("让经理给我打电话 急", "contact_manager", message_id="feedfacefeedface")
    messages, _ = await run(ActionContactManager(), conversation("10001", said))
    assert "王经理" in messages[0]["text"] and "13907318801" in messages[0]["text"]
    assert messages[-1]["buttons"][0]["payload"] == '/request_send{"ref":"m:feedfacefeed"}'


async def test_the_contact_button_from_the_menu_sends_a_standard_message(run_action, db) -> None:
    messages, _ = await run(ActionRequestSend(), conversation("10001", tap("request_send", "m:-")))
    [request] = _requests(db)
    assert (request.kind, request.text) == ("contact", "请客户经理联系我。")
    assert "王经理" in messages[0]["text"]


async def test_asking_about_complaints_lists_them_with_status_and_answer(run_action, db) -> None:
    await run(
        ActionRequestSend(), conversation("10001", COMPLAINT, tap("request_send", "c:c0ffee00c0ff"))
    )
    [request] = _requests(db)
    await run(
        ActionManagerReply(), conversation("20001", tap("manager_reply", f"{request.id}:handling"))
    )
    messages, _ = await run(
        ActionComplaint(), conversation("10001", Said("我的投诉处理得怎么样了", "complaint"))
    )
    text = messages[0]["text"]
    assert f"#{request.id}" in text and "处理中" in text and "收到,正在处理" in text
    again, _ = await run(ActionRequestStatus(), conversation("10001", tap("complaint_status")))
    assert again[0]["text"] == text


async def test_a_manager_one_tap_reply_reaches_the_retailer(run_action, db) -> None:
    await run(
        ActionRequestSend(), conversation("10001", COMPLAINT, tap("request_send", "c:c0ffee00c0ff"))
    )
    [request] = _requests(db)
    messages, _ = await run(
        ActionManagerReply(), conversation("20001", tap("manager_reply", f"{request.id}:resolved"))
    )
    [push] = _outbox(db, "request_answer")
    assert "已回复张记烟酒" in messages[0]["text"] and "已解决" in messages[0]["text"]
    assert push.chat_id == 10001 and "已经处理完毕" in push.text


async def test_a_manager_of_another_territory_is_refused_politely(run_action, db) -> None:
    await run(
        ActionRequestSend(), conversation("10001", COMPLAINT, tap("request_send", "c:c0ffee00c0ff"))
    )
    [request] = _requests(db)
    messages, _ = await run(
        ActionManagerReply(), conversation("20002", tap("manager_reply", f"{request.id}:resolved"))
    )
    assert messages[0]["text"] == "抱歉,您只能查看自己负责或自己店铺的信息。"
    assert _outbox(db, "request_answer") == []
    _, events = await run(
        ActionManagerWrite(), conversation("20002", tap("manager_write", str(request.id)))
    )
    assert events == [{"event": "slot", "timestamp": None, "name": "answer_request", "value": None}]


async def test_a_written_reply_goes_through_the_form_to_the_retailer(run_action, db) -> None:
    question = Said("新品什么时候到", "ask_policy", message_id="9999aaaa9999aaaa")
    await run(
        ActionRequestSend(), conversation("10001", question, tap("request_send", "q:9999aaaa9999"))
    )
    [request] = _requests(db)
    write = conversation("20001", tap("manager_write", str(request.id)))
    messages, events = await run(ActionManagerWrite(), write)
    assert messages == [] and events[0]["value"] == str(request.id)

    slots = {"answer_request": str(request.id)}
    prompt, _ = await run(
        ActionAskAnswerText(), conversation("20001", tap("manager_write"), slots=slots)
    )
    assert "张记烟酒" in prompt[0]["text"] and "新品什么时候到" in prompt[0]["text"]

    validator = ValidateManagerAnswerForm()
    assert validator.validate_answer_text("下周二到货", None, None, {}) == {
        "answer_text": "下周二到货"
    }
    assert validator.validate_answer_text("/manager_reply", None, None, {}) == {"answer_text": None}

    slots["answer_text"] = "下周二到货"
    done, events = await run(
        ActionManagerAnswer(), conversation("20001", Said("下周二到货", "inform"), slots=slots)
    )
    [push] = _outbox(db, "request_answer")
    assert push.chat_id == 10001 and "下周二到货" in push.text
    assert "已回复张记烟酒" in done[0]["text"]
    assert {e["name"]: e["value"] for e in events} == {"answer_request": None, "answer_text": None}


async def test_cancelling_a_written_reply_sends_nothing(run_action, db) -> None:
    await run(
        ActionRequestSend(), conversation("10001", COMPLAINT, tap("request_send", "c:c0ffee00c0ff"))
    )
    [request] = _requests(db)
    validated = ValidateManagerAnswerForm().validate_answer_text("取消", None, None, {})
    slots = {"answer_request": str(request.id), **validated}
    messages, _ = await run(
        ActionManagerAnswer(), conversation("20001", Said("取消", "deny"), slots=slots)
    )
    assert messages[0]["text"] == "好的,没有发送回复。"
    assert _outbox(db, "request_answer") == []


async def test_a_manager_cannot_complain_or_contact_a_manager(run_action) -> None:
    messages, _ = await run_action(ActionComplaint(), "20001", "送货太晚了", "complaint")
    assert messages[0]["text"] == "抱歉,这项功能不适用于您的账号类型。"
    messages, _ = await run_action(ActionContactManager(), "20001", "找经理", "contact_manager")
    assert messages[0]["text"] == "抱歉,这项功能不适用于您的账号类型。"


async def test_cancel_says_nothing_changed(run_action) -> None:
    messages, _ = await run_action(
        ActionPendingCancel(), "10001", "/pending_cancel", "pending_cancel"
    )
    assert messages[0]["text"] == "好的,已取消,没有做任何更改。"


async def test_a_managers_grievance_about_one_of_their_shops_is_drafted_as_a_visit_note(
    run_action,
) -> None:
    messages, _ = await run_action(
        ActionComplaint(), "20001", "今天上午去了张记烟酒 价签不太行 不满意", "complaint"
    )
    assert "张记烟酒" in messages[0]["text"]
    assert messages[0]["text"] != "抱歉,这项功能不适用于您的账号类型。"
