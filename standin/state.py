"""The stand-in's memory: users, their chats with the bot, files, updates and the send record.

Everything the Bot API and the test API do goes through :class:`Standin`. Its methods are plain
synchronous state changes (one event loop, so each is atomic); the few that wake waiting long
polls or the webhook dispatcher are ``async`` and notify :attr:`Standin.changed`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from standin.errors import bad_request, forbidden, too_many_requests
from standin.limits import FloodGate, FloodLimits
from standin.updates import UpdateQueue

DEMO_BOT_USERNAME = "retail_demo_bot"
DEMO_BOT_NAME = "Retail Demo Bot"
UPDATE_ID_EPOCH = 1_700_000_000


def default_first_update_id(now: float | None = None) -> int:
    """A first update id that grows with the wall clock (10 a second since Nov 2023).

    Telegram's update ids only ever grow; a bot that remembers handled ids (to drop duplicates)
    would ignore new messages if a restarted stand-in counted from 1 again.
    """
    seconds = (time.time() if now is None else now) - UPDATE_ID_EPOCH
    return max(1, int(seconds * 10))


@dataclass
class DemoUser:
    """A Telegram user who chats with the bot through the stand-in.

    ``started`` means the user has opened the chat with the bot (Telegram lets a bot message
    only such users); ``blocked`` means they have since blocked it.
    """

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str | None = None
    blocked: bool = False
    started: bool = True

    def as_user(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        user.update({k: v for k, v in optional.items() if v is not None})
        return user

    def as_chat(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of this user's private chat with the bot."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        optional = {"last_name": self.last_name, "username": self.username}
        chat.update({k: v for k, v in optional.items() if v is not None})
        return chat

    def as_json(self) -> dict[str, Any]:
        """Every field, for the test API."""
        return asdict(self)


@dataclass
class StoredFile:
    """Bytes a user or the bot uploaded, reachable by ``getFile`` and the file URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str | None = None
    file_name: str | None = None

    def as_file(self) -> dict[str, Any]:
        """The Bot API ``File`` object (``file_path`` relative, as Telegram returns it)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class ChatMessage:
    """A message as it stands now in a chat, with who sent it and when."""

    message: dict[str, Any]
    sender: str
    time: float

    def as_transcript(self) -> dict[str, Any]:
        """A compact view for chat front ends."""
        item: dict[str, Any] = {
            "message_id": self.message["message_id"],
            "sender": self.sender,
            "time": self.time,
            "text": self.message.get("text", self.message.get("caption")),
            "reply_markup": self.message.get("reply_markup"),
            "edited": "edit_date" in self.message,
        }
        for kind in ("contact", "voice", "document", "audio"):
            if kind in self.message:
                item[kind] = self.message[kind]
        return item


@dataclass
class Chat:
    """A private chat between one user and the bot."""

    user: DemoUser
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None
    next_message_id: int = 1
    revision: int = 0

    def new_message_id(self) -> int:
        """Message ids grow per chat, shared by both sides, as in Telegram private chats."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class SentEntry:
    """One thing the bot did in a chat: a send, an edit or a deletion."""

    seq: int
    chat_id: int
    method: str
    message_id: int
    time: float
    text: str | None = None
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] | None = None
    attachment: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The test API's view; empty optional fields are left out."""
        entry = asdict(self)
        return {k: v for k, v in entry.items() if v is not None or k == "text"}


@dataclass
class CallbackQuery:
    """A tap, and the bot's answer to it once ``answerCallbackQuery`` arrives."""

    id: str
    chat_id: int
    message_id: int
    data: str
    time: float
    answer: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """The test API's view."""
        return asdict(self)


@dataclass
class WebhookConfig:
    """What ``setWebhook`` set, and how delivery has gone."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Stats:
    """Counters a benchmark reads back: sends by method and chat, 429s, other refusals."""

    sent_by_method: Counter[str] = field(default_factory=Counter)
    calls_by_method: Counter[str] = field(default_factory=Counter)
    limited_by_method: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    sent_by_chat: Counter[int] = field(default_factory=Counter)
    limited_by_chat: Counter[int] = field(default_factory=Counter)
    updates_created: int = 0
    webhook_posts: int = 0
    webhook_failures: int = 0
    first_sent_at: float | None = None
    last_sent_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        """The test API's ``/_test/stats`` body."""
        chats = {
            str(c): {"sent": self.sent_by_chat[c], "too_many_requests": self.limited_by_chat[c]}
            for c in sorted(set(self.sent_by_chat) | set(self.limited_by_chat))
        }
        return {
            "sent": dict(self.sent_by_method),
            "sent_total": sum(self.sent_by_chat.values()),
            "too_many_requests": sum(self.limited_by_method.values()),
            "too_many_requests_by_method": dict(self.limited_by_method),
            "calls": dict(self.calls_by_method),
            "errors": dict(self.errors),
            "chats": chats,
            "updates_created": self.updates_created,
            "webhook_posts": self.webhook_posts,
            "webhook_failures": self.webhook_failures,
            "first_sent_at": self.first_sent_at,
            "last_sent_at": self.last_sent_at,
        }


