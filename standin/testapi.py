"""The control API under ``/_test/``: play the users' side and read back what the bot did.

Not part of Telegram. Tests, the terminal chat and the web chat use it to create users, send
texts, contacts and voice notes as them, tap buttons, re-deliver updates, and read the record of
every send, edit and deletion. Bodies are JSON; answers are ``{"ok": true, "result": ...}`` or
Telegram-style errors.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from standin.errors import ApiError, bad_request
from standin.formatting import command_entities
from standin.state import DemoUser, Standin

USER_FIELDS = {
    "first_name": str,
    "last_name": str,
    "username": str,
    "language_code": str,
    "phone_number": str,
    "blocked": bool,
    "started": bool,
}
Handler = Callable[[web.Request, Standin], Awaitable[Any]]


def add_test_routes(app: web.Application, key: web.AppKey[Standin]) -> None:
    """Register every ``/_test/`` route on ``app``; handlers find the state at ``app[key]``."""
    routes: list[tuple[str, str, Handler]] = [
        ("POST", "/_test/users", upsert_user),
        ("GET", "/_test/users", list_users),
        ("GET", "/_test/users/{user_id}", get_user),
        ("POST", "/_test/messages", send_text),
        ("POST", "/_test/contacts", send_contact),
        ("POST", "/_test/voices", send_voice),
        ("POST", "/_test/taps", tap),
        ("GET", "/_test/taps/{callback_query_id}", get_tap),
        ("POST", "/_test/updates/{update_id}/resend", resend_update),
        ("GET", "/_test/sent", sent_messages),
        ("GET", "/_test/chats/{chat_id}", chat_transcript),
        ("GET", "/_test/commands", commands),
        ("GET", "/_test/stats", stats),
        ("POST", "/_test/reset", reset),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _endpoint(handler, key))


def _endpoint(handler: Handler, key: web.AppKey[Standin]) -> Callable[..., Any]:
    async def endpoint(request: web.Request) -> web.Response:
        try:
            result = await handler(request, request.app[key])
        except ApiError as error:
            return web.json_response(error.as_json(), status=error.error_code)
        return web.json_response({"ok": True, "result": result})

    return endpoint


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.body_exists else {}
    except ValueError:
        raise bad_request("can't parse JSON body") from None
    if not isinstance(body, dict):
        raise bad_request("JSON object expected")
    return body


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise bad_request(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None


def _user_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {}
    for name, kind in USER_FIELDS.items():
        if name not in body:
            continue
        value = body[name]
        if value is not None and not isinstance(value, kind):
            raise bad_request(f"{name} must be {kind.__name__}")
        fields[name] = value
    return fields


async def upsert_user(request: web.Request, standin: Standin) -> dict[str, Any]:
    """``{"id", "first_name"?, ..., "blocked"?, "started"?}`` -> the user; given fields change."""
    body = await _body(request)
    user = standin.upsert_user(_int(body.get("id"), "id"), _user_fields(body))
    return user.as_json()


async def list_users(request: web.Request, standin: Standin) -> list[dict[str, Any]]:
    """Every known user, by id."""
    return [standin.users[i].as_json() for i in sorted(standin.users)]


async def get_user(request: web.Request, standin: Standin) -> dict[str, Any]:
    """One user."""
    user = standin.users.get(_int(request.match_info["user_id"], "user_id"))
    if user is None:
        raise bad_request("user not found")
    return user.as_json()


def _sent(update_id: int, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message_id": message["message_id"],
        "chat_id": message["chat"]["id"],
    }


async def send_text(request: web.Request, standin: Standin) -> dict[str, Any]:
    """``{"user_id", "text", "reply_to_message_id"?}`` -> ``{update_id, message_id, chat_id}``."""
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("text must be a non-empty string")
    content: dict[str, Any] = {"text": text}
    if entities := command_entities(text):
        content["entities"] = entities
    reply_to = body.get("reply_to_message_id")
    update_id, message = await standin.user_sends(
        _int(body.get("user_id"), "user_id"),
        content,
        reply_to_message_id=None if reply_to is None else _int(reply_to, "reply_to_message_id"),
    )
    return _sent(update_id, message)


async def send_contact(request: web.Request, standin: Standin) -> dict[str, Any]:
    """``{"user_id", "contact"?: {"phone_number"?, "user_id"?, "first_name"?, "last_name"?}}``.

    Without ``contact`` (or its fields) the user shares their own card: their phone number and
    ``contact.user_id`` equal to their id. ``contact.user_id`` may name someone else, or be
    null for a contact without a Telegram account.
    """
    body = await _body(request)
    sender = standin.chat_of(_int(body.get("user_id"), "user_id")).user
    given = body.get("contact") or {}
    if not isinstance(given, dict):
        raise bad_request("contact must be an object")
    contact = _contact(standin, sender, given)
    update_id, message = await standin.user_sends(sender.id, {"contact": contact})
    return _sent(update_id, message)


def _contact(standin: Standin, sender: DemoUser, given: dict[str, Any]) -> dict[str, Any]:
    owner_id = given.get("user_id", sender.id)
    owner = standin.users.get(owner_id) if owner_id is not None else None
    phone = given.get("phone_number") or (owner.phone_number if owner else None)
    if not isinstance(phone, str) or not phone:
        raise bad_request("phone_number is required (in contact or on the user)")
    contact: dict[str, Any] = {
        "phone_number": phone,
        "first_name": given.get("first_name") or (owner.first_name if owner else "Contact"),
    }
    last_name = given.get("last_name") or (owner.last_name if owner else None)
    if last_name:
        contact["last_name"] = last_name
    if owner_id is not None:
        contact["user_id"] = _int(owner_id, "contact.user_id")
    return contact


async def send_voice(request: web.Request, standin: Standin) -> dict[str, Any]:
    """``{"user_id", "data_base64", "duration", "mime_type"?}``: a voice note, stored as a file."""
    body = await _body(request)
    try:
        data = base64.b64decode(str(body.get("data_base64", "")), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("data_base64 is not valid base64") from None
    if not data:
        raise bad_request("voice data is empty")
    mime_type = str(body.get("mime_type") or "audio/ogg")
    stored = standin.store_file(
        data, folder="voice", extension=".oga", mime_type=mime_type, name=None
    )
    voice = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": _int(body.get("duration", 1), "duration"),
        "mime_type": mime_type,
        "file_size": len(data),
    }
    update_id, message = await standin.user_sends(
        _int(body.get("user_id"), "user_id"), {"voice": voice}
    )
    return _sent(update_id, message)


async def tap(request: web.Request, standin: Standin) -> dict[str, Any]:
    """``{"user_id", "message_id", "data"}`` -> ``{update_id, callback_query_id}``.

    The bot message must currently carry an inline button with that callback data.
    """
    body = await _body(request)
    data = body.get("data")
    if not isinstance(data, str):
        raise bad_request("data must be a string")
    update_id, query_id = await standin.user_taps(
        _int(body.get("user_id"), "user_id"), _int(body.get("message_id"), "message_id"), data
    )
    return {"update_id": update_id, "callback_query_id": query_id}


async def get_tap(request: web.Request, standin: Standin) -> dict[str, Any]:
    """A tap and the bot's ``answerCallbackQuery`` (``answer`` is null until it comes)."""
    query = standin.callbacks.get(request.match_info["callback_query_id"])
    if query is None:
        raise bad_request("callback query not found")
    return query.as_json()


