"""Reading Bot API parameters the way Telegram reads them, with its checks and wording.

python-telegram-bot sends every non-string value JSON-encoded inside form fields; the server
decodes those first, so the helpers here see numbers, lists and objects, and text as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from standin.errors import bad_request
from standin.formatting import parse_entities

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "action",
        "language_code",
        "ip_address",
        "document",
        "voice",
        "audio",
        "title",
        "performer",
        "business_connection_id",
        "message_effect_id",
    }
)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


Params = dict[str, Any]


def optional_int(params: Params, name: str) -> int | None:
    """An integer parameter, or None when absent; 400 when it is not a number."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise bad_request(f"wrong parameter {name} in request")
    if isinstance(value, int):
        return value
    try:
        return int(float(value)) if isinstance(value, float) else int(str(value))
    except ValueError:
        raise bad_request(f"wrong parameter {name} in request") from None


def optional_str(params: Params, name: str) -> str | None:
    """A text parameter as Telegram reads it (numbers from JSON bodies become text)."""
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def reply_markup_of(params: Params) -> dict[str, Any] | None:
    """``reply_markup`` checked the way Telegram checks keyboards."""
    markup = params.get("reply_markup")
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_rows(markup["keyboard"])
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_rows(rows: Any) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return rows


def _check_inline_keyboard(rows: Any) -> None:
    text_only = bad_request(
        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    )
    for row in _check_rows(rows):
        for button in row:
            if not isinstance(button, dict) or not button.get("text") or len(button) < 2:
                raise text_only
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")


def message_text(params: Params) -> tuple[str, list[dict[str, Any]], str | None]:
    """The plain text, entities and parse mode of a text parameter, with Telegram's checks."""
    raw = optional_str(params, "text") or ""
    parse_mode = optional_str(params, "parse_mode")
    text, entities = parse_entities(raw, parse_mode)
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities, parse_mode


def optional_float(params: Params, name: str) -> float | None:
    """A number parameter, or None when absent; 400 when it is not a number."""
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise bad_request(f"wrong parameter {name} in request") from None


async def read_params(request: web.Request) -> Params:
    """The call's parameters from the query string and a JSON, form or multipart body.

    python-telegram-bot sends every non-string value JSON-encoded inside form fields
    (``reply_markup``, ``chat_id``, ``allowed_updates``...), so each field is JSON-decoded unless
    it is a text field such as ``text``; file parts become :class:`Upload`.
    """
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        raw.update(await _body_fields(request))
    return {name: decode_field(name, value) for name, value in raw.items()}


async def _body_fields(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        return body
    fields: dict[str, Any] = {}
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            fields[name] = Upload(value.filename, value.content_type, value.file.read())
        else:
            fields[name] = value
    return fields


def decode_field(name: str, value: Any) -> Any:
    """JSON-decode a string field unless Telegram defines it as text."""
    if not isinstance(value, str) or name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
