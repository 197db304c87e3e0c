"""Turning Rasa's replies into Telegram messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.rasa_client import RasaReply

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
STORED_PREFIX = "p:"


@dataclass(frozen=True)
class OutgoingMessage:
    """One Telegram message to send."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def callback_data(payload: str, store: dict[str, str]) -> str:
    """Telegram allows 64 bytes of callback data; longer payloads are kept here by hash."""
    if len(payload.encode()) <= MAX_CALLBACK_DATA and not payload.startswith(STORED_PREFIX):
        return payload
    key = STORED_PREFIX + hashlib.sha1(payload.encode()).hexdigest()[:16]
    store[key] = payload
    return key


def payload_of(data: str, store: dict[str, str]) -> str | None:
    """The payload behind a tap, or None if it was stored by a bot that has since restarted."""
    if data.startswith(STORED_PREFIX):
        return store.get(data)
    return data


def _split(text: str) -> list[str]:
    chunks: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*chunks, text] if text else chunks


def to_messages(replies: list[RasaReply], store: dict[str, str]) -> list[OutgoingMessage]:
    """Merge consecutive texts into one message (Telegram allows ~1 message/s per chat) and put
    each group's buttons, one per row, under the text that asked for them."""
    messages: list[OutgoingMessage] = []
    pending: list[str] = []
    for reply in replies:
        if reply.text:
            pending.append(reply.text)
        if not reply.buttons:
            continue
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.title, callback_data=callback_data(b.payload, store))]
                for b in reply.buttons
            ]
        )
        chunks = _split("\n\n".join(pending)) or ["…"]
        messages.extend(OutgoingMessage(chunk) for chunk in chunks[:-1])
        messages.append(OutgoingMessage(chunks[-1], keyboard))
        pending = []
    messages.extend(OutgoingMessage(chunk) for chunk in _split("\n\n".join(pending)))
    return messages