class Standin:
    """All state of one stand-in server; built by :func:`standin.server.create_app`."""

    def __init__(
        self,
        *,
        limits: FloodLimits | None = None,
        first_update_id: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits or FloodLimits()
        self.clock = clock
        self.changed = asyncio.Condition()
        self.closing = False
        self._next_update_id = first_update_id or default_first_update_id()
        self._ids = itertools.count(1)
        self._poll_generation = 0
        self._seq = 0
        self._revision = 0
        self.webhook = WebhookConfig()
        self.allowed_updates: frozenset[str] | None = None
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.reset()

    def reset(self) -> None:
        """Forget users, chats, files, updates, records and counters.

        The bot's own settings (webhook, commands, allowed updates) stay, and update ids, record
        sequence numbers and chat revisions keep growing, so a running bot and a client holding
        a ``since`` cursor carry on across a reset.
        """
        self.gate = FloodGate(self.limits)
        self.users: dict[int, DemoUser] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.queue = UpdateQueue()
        self.history: dict[int, dict[str, Any]] = {}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.log: list[SentEntry] = []
        self.stats = Stats()

    def commands_for(self, scope: dict[str, Any] | None, language_code: str | None) -> str:
        """The key under which :attr:`commands` keeps one scope's menu in one language."""
        scope = scope or {"type": "default"}
        return f"{json.dumps(scope, sort_keys=True)}|{language_code or ''}"

    async def notify(self) -> None:
        """Wake long polls and the webhook dispatcher: something changed."""
        async with self.changed:
            self.changed.notify_all()

    def now(self) -> float:
        """Wall-clock time in seconds."""
        return self.clock()

    def new_poll(self) -> int:
        """Start a ``getUpdates`` call; an older one still waiting will end with 409 Conflict."""
        self._poll_generation += 1
        return self._poll_generation

    def poll_superseded(self, generation: int) -> bool:
        """True when a newer ``getUpdates`` call replaced the one started as ``generation``."""
        return generation != self._poll_generation

    # users and their side of the chat

    def upsert_user(self, user_id: int, fields: dict[str, Any]) -> DemoUser:
        """Create or change a user; only the given fields change (``first_name`` stays set)."""
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = DemoUser(id=user_id, first_name=f"User {user_id}")
        for name, value in fields.items():
            if name == "id" or not hasattr(user, name) or (name == "first_name" and not value):
                continue
            setattr(user, name, value)
        return user

    def chat_of(self, user_id: int) -> Chat:
        """The user's private chat with the bot, created (and the user too) on first use."""
        chat = self.chats.get(user_id)
        if chat is None:
            user = self.users.get(user_id) or self.upsert_user(user_id, {})
            chat = self.chats[user_id] = Chat(user=user)
        return chat

    def touch(self, chat: Chat) -> None:
        """Mark a chat changed so front ends re-read it."""
        self._revision += 1
        chat.revision = self._revision

    async def user_sends(
        self, user_id: int, content: dict[str, Any], *, reply_to_message_id: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        """A message from the user to the bot: stored, and queued as an update.

        Writing to the bot opens the chat and lifts a block, as pressing "Restart" does.
        """
        chat = self.chat_of(user_id)
        chat.user.started, chat.user.blocked = True, False
        message: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "from": chat.user.as_user(),
            "chat": chat.user.as_chat(),
            "date": int(self.now()),
            **content,
        }
        if reply_to_message_id is not None:
            message["reply_to_message"] = self.message_in(chat, reply_to_message_id).message
        chat.messages[message["message_id"]] = ChatMessage(message, "user", self.now())
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        self.touch(chat)
        update_id = await self.add_update({"message": message})
        return update_id, message

    async def user_taps(self, user_id: int, message_id: int, data: str) -> tuple[int, str]:
        """A tap on an inline button under a bot message; the button must be there now."""
        chat = self.chat_of(user_id)
        held = self.message_in(chat, message_id)
        markup = held.message.get("reply_markup") or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        if held.sender != "bot" or not any(b.get("callback_data") == data for b in buttons):
            raise bad_request("no inline button with this callback data on that message")
        query_id = str(next(self._ids) * 1_000_003 + secrets.randbelow(1000))
        self.callbacks[query_id] = CallbackQuery(
            query_id, chat.user.id, message_id, data, self.now()
        )
        query = {
            "id": query_id,
            "from": chat.user.as_user(),
            "message": held.message,
            "chat_instance": hashlib.sha1(f"chat:{chat.user.id}".encode()).hexdigest()[:16],
            "data": data,
        }
        update_id = await self.add_update({"callback_query": query})
        return update_id, query_id

    async def add_update(self, body: dict[str, Any]) -> int:
        """Give ``body`` the next update id, remember it and queue it for the bot."""
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        self.history[update["update_id"]] = update
        self.queue.push(update)
        self.stats.updates_created += 1
        await self.notify()
        return int(update["update_id"])

    async def redeliver(self, update_id: int) -> None:
        """Queue an update already created once more, with the same id."""
        update = self.history.get(update_id)
        if update is None:
            raise bad_request("update not found")
        self.queue.push(update, redelivery=True)
        await self.notify()

    def store_file(
        self, data: bytes, *, folder: str, extension: str, mime_type: str | None, name: str | None
    ) -> StoredFile:
        """Keep uploaded bytes under a new file id and path."""
        number = next(self._ids)
        stored = StoredFile(
            file_id=f"F{number:06d}{secrets.token_hex(8)}",
            file_unique_id=f"U{number:06d}",
            file_path=f"{folder}/file_{number}{extension}",
            data=data,
            mime_type=mime_type,
            file_name=name,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # the bot's side

    def chat_for_bot(self, chat_id: Any) -> Chat:
        """The chat the bot addresses, or Telegram's error for why it cannot."""
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            if chat_id in (None, ""):
                raise bad_request("chat_id is empty")
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        user = self.users.get(chat_id)
        if user is None:
            raise bad_request("chat not found")
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if chat is None and not user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat or self.chat_of(chat_id)

    def message_in(self, chat: Chat, message_id: Any) -> ChatMessage:
        """A message of ``chat`` by id."""
        held = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if held is None:
            raise bad_request("message not found")
        return held

    def admit(self, method: str, chat_id: int) -> None:
        """Count a send-like call against the flood limits; raises 429 past them."""
        retry_after = self.gate.admit(chat_id)
        if retry_after is not None:
            self.stats.limited_by_method[method] += 1
            self.stats.limited_by_chat[chat_id] += 1
            raise too_many_requests(retry_after)

    def bot_sends(
        self,
        chat: Chat,
        *,
        method: str,
        sender: dict[str, Any],
        content: dict[str, Any],
        reply_markup: dict[str, Any] | None,
        parse_mode: str | None = None,
    ) -> dict[str, Any]:
        """Store a new bot message in ``chat``, record the send and return the Message."""
        message: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "from": sender,
            "chat": chat.user.as_chat(),
            "date": int(self.now()),
            **content,
        }
        if reply_markup and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        self._follow_reply_keyboard(chat, reply_markup)
        chat.messages[message["message_id"]] = ChatMessage(message, "bot", self.now())
        self.touch(chat)
        self.record(chat, method, message, reply_markup=reply_markup, parse_mode=parse_mode)
        return message

    def bot_edits(
        self, chat: Chat, held: ChatMessage, *, method: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply an edit to a bot message, record it and return the edited Message."""
        message = {**held.message, **changes, "edit_date": int(self.now())}
        message = {k: v for k, v in message.items() if v is not None}
        held.message = message
        self.touch(chat)
        self.record(chat, method, message, reply_markup=message.get("reply_markup"))
        return message

    def bot_deletes(self, chat: Chat, message_id: int) -> None:
        """Remove a message from the chat and record the deletion."""
        self.message_in(chat, message_id)
        del chat.messages[message_id]
        self.touch(chat)
        entry = SentEntry(self._next_seq(), chat.user.id, "deleteMessage", message_id, self.now())
        self._append(entry)

    def record(
        self,
        chat: Chat,
        method: str,
        message: dict[str, Any],
        *,
        reply_markup: dict[str, Any] | None,
        parse_mode: str | None = None,
    ) -> None:
        """Append a send or an edit to the record and count it."""
        attachment = next(
            (message[k] for k in ("document", "voice", "audio") if k in message), None
        )
        self._append(
            SentEntry(
                seq=self._next_seq(),
                chat_id=chat.user.id,
                method=method,
                message_id=message["message_id"],
                time=self.now(),
                text=message.get("text", message.get("caption")),
                reply_markup=reply_markup,
                parse_mode=parse_mode,
                entities=message.get("entities") or message.get("caption_entities"),
                attachment=attachment,
            )
        )

    def last_seq(self) -> int:
        """The sequence number of the newest record entry (0 before the first)."""
        return self._seq

    def sent_since(self, chat_id: int | None, since: int) -> list[SentEntry]:
        """Record entries after ``since``, for one chat or all."""
        start = self._first_index_after(since)
        return [e for e in self.log[start:] if chat_id is None or e.chat_id == chat_id]

    def _first_index_after(self, since: int) -> int:
        low, high = 0, len(self.log)
        while low < high:
            middle = (low + high) // 2
            if self.log[middle].seq <= since:
                low = middle + 1
            else:
                high = middle
        return low

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _append(self, entry: SentEntry) -> None:
        self.log.append(entry)
        self.stats.sent_by_method[entry.method] += 1
        if entry.method == "deleteMessage":
            return
        self.stats.sent_by_chat[entry.chat_id] += 1
        if self.stats.first_sent_at is None:
            self.stats.first_sent_at = entry.time
        self.stats.last_sent_at = entry.time

    @staticmethod
    def _follow_reply_keyboard(chat: Chat, markup: dict[str, Any] | None) -> None:
        """A reply keyboard stays under the input box until the bot removes it."""
        if not markup:
            return
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
