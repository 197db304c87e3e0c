"""Requests a retailer passes to their customer manager, and the manager's answers.

Three kinds go the same way: a ``question`` the assistant could not answer for sure, a
``contact`` request ("have my manager call me") and a ``complaint``. Each becomes a
:class:`~retail.models.ManagerRequest` and, in the same transaction, a Telegram message to the
manager through the outbox, with one-tap replies (:data:`QUICK_REPLIES`) and a "write a reply"
button. The manager's answer updates the request's status and goes back to the retailer through
the outbox too, so a retailer can always ask what became of what they sent.

Statuses: ``open`` until the manager answers; ``in_progress`` after "I'll call" / "I'm on it";
``answered`` after a written reply; ``resolved`` after "resolved".

Access: a retailer submits and reads only their own shop's requests; a manager answers only
requests of shops in their territory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.access import Principal, own_shop, require_retailer
from retail.clock import Clock
from retail.errors import RecordNotFound, WrongRole
from retail.i18n import format_datetime, supported, t
from retail.models import Manager, ManagerRequest, Retailer, User
from retail.outbox import PushButton, enqueue

KINDS = ("question", "contact", "complaint")
QUICK_REPLIES: dict[str, str] = {
    "call": "in_progress",
    "visit": "in_progress",
    "handling": "in_progress",
    "resolved": "resolved",
}
"""One-tap answers a manager can send, and the status each one sets."""

QUICK_REPLIES_BY_KIND: dict[str, tuple[str, ...]] = {
    "question": ("call",),
    "contact": ("call", "visit"),
    "complaint": ("handling", "resolved"),
}
MAX_TEXT = 2000
SAME_REQUEST_WITHIN = timedelta(hours=24)
WRITE = "write"
"""The choice of the manager's "write a reply" button (the others are :data:`QUICK_REPLIES`)."""
ReplyPayload = Callable[[int, str], str]
"""What a manager's button sends back when tapped, given the request id and the choice (a
:data:`QUICK_REPLIES` key or :data:`WRITE`). The adapter that will receive the tap writes it:
this module knows the choices, not how a tap is addressed."""


@dataclass(frozen=True)
class RequestView:
    """A request as either side sees it."""

    id: int
    kind: str
    text: str
    status: str
    created_at: datetime
    answer: str
    answered_at: datetime | None
    retailer_code: str
    retailer_name: str


@dataclass(frozen=True)
class ManagerContact:
    """Who a retailer's customer manager is and whether they get Telegram messages."""

    name: str
    phone: str
    on_telegram: bool


@dataclass(frozen=True)
class Submitted:
    """What happened to a submitted request."""

    request: RequestView
    manager: ManagerContact
    duplicate: bool


@dataclass(frozen=True)
class Answered:
    """What happened to a manager's answer."""

    request: RequestView
    retailer_on_telegram: bool
    retailer_phone: str


def _view(request: ManagerRequest, retailer: Retailer) -> RequestView:
    return RequestView(
        id=request.id,
        kind=request.kind,
        text=request.text,
        status=request.status,
        created_at=request.created_at,
        answer=request.answer,
        answered_at=request.answered_at,
        retailer_code=retailer.code,
        retailer_name=retailer.name,
    )


def _telegram_user(session: Session, **link: int) -> User | None:
    """The bound user of a retailer or manager (the one with a Telegram account), if any."""
    query = select(User).where(User.telegram_user_id.is_not(None))
    for column, value in link.items():
        query = query.where(getattr(User, column) == value)
    return session.scalar(query.order_by(User.id).limit(1))


def manager_contact(session: Session, principal: Principal, language: str) -> ManagerContact:
    """The asking retailer's own customer manager (WrongRole for anyone else)."""
    retailer = own_shop(session, principal)
    manager = session.get(Manager, retailer.manager_id)
    if manager is None:
        raise RecordNotFound()
    name = manager.display_zh if supported(language) == "zh" else manager.display_en
    on_telegram = _telegram_user(session, manager_id=manager.id) is not None
    return ManagerContact(name=name, phone=manager.phone, on_telegram=on_telegram)


def _notify_manager(
    session: Session,
    request: ManagerRequest,
    retailer: Retailer,
    *,
    clock: Clock,
    reply_payload: ReplyPayload,
) -> bool:
    """Push the request to the manager with one-tap replies; False if they are not on Telegram."""
    user = _telegram_user(session, manager_id=request.manager_id)
    if user is None or user.telegram_user_id is None:
        return False
    language = supported(user.language)
    owner = retailer.owner or retailer.name
    text = t(
        language,
        f"support.notify.{request.kind}",
        shop=retailer.name,
        code=retailer.code,
        owner=owner,
        phone=retailer.phone,
        text=request.text,
        at=format_datetime(request.created_at, language),
        id=request.id,
    )
    buttons = [
        PushButton(t(language, f"support.quick.{choice}.button"), reply_payload(request.id, choice))
        for choice in (*QUICK_REPLIES_BY_KIND[request.kind], WRITE)
    ]
    enqueue(
        session,
        dedupe_key=f"request:{request.id}:notify",
        kind="manager_request",
        chat_id=user.telegram_user_id,
        language=language,
        text=text,
        clock=clock,
        retailer_id=retailer.id,
        buttons=buttons,
    )
    return True


