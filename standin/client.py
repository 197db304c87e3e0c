"""An async client for the stand-in's test API, for tests, benchmarks and the chat front ends.

Use it as ``async with StandinClient("http://127.0.0.1:8081") as standin: ...``: it plays the
users (texts, contacts, voice notes, button taps, re-delivered updates) and reads back what the
bot sent. The bot itself talks to the stand-in through the ordinary Bot API.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Collection
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

SentMessage = dict[str, Any]
"""A record entry: ``seq``, ``chat_id``, ``method``, ``message_id``, ``text``, ``time`` and,
when present, ``reply_markup``, ``parse_mode``, ``entities``, ``attachment``."""

POLL_SECONDS = 0.05


class StandinError(Exception):
    """The test API refused a call; ``status`` and ``description`` say why."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description


@dataclass(frozen=True)
class UserMessage:
    """What a user-side send created: the update the bot will get and the message in it."""

    update_id: int
    message_id: int
    chat_id: int


@dataclass(frozen=True)
class Tap:
    """What a button tap created: the update and the callback query id the bot must answer."""

    update_id: int
    callback_query_id: str


class StandinClient:
    """The stand-in's ``/_test/`` API over one aiohttp session."""

    def __init__(self, base_url: str, *, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> StandinClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(method, f"{self.base_url}{path}", **kwargs) as response:
            text = await response.text()
        try:
            body = json.loads(text)
        except ValueError:
            raise StandinError(response.status, text[:200]) from None
        if not isinstance(body, dict):
            raise StandinError(response.status, text[:200])
        if not body.get("ok"):
            raise StandinError(body.get("error_code", response.status), body.get("description", ""))
        return body["result"]

    async def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        phone_number: str | None = None,
        blocked: bool | None = None,
        started: bool | None = None,
    ) -> dict[str, Any]:
        """Create a user or change the given fields; returns the user.

        ``blocked=True`` makes the bot's sends fail with 403 "bot was blocked by the user";
        ``started=False`` makes them fail with "bot can't initiate conversation with a user"
        until the user writes first.
        """
        given = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
            "phone_number": phone_number,
            "blocked": blocked,
            "started": started,
        }
        body = {"id": user_id, **{k: v for k, v in given.items() if v is not None}}
        result: dict[str, Any] = await self._call("POST", "/_test/users", json=body)
        return result

    async def send_text(
        self, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> UserMessage:
        """The user writes ``text`` to the bot (a ``/command`` gets its bot_command entity)."""
        body: dict[str, Any] = {"user_id": user_id, "text": text}
        if reply_to_message_id is not None:
            body["reply_to_message_id"] = reply_to_message_id
        return UserMessage(**await self._call("POST", "/_test/messages", json=body))

    async def send_contact(
        self,
        user_id: int,
        *,
        phone_number: str | None = None,
        contact_user_id: int | None = None,
        first_name: str | None = None,
    ) -> UserMessage:
        """The user shares a contact: their own by default (their phone, ``user_id`` = theirs).

        Pass ``contact_user_id`` to share someone else's card, as a spoofing attempt would.
        """
        contact: dict[str, Any] = {}
        if phone_number is not None:
            contact["phone_number"] = phone_number
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        if first_name is not None:
            contact["first_name"] = first_name
        body = {"user_id": user_id, "contact": contact}
        return UserMessage(**await self._call("POST", "/_test/contacts", json=body))

    async def send_voice(
        self, user_id: int, data: bytes, *, duration: int, mime_type: str = "audio/ogg"
    ) -> UserMessage:
        """The user records a voice note; the bot can fetch ``data`` through getFile."""
        body = {
            "user_id": user_id,
            "data_base64": base64.b64encode(data).decode(),
            "duration": duration,
            "mime_type": mime_type,
        }
        return UserMessage(**await self._call("POST", "/_test/voices", json=body))

    async def tap(self, user_id: int, message_id: int, data: str) -> Tap:
        """The user taps the inline button with callback ``data`` under bot message ``message_id``.

        Fails (StandinError 400) if that message does not carry such a button now.
        """
        body = {"user_id": user_id, "message_id": message_id, "data": data}
        return Tap(**await self._call("POST", "/_test/taps", json=body))

    async def callback_answer(self, callback_query_id: str) -> dict[str, Any] | None:
        """The bot's answerCallbackQuery for a tap (``text``, ``show_alert``, ``url``), if any."""
        query = await self._call("GET", f"/_test/taps/{callback_query_id}")
        answer: dict[str, Any] | None = query["answer"]
        return answer

    async def resend_update(self, update_id: int) -> None:
        """Deliver an update again with the same ``update_id`` (tests the bot's de-duplication)."""
        await self._call("POST", f"/_test/updates/{update_id}/resend")

    async def sent_messages(
        self, chat_id: int | None = None, *, since: int = 0
    ) -> list[SentMessage]:
        """What the bot sent, edited or deleted after sequence number ``since``, oldest first."""
        params = {"since": str(since)}
        if chat_id is not None:
            params["chat_id"] = str(chat_id)
        result = await self._call("GET", "/_test/sent", params=params)
        messages: list[SentMessage] = result["messages"]
        return messages

    async def last_seq(self) -> int:
        """The newest sequence number: pass it as ``since`` to see only what comes next."""
        result = await self._call("GET", "/_test/sent", params={"since": "0", "chat_id": "0"})
        return int(result["last_seq"])

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        *,
        since: int = 0,
        timeout: float = 10.0,
        methods: Collection[str] | None = None,
    ) -> list[SentMessage]:
        """Poll until the bot has done ``count`` things in ``chat_id`` after ``since``.

        ``methods`` (e.g. ``{"sendMessage"}``) counts only those. Raises TimeoutError, naming
        what did arrive, when ``timeout`` passes first.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            messages = await self.sent_messages(chat_id, since=since)
            if methods is not None:
                messages = [m for m in messages if m["method"] in methods]
            if len(messages) >= count:
                return messages
            if loop.time() >= deadline:
                texts = [m.get("text") for m in messages]
                raise TimeoutError(f"chat {chat_id}: {len(messages)} of {count} came: {texts}")
            await asyncio.sleep(POLL_SECONDS)

    async def transcript(self, chat_id: int) -> dict[str, Any]:
        """The chat as the user sees it: ``messages`` of both sides, ``reply_keyboard``."""
        result: dict[str, Any] = await self._call("GET", f"/_test/chats/{chat_id}")
        return result

    async def stats(self) -> dict[str, Any]:
        """Counters: ``sent`` by method, ``sent_total``, ``too_many_requests``, ``chats``..."""
        result: dict[str, Any] = await self._call("GET", "/_test/stats")
        return result

    async def reset(self) -> None:
        """Forget users, chats, updates and records (the bot's webhook and commands stay)."""
        await self._call("POST", "/_test/reset")
