"""The Bot API methods the stand-in answers, with Telegram's checks and error wording.

Each method takes the decoded request parameters and returns the ``result`` Telegram would
return, or raises :class:`~standin.errors.ApiError`. Parameters arrive as python-telegram-bot
sends them (JSON-encoded form fields, already decoded by the server) or as a JSON body.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from standin.errors import ApiError, bad_request, conflict
from standin.formatting import parse_entities
from standin.params import (
    Params,
    Upload,
    message_text,
    optional_float,
    optional_int,
    optional_str,
    reply_markup_of,
)
from standin.state import (
    DEMO_BOT_NAME,
    DEMO_BOT_USERNAME,
    Chat,
    ChatMessage,
    Standin,
    StoredFile,
    WebhookConfig,
)

MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_POLL_SECONDS = 50.0
COMMAND_PATTERN = re.compile(r"^[a-z0-9_]{1,32}$")
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
MEDIA = {
    "sendDocument": ("document", "documents", ""),
    "sendVoice": ("voice", "voice", ".oga"),
    "sendAudio": ("audio", "music", ".mp3"),
}
MEDIA_MIME_TYPES = {"voice": "audio/ogg", "audio": "audio/mpeg"}
"""What Telegram reports for an upload whose type the client could not tell."""


@dataclass(frozen=True)
class Described:
    """A result that Telegram sends with a ``description`` (``setWebhook`` and friends)."""

    value: Any
    description: str


Method = Callable[[str, Params], Awaitable[Any]]


def bot_user(token: str) -> dict[str, Any]:
    """The bot's ``User``: its id is the number before ``:`` in the token."""
    prefix = token.split(":", 1)[0]
    return {
        "id": int(prefix) if prefix.isdigit() else 1,
        "is_bot": True,
        "first_name": DEMO_BOT_NAME,
        "username": DEMO_BOT_USERNAME,
    }