def submit_request(
    session: Session,
    principal: Principal,
    *,
    kind: str,
    text: str,
    clock: Clock,
    language: str,
    reply_payload: ReplyPayload,
) -> Submitted:
    """Log a retailer's question, contact request or complaint and notify their manager, with
    a button per one-tap reply and one to write a reply (each sending ``reply_payload``).

    The same text sent again within a day (a double tap, a repeated message) is the same
    request: nothing new is stored and the manager is not notified twice.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    retailer = own_shop(session, principal)
    body = text.strip()[:MAX_TEXT]
    if not body:
        raise ValueError("a request needs some text")
    contact = manager_contact(session, principal, language)
    now = clock.now()
    existing = session.scalar(
        select(ManagerRequest)
        .where(
            ManagerRequest.retailer_id == retailer.id,
            ManagerRequest.kind == kind,
            ManagerRequest.text == body,
            ManagerRequest.created_at >= now - SAME_REQUEST_WITHIN,
        )
        .order_by(ManagerRequest.id.desc())
        .limit(1)
    )
    if existing is not None:
        return Submitted(_view(existing, retailer), contact, duplicate=True)
    request = ManagerRequest(
        retailer_id=retailer.id,
        manager_id=retailer.manager_id,
        kind=kind,
        text=body,
        status="open",
        created_at=now,
        answer="",
    )
    session.add(request)
    session.flush()
    _notify_manager(session, request, retailer, clock=clock, reply_payload=reply_payload)
    return Submitted(_view(request, retailer), contact, duplicate=False)


def requests_of(session: Session, principal: Principal, *, limit: int = 5) -> list[RequestView]:
    """The asking retailer's most recent requests, newest first (own shop only)."""
    retailer = own_shop(session, principal)
    rows = session.scalars(
        select(ManagerRequest)
        .where(ManagerRequest.retailer_id == retailer.id)
        .order_by(ManagerRequest.created_at.desc(), ManagerRequest.id.desc())
        .limit(limit)
    )
    return [_view(row, retailer) for row in rows]


def _managed_request(
    session: Session, principal: Principal, request_id: int
) -> tuple[ManagerRequest, Retailer]:
    """The request, if this principal is a manager whose territory holds its shop."""
    if not principal.is_manager:
        raise WrongRole()
    request = session.get(ManagerRequest, request_id)
    if request is None:
        raise RecordNotFound()
    retailer = require_retailer(session, principal, request.retailer_id)
    return request, retailer


def request_for_reply(session: Session, principal: Principal, request_id: int) -> RequestView:
    """The request a manager is about to answer (access-checked)."""
    request, retailer = _managed_request(session, principal, request_id)
    return _view(request, retailer)


def answer_request(
    session: Session,
    principal: Principal,
    request_id: int,
    *,
    clock: Clock,
    choice: str | None = None,
    text: str | None = None,
) -> Answered:
    """A manager answers a request with a one-tap ``choice`` or their own ``text``.

    The status follows the answer (:data:`QUICK_REPLIES`; a written answer marks it
    ``answered`` unless it was already resolved), and the retailer gets the answer in their
    language through the outbox. Answering twice the same way sends it once.
    """
    request, retailer = _managed_request(session, principal, request_id)
    manager = session.get(Manager, request.manager_id)
    if choice is not None:
        if choice not in QUICK_REPLIES:
            raise ValueError(f"unknown quick reply {choice!r}")
        request.status = QUICK_REPLIES[choice]
        dedupe = f"request:{request.id}:reply:{choice}"
    else:
        body = (text or "").strip()[:MAX_TEXT]
        if not body:
            raise ValueError("an answer needs some text")
        if request.status != "resolved":
            request.status = "answered"
        digest = hashlib.sha1(body.encode()).hexdigest()[:12]
        dedupe = f"request:{request.id}:answer:{digest}"
    user = _telegram_user(session, retailer_id=retailer.id)
    language = supported(user.language if user is not None else retailer.language)
    manager_name = ""
    if manager is not None:
        manager_name = manager.display_zh if language == "zh" else manager.display_en
    reply = t(language, f"support.quick.{choice}.text") if choice else body
    request.answer = reply
    request.answered_at = clock.now()
    session.flush()
    if user is not None and user.telegram_user_id is not None:
        enqueue(
            session,
            dedupe_key=dedupe,
            kind="request_answer",
            chat_id=user.telegram_user_id,
            language=language,
            text=t(
                language,
                f"support.answer.{request.kind}",
                manager=manager_name,
                question=_clip(request.text, 80),
                answer=reply,
                status=t(language, f"support.status.{request.status}"),
            ),
            clock=clock,
            retailer_id=retailer.id,
        )
    return Answered(
        request=_view(request, retailer),
        retailer_on_telegram=user is not None,
        retailer_phone=retailer.phone,
    )


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for quoting in a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str, limit: int = 80) -> str:
    """A user's text shortened for quoting back to them."""
    return _clip(" ".join(text.split()), limit)