async def resend_update(request: web.Request, standin: Standin) -> dict[str, Any]:
    """Deliver an update again with the same ``update_id``, as Telegram does after a failure."""
    update_id = _int(request.match_info["update_id"], "update_id")
    await standin.redeliver(update_id)
    return {"update_id": update_id}


async def sent_messages(request: web.Request, standin: Standin) -> dict[str, Any]:
    """``?chat_id=&since=`` -> ``{"messages": [...], "last_seq"}``: sends, edits, deletions.

    Each entry has ``seq``, ``chat_id``, ``method``, ``message_id``, ``text``, ``time`` (unix
    seconds) and, when present, ``reply_markup``, ``parse_mode``, ``entities``, ``attachment``.
    """
    query = request.query
    chat_id = _int(query["chat_id"], "chat_id") if query.get("chat_id") else None
    since = _int(query.get("since", 0), "since")
    entries = standin.sent_since(chat_id, since)
    return {"messages": [e.as_json() for e in entries], "last_seq": standin.last_seq()}


async def chat_transcript(request: web.Request, standin: Standin) -> dict[str, Any]:
    """A chat as the user sees it now: both sides, edits applied, the reply keyboard."""
    chat_id = _int(request.match_info["chat_id"], "chat_id")
    chat = standin.chats.get(chat_id)
    if chat is None:
        return {"chat_id": chat_id, "revision": 0, "messages": [], "reply_keyboard": None}
    return {
        "chat_id": chat_id,
        "revision": chat.revision,
        "messages": [m.as_transcript() for m in chat.messages.values()],
        "reply_keyboard": chat.reply_keyboard,
    }


async def commands(request: web.Request, standin: Standin) -> list[dict[str, Any]]:
    """The bot's default-scope command menu (``?language_code=`` for a translated one)."""
    translated = standin.commands.get(
        standin.commands_for(None, request.query.get("language_code"))
    )
    return translated or standin.commands.get(standin.commands_for(None, None), [])


async def stats(request: web.Request, standin: Standin) -> dict[str, Any]:
    """Counters: sends by method and chat, 429s, other refusals, updates, webhook posts."""
    return {**standin.stats.as_json(), "pending_updates": len(standin.queue)}


async def reset(request: web.Request, standin: Standin) -> bool:
    """Forget everything but the growing update ids and sequence numbers."""
    standin.reset()
    await standin.notify()
    return True