class BotApi:
    """Telegram Bot API methods over a :class:`Standin`."""

    def __init__(self, standin: Standin) -> None:
        self.standin = standin
        self._methods: dict[str, Method] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "sendchataction": self.send_chat_action,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "getfile": self.get_file,
            **{name.lower(): self._media_sender(name) for name in MEDIA},
            "logout": self.accept,
            "close": self.accept,
        }

    def knows(self, method: str) -> bool:
        """True if ``method`` (any letter case, as on Telegram) is implemented."""
        return method.lower() in self._methods

    async def call(self, token: str, method: str, params: Params) -> Any:
        """Run one method; counts the call and any error in the stats."""
        name = method.lower()
        stats = self.standin.stats
        stats.calls_by_method[method] += 1
        try:
            return await self._methods[name](token, params)
        except ApiError as error:
            if error.error_code != 429:
                stats.errors[error.description] += 1
            raise

    async def accept(self, token: str, params: Params) -> bool:
        """``logOut`` and ``close``: nothing to do locally."""
        return True

    async def get_me(self, token: str, params: Params) -> dict[str, Any]:
        """The bot user named by the token."""
        return {
            **bot_user(token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # receiving updates

    async def get_updates(self, token: str, params: Params) -> list[dict[str, Any]]:
        """Long poll: answer as soon as an update is pending or ``timeout`` has passed.

        A second concurrent poll ends the first with 409, as Telegram does when two bot
        instances run with one token; with a webhook set every poll is refused with 409.
        """
        standin = self.standin
        self._refuse_with_webhook()
        offset = optional_int(params, "offset")
        limit = min(max(optional_int(params, "limit") or 100, 1), 100)
        timeout = min(max(optional_float(params, "timeout") or 0.0, 0.0), MAX_POLL_SECONDS)
        self._set_allowed_updates(params)
        generation = standin.new_poll()
        await standin.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with standin.changed:
            standin.queue.confirm(offset)
            while True:
                if standin.poll_superseded(generation):
                    self._refuse_with_webhook()
                    raise conflict(
                        "terminated by other getUpdates request; make sure that only one bot "
                        "instance is running"
                    )
                standin.queue.drop_unwanted(standin.allowed_updates)
                batch = standin.queue.take(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or standin.closing:
                    return batch
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(standin.changed.wait(), remaining)

    def _refuse_with_webhook(self) -> None:
        if self.standin.webhook.url:
            raise conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )

    def _set_allowed_updates(self, params: Params) -> None:
        allowed = params.get("allowed_updates")
        if allowed is None or allowed == "":
            return
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed updates JSON object")
        self.standin.allowed_updates = frozenset(str(a) for a in allowed) or None

    async def set_webhook(self, token: str, params: Params) -> Described:
        """Deliver updates by POSTing them to ``url`` from now on (http is allowed locally)."""
        url = optional_str(params, "url") or ""
        if not url:
            return await self.delete_webhook(token, params)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = optional_str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("bad webhook: Secret token contains unallowed characters")
        max_connections = optional_int(params, "max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: Wrong max_connections specified")
        self._set_allowed_updates(params)
        if params.get("drop_pending_updates") is True:
            self.standin.queue.clear()
        self.standin.webhook = WebhookConfig(
            url=url, secret_token=secret, max_connections=max_connections
        )
        self.standin.new_poll()
        await self.standin.notify()
        return Described(True, "Webhook was set")

    async def delete_webhook(self, token: str, params: Params) -> Described:
        """Stop webhook delivery; pending updates become available to ``getUpdates``."""
        had_url = bool(self.standin.webhook.url)
        if params.get("drop_pending_updates") is True:
            self.standin.queue.clear()
        self.standin.webhook = WebhookConfig()
        await self.standin.notify()
        return Described(True, "Webhook was deleted" if had_url else "Webhook is already deleted")

    async def get_webhook_info(self, token: str, params: Params) -> dict[str, Any]:
        """The webhook settings and the delivery backlog."""
        hook = self.standin.webhook
        info: dict[str, Any] = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.standin.queue),
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        if self.standin.allowed_updates:
            info["allowed_updates"] = sorted(self.standin.allowed_updates)
        return info

    # sending

    async def send_message(self, token: str, params: Params) -> dict[str, Any]:
        """A text message to a private chat, within the flood limits."""
        chat = self.standin.chat_for_bot(params.get("chat_id"))
        text, entities, parse_mode = message_text(params)
        markup = reply_markup_of(params)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        content.update(self._reply_to(chat, params))
        self.standin.admit("sendMessage", chat.user.id)
        return self.standin.bot_sends(
            chat,
            method="sendMessage",
            sender=bot_user(token),
            content=content,
            reply_markup=markup,
            parse_mode=parse_mode,
        )

    def _reply_to(self, chat: Chat, params: Params) -> dict[str, Any]:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = optional_int(reply, "message_id")
            lenient = reply.get("allow_sending_without_reply") is True
        else:
            message_id = optional_int(params, "reply_to_message_id")
            lenient = params.get("allow_sending_without_reply") is True
        if message_id is None:
            return {}
        held = chat.messages.get(message_id)
        if held is None:
            if lenient:
                return {}
            raise bad_request("message to be replied not found")
        replied = {k: v for k, v in held.message.items() if k != "reply_to_message"}
        return {"reply_to_message": replied}

    def _media_sender(self, method: str) -> Method:
        async def send(token: str, params: Params) -> dict[str, Any]:
            return await self.send_media(method, token, params)

        return send

    async def send_media(self, method: str, token: str, params: Params) -> dict[str, Any]:
        """``sendDocument``, ``sendVoice``, ``sendAudio``: an uploaded file or a known file_id."""
        field, folder, extension = MEDIA[method]
        chat = self.standin.chat_for_bot(params.get("chat_id"))
        stored = self._media_file(params, field, folder, extension)
        content: dict[str, Any] = {field: self._media_object(field, stored, params)}
        caption = optional_str(params, "caption")
        if caption:
            text, entities = parse_entities(caption, optional_str(params, "parse_mode"))
            if len(text) > MAX_CAPTION:
                raise bad_request("message caption is too long")
            content["caption"] = text
            if entities:
                content["caption_entities"] = entities
        markup = reply_markup_of(params)
        content.update(self._reply_to(chat, params))
        self.standin.admit(method, chat.user.id)
        return self.standin.bot_sends(
            chat, method=method, sender=bot_user(token), content=content, reply_markup=markup
        )

    def _media_file(self, params: Params, field: str, folder: str, extension: str) -> StoredFile:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            if not value.data:
                raise bad_request("file must be non-empty")
            suffix = extension or _suffix(value.filename)
            return self.standin.store_file(
                value.data,
                folder=folder,
                extension=suffix,
                mime_type=_mime_type(field, value.content_type),
                name=value.filename,
            )
        if isinstance(value, str) and value in self.standin.files:
            return self.standin.files[value]
        if value is None or value == "":
            raise bad_request(f"there is no {field} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    @staticmethod
    def _media_object(field: str, stored: StoredFile, params: Params) -> dict[str, Any]:
        media: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.mime_type:
            media["mime_type"] = stored.mime_type
        if field in ("voice", "audio"):
            media["duration"] = optional_int(params, "duration") or 0
        if field in ("document", "audio") and stored.file_name:
            media["file_name"] = stored.file_name
        return media

    # changing sent messages

    async def edit_message_text(self, token: str, params: Params) -> dict[str, Any]:
        """New text (and inline keyboard: omitted means removed) for a bot message."""
        chat, held = self._editable(params)
        if "text" not in held.message:
            raise bad_request("there is no text in the message to edit")
        text, entities, _ = message_text(params)
        markup = _inline_only(reply_markup_of(params))
        changes = {"text": text, "entities": entities or None, "reply_markup": markup}
        unchanged = (
            held.message.get("text") == text
            and held.message.get("entities") == (entities or None)
            and held.message.get("reply_markup") == markup
        )
        if unchanged:
            raise bad_request(NOT_MODIFIED)
        self.standin.admit("editMessageText", chat.user.id)
        return self.standin.bot_edits(chat, held, method="editMessageText", changes=changes)

    async def edit_message_reply_markup(self, token: str, params: Params) -> dict[str, Any]:
        """A new inline keyboard for a bot message (none removes it)."""
        chat, held = self._editable(params)
        markup = _inline_only(reply_markup_of(params))
        if held.message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        self.standin.admit("editMessageReplyMarkup", chat.user.id)
        return self.standin.bot_edits(
            chat, held, method="editMessageReplyMarkup", changes={"reply_markup": markup}
        )

    def _editable(self, params: Params) -> tuple[Chat, ChatMessage]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.standin.chat_for_bot(params.get("chat_id"))
        message_id = optional_int(params, "message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        held = chat.messages.get(message_id)
        if held is None:
            raise bad_request("message to edit not found")
        if held.sender != "bot":
            raise bad_request("message can't be edited")
        return chat, held

    async def delete_message(self, token: str, params: Params) -> bool:
        """Remove a message from the chat (the user's or the bot's)."""
        chat = self.standin.chat_for_bot(params.get("chat_id"))
        message_id = optional_int(params, "message_id")
        if message_id is None or message_id not in chat.messages:
            raise bad_request("message to delete not found")
        self.standin.bot_deletes(chat, message_id)
        return True

    # other calls

    async def answer_callback_query(self, token: str, params: Params) -> bool:
        """Answer a tap once; the answer is kept for the test API."""
        query = self.standin.callbacks.get(optional_str(params, "callback_query_id") or "")
        if query is None or query.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answer = {
            "text": optional_str(params, "text"),
            "show_alert": params.get("show_alert") is True,
            "url": optional_str(params, "url"),
        }
        return True

    async def send_chat_action(self, token: str, params: Params) -> bool:
        """``typing`` and friends: checked, counted, not recorded as a send."""
        self.standin.chat_for_bot(params.get("chat_id"))
        if optional_str(params, "action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def set_my_commands(self, token: str, params: Params) -> bool:
        """Store the command menu for a scope and language."""
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            if not COMMAND_PATTERN.match(str(command.get("command", "")).lstrip("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description is empty")
        self.standin.commands[self._commands_key(params)] = [
            {"command": str(c["command"]).lstrip("/"), "description": str(c["description"])}
            for c in commands
        ]
        return True

    async def get_my_commands(self, token: str, params: Params) -> list[dict[str, Any]]:
        """The command menu for a scope and language (empty if never set)."""
        return self.standin.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, token: str, params: Params) -> bool:
        """Forget the command menu for a scope and language."""
        self.standin.commands.pop(self._commands_key(params), None)
        return True

    def _commands_key(self, params: Params) -> str:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        return self.standin.commands_for(scope, optional_str(params, "language_code"))

    async def get_file(self, token: str, params: Params) -> dict[str, Any]:
        """A ``File`` whose ``file_path`` downloads from ``/file/bot<token>/<file_path>``."""
        stored = self.standin.files.get(optional_str(params, "file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return stored.as_file()


def _inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _mime_type(field: str, declared: str | None) -> str | None:
    if declared and declared != "application/octet-stream":
        return declared
    return MEDIA_MIME_TYPES.get(field, declared)


def _suffix(filename: str | None) -> str:
    if not filename or "." not in filename:
        return ""
    return "." + filename.rsplit(".", 1)[1][:10]
