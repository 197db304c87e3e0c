"""Telegram handlers: binding, text and button taps to Rasa, and everything else politely.

One way through for every message: update -> admission (language, claim to dedupe, binding
check: one database transaction, ``retail.inbound.admit``) -> inbound rate (``bot.inbound``) ->
Rasa -> reply -> outcome recorded (a second transaction). A claimed message that got no answer
(Rasa down, the reply not sent, the bot killed) is taken up again by :func:`retry_failed`.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ContextTypes

from bot.inbound import Verdict, inbound_limits
from bot.processor import in_flight
from bot.rasa_client import RasaUnavailable
from bot.rendering import payload_of, to_messages
from bot.services import Services, services
from bot.voice import listener, suffix_for
from lang.language import detect_language
from retail import access, inbound, inbox
from retail.errors import BindingFailed
from retail.i18n import reply_language, t
from retail.inbound import Admission
from retail.models import InboundUpdate
from retail.settings import Settings

log = logging.getLogger(__name__)
MAX_MESSAGE = 4000


async def _admit(
    svc: Services,
    update: Update,
    *,
    text: str,
    language_of: str | None,
    remember_language: bool = False,
    written_at: datetime | None = None,
    tap: bool = False,
) -> Admission:
    """Claim ``update`` and learn what the handler needs (``retail.inbound.admit``), in one
    database transaction. The reply language is decided here, once for the whole turn: the
    one chosen, else that of ``language_of`` (the user's own words), else the saved one
    (Telegram's for strangers); Rasa's actions answer in it (it goes signed in the metadata)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    return await svc.db(
        partial(
            inbound.admit,
            update_id=update.update_id,
            telegram_user_id=user.id,
            chat_id=chat.id if chat is not None else user.id,
            text=text,
            detected_language=detect_language(language_of),
            fallback_language=user.language_code,
            clock=svc.clock,
            remember_language=remember_language,
            written_at=written_at,
            tap=tap,
        )
    )


async def _is_bound(svc: Services, user_id: int) -> bool:
    return await svc.db(lambda s: access.user_for(s, user_id) is not None)


def _contact_keyboard(language: str) -> ReplyKeyboardMarkup:
    button = KeyboardButton(t(language, "bind.share_button"), request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


async def _welcome(update: Update, language: str) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        t(language, "bind.welcome"), reply_markup=_contact_keyboard(language)
    )


async def _admitted(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: str,
    *,
    as_stranger: bool,
) -> bool:
    """Whether a claimed update is within its sender's inbound rate (``bot.inbound``).

    ``as_stranger``: the update would only get the binding welcome, which a stranger gets once
    a minute; the rest is ignored silently. Otherwise the user's own rate applies, and the first
    message over it gets one "slow down". An update turned away is finished here (throttled or
    ignored) before anything is sent, so the retry job never sends it to Rasa.
    """
    svc = services(context)
    user = update.effective_user
    assert user is not None
    limits = inbound_limits(context.application.bot_data, svc.settings)
    verdict = (limits.strangers if as_stranger else limits.users).check(user.id)
    if verdict is Verdict.ADMIT:
        return True
    status = inbox.IGNORED if as_stranger else inbox.THROTTLED
    await svc.db(lambda s: inbox.finish(s, update.update_id, status, clock=svc.clock))
    log.info("inbound rate exceeded", extra={"update_id": update.update_id, "status": status})
    if verdict is Verdict.NOTIFY and not as_stranger and update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, t(language, "error.slow_down"))
    return False


async def _typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """Show "typing…"; a failure here must not stop the answer (converse sorts out why)."""
    try:
        await context.bot.send_chat_action(chat_id, "typing")
    except TelegramError as error:
        log.info("typing indicator not sent", extra={"chat_id": chat_id, "error": str(error)})


async def converse(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    update_id: int,
    user_id: int,
    chat_id: int,
    text: str,
    language: str,
    sent_at: datetime | None = None,
    typing: bool = False,
) -> bool:
    """Send ``text`` to Rasa as ``user_id`` and deliver the replies; False if Rasa failed
    (the caller tells the user), True when there is nothing more to say.

    ``sent_at`` (the Telegram message date) goes along as ``message_time`` so the NLU reads
    明天 / 下午三点 from when the user wrote, even when a retry answers it later. ``language``
    goes along (signed) as ``language``: the actions answer in it rather than deciding again.
    With ``typing`` the chat shows "typing…" while Rasa works: the indicator is sent alongside
    the Rasa call, not before it (one Bot API round trip less in front of Rasa), and is
    finished before any reply goes out, so it never shows after the answer.

    A reply Telegram refuses for good (the user blocked the bot, the chat is gone, a bad
    request) ends the update as ``undeliverable``: retrying would run the actions again for
    nothing. A network error, a timeout or a flood wait leaves it ``failed`` for the retry job.
    """
    svc = services(context)
    metadata: dict[str, object] = {"update_id": update_id, "language": language}
    if sent_at is not None:
        metadata["message_time"] = sent_at.isoformat()
    indicator = asyncio.ensure_future(_typing(context, chat_id)) if typing else None
    try:
        replies = await svc.rasa.send(str(user_id), text, metadata)
    except RasaUnavailable as error:
        log.warning("rasa unavailable", extra={"update_id": update_id, "error": str(error)})
        await svc.db(lambda s: inbox.mark_failed(s, update_id))
        return False
    finally:
        if indicator is not None:
            await indicator
    try:
        for message in to_messages(replies, svc.button_payloads):
            await context.bot.send_message(chat_id, message.text, reply_markup=message.keyboard)
    except (Forbidden, BadRequest, ChatMigrated) as error:  # BadRequest before NetworkError
        log.warning("reply undeliverable", extra={"update_id": update_id, "error": str(error)})
        await svc.db(lambda s: inbox.finish(s, update_id, inbox.UNDELIVERABLE, clock=svc.clock))
        return True
    except (NetworkError, RetryAfter) as error:
        log.warning("reply not sent", extra={"update_id": update_id, "error": str(error)})
        await svc.db(lambda s: inbox.mark_failed(s, update_id))
        return True
    await svc.db(lambda s: inbox.mark_answered(s, update_id, clock=svc.clock))
    return True


_SLASHES = "/\uff0f\u2044\u2215"  # /, full-width ／, fraction and division slashes
_INVISIBLE = {"Cc", "Cf"}  # control and format characters: zero-width spaces, BOM, bidi marks


def typed_text(text: str) -> str:
    """A typed message as Rasa should read it: never as a button payload. Rasa takes
    ``/intent{...}`` as that intent, so a typed ``/deposit_confirm{...}`` would pass for a tap
    on a confirmation; only taps (``on_button``) may send payloads. Control and zero-width
    characters go (they hide a slash from the eye, not from Rasa), and so does every leading
    space or slash of any width: ``/ /prefs_confirm``, ``　/x`` and ``／x`` are words too. Newlines
    and tabs stay, the rest of the text is kept as typed."""
    visible = "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) not in _INVISIBLE
    )
    stripped = visible.lstrip(_SLASHES + " \t\n\u3000\u00a0")
    return stripped or visible or text


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: bound users go to Rasa; others get the binding instructions."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    svc = services(context)
    text = typed_text(message.text)
    admission = await _admit(
        svc,
        update,
        text=text,
        language_of=message.text,
        remember_language=len(message.text) <= MAX_MESSAGE,
        written_at=message.date,
    )
    if not admission.claimed:
        log.info("duplicate update ignored", extra={"update_id": update.update_id})
        return
    language = admission.language
    if not await _admitted(update, context, language, as_stranger=not admission.bound):
        return
    if not admission.bound:
        await _welcome(update, language)
        await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))
        return
    if len(message.text) > MAX_MESSAGE:
        await message.reply_text(t(language, "error.too_long", limit=MAX_MESSAGE))
        await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))
        return
    answered = await converse(
        context,
        update_id=update.update_id,
        user_id=user.id,
        chat_id=message.chat_id,
        text=text,
        language=language,
        sent_at=message.date,
        typing=True,
    )
    if not answered:
        await message.reply_text(t(language, "error.backend_down"))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an inline button: its payload goes to Rasa as the user's next message."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    svc = services(context)
    await query.answer()
    admission = await _admit(svc, update, text=query.data, language_of=None, tap=True)
    if not admission.claimed:
        return
    language, bound = admission.language, admission.bound
    if not await _admitted(update, context, language, as_stranger=not bound):
        return
    payload = payload_of(query.data, svc.button_payloads)
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    if payload is None or not bound:
        await context.bot.send_message(chat_id, t(language, "button.expired"))
        await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))
        return
    if not await converse(
        context,
        update_id=update.update_id,
        user_id=user.id,
        chat_id=chat_id,
        text=payload,
        language=language,
    ):
        await context.bot.send_message(chat_id, t(language, "error.backend_down"))
    # The tapped buttons go after the answer, not before: Telegram allows about one send or
    # edit a second per chat (bot/ratelimit.py), so removing them first held every tap's
    # answer back by a second. A second tap meanwhile is harmless: each confirm is idempotent.
    if query.message is not None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError:
            log.info("could not remove buttons", extra={"update_id": update.update_id})


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/start`` shows how to bind; ``/start CODE`` binds with a one-time code."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services(context)
    # Claimed with no text: the one-time code is not kept, and the retry job has nothing to
    # send to Rasa for a /start (it only retries what Rasa should read).
    admission = await _admit(svc, update, text="", language_of=None)
    if not admission.claimed:
        return
    language, bound = admission.language, admission.bound
    code = context.args[0] if context.args else ""
    # A binding attempt counts against the sender's own rate (codes cannot be guessed fast).
    if not await _admitted(update, context, language, as_stranger=not bound and not code):
        return
    if not code:
        if bound:
            await message.reply_text(t(language, "bind.already"))
        else:
            await _welcome(update, language)
    else:
        await _bind_reply(
            update,
            language,
            lambda s: access.bind_by_code(s, telegram_user_id=user.id, code=code, clock=svc.clock),
            svc,
        )
    await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A shared contact binds the sender, but only if it is the sender's own."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.contact is None:
        return
    svc = services(context)
    admission = await _admit(svc, update, text="", language_of=None)
    if not admission.claimed:
        return
    language = admission.language
    if not await _admitted(update, context, language, as_stranger=False):
        return
    contact = message.contact
    await _bind_reply(
        update,
        language,
        lambda s: access.bind_by_phone(
            s,
            telegram_user_id=user.id,
            contact_user_id=contact.user_id,
            phone=contact.phone_number,
            clock=svc.clock,
        ),
        svc,
    )
    await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))


async def _bind_reply(update: Update, language: str, bind: object, svc: Services) -> None:
    assert update.effective_message is not None
    try:
        principal = await svc.db(bind)  # type: ignore[arg-type]
    except BindingFailed as failure:
        reason = failure.params.get("reason")
        key = {
            "taken": "bind.taken",
            "already": "bind.already",
            "not_own_contact": "bind.not_own_contact",
        }.get(str(reason), "bind.failed")
        markup = _contact_keyboard(language) if key == "bind.not_own_contact" else None
        await update.effective_message.reply_text(t(language, key), reply_markup=markup)
        return
    key = "bind.retailer_ok" if principal.is_retailer else "bind.manager_ok"
    await update.effective_message.reply_text(
        t(principal.language, key, name=principal.name), reply_markup=ReplyKeyboardRemove()
    )


async def on_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note (or audio file) from a bound user: keep it, show the transcript and send
    it to Rasa as if typed. With no engine configured the user is asked to type instead."""
    message, user = update.effective_message, update.effective_user
    audio = (message.voice or message.audio) if message is not None else None
    if message is None or user is None or audio is None:
        return
    svc = services(context)
    admission = await _admit(
        svc, update, text="", language_of=message.caption, written_at=message.date
    )
    if not admission.claimed:
        log.info("duplicate update ignored", extra={"update_id": update.update_id})
        return
    language = admission.language
    if not await _admitted(update, context, language, as_stranger=not admission.bound):
        return
    if not admission.bound:
        await _welcome(update, language)
        await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))
        return
    listening = listener(context)
    await _typing(context, message.chat_id)
    heard = await listening.hear(
        context.bot,
        chat_id=message.chat_id,
        message_id=message.message_id,
        file_id=audio.file_id,
        seconds=_seconds(audio.duration),
        suffix=suffix_for(audio.mime_type, voice=message.voice is not None),
        file_size=audio.file_size,
    )
    if heard.transcript is None or heard.problem is not None:
        key = heard.problem or "voice.not_understood"
        size = f"{listening.max_bytes / 1_000_000:g}"
        await message.reply_text(t(language, key, limit=listening.max_seconds, size=size))
        await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))
        return
    text = typed_text(heard.transcript.text)
    # One transaction: the transcript's language, kept with the transcript for a retry.
    language = await svc.db(
        partial(
            inbound.admit_transcript,
            update_id=update.update_id,
            telegram_user_id=user.id,
            text=text,
            detected_language=detect_language(text),
        )
    )
    await message.reply_text(t(language, "voice.transcript", text=text))
    answered = await converse(
        context,
        update_id=update.update_id,
        user_id=user.id,
        chat_id=message.chat_id,
        text=text,
        language=language,
        sent_at=message.date,
    )
    if not answered:
        await message.reply_text(t(language, "error.backend_down"))


def _seconds(duration: int | timedelta) -> float:
    return duration.total_seconds() if isinstance(duration, timedelta) else float(duration)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos and the like: say what we can handle."""
    await _unsupported(update, context, "error.unsupported_message")


async def _unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services(context)
    admission = await _admit(svc, update, text="", language_of=message.caption)
    language = admission.language
    if admission.claimed and await _admitted(update, context, language, as_stranger=False):
        await message.reply_text(t(language, key))
        await svc.db(lambda s: inbox.mark_answered(s, update.update_id, clock=svc.clock))


@dataclass(frozen=True)
class _Owed:
    """An update still owed an answer, read out of its session for the retry job."""

    update_id: int
    user_id: int
    chat_id: int
    text: str
    language: str
    status: str
    received_at: datetime
    written_at: datetime | None
    tap: bool

    @classmethod
    def of(cls, row: InboundUpdate) -> _Owed:
        return cls(
            row.update_id,
            row.telegram_user_id,
            row.chat_id,
            row.text,
            row.language,
            row.status,
            row.received_at,
            row.written_at,
            row.tap,
        )


def unanswered_after(settings: Settings) -> timedelta:
    """How long a claimed update may stay unanswered before the retry job takes it over: the
    setting, but never less than a whole Rasa round trip (plus a margin) so a slow first
    attempt in another process is not doubled."""
    seconds = max(settings.unanswered_retry_after_seconds, settings.rasa_timeout + 5)
    return timedelta(seconds=seconds)


async def retry_failed(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: answer every message still owed an answer while RETRY_FAILED_WITHIN_MINUTES says an
    answer is useful: those Rasa, the action server or the network failed, and those claimed
    but never answered (the bot died in between). Never one this process is still handling:
    that would run its actions twice."""
    svc = services(context)
    busy = in_flight(context.application.bot_data)
    window = timedelta(minutes=svc.settings.retry_failed_within_minutes)
    stalled = unanswered_after(svc.settings)
    pending = await svc.db(
        lambda s: [
            _Owed.of(u)
            for u in inbox.updates_to_retry(
                s, clock=svc.clock, within=window, unanswered_after=stalled, busy=busy.ids()
            )
        ]
    )
    for owed in pending:
        if owed.update_id in busy:
            continue
        with busy.holding(owed.update_id):
            try:
                rasa_up = await _retry(context, owed)
            except Exception:  # one broken update must not block the others behind it
                log.exception("retry failed", extra={"update_id": owed.update_id})
                await svc.db(partial(inbox.mark_failed, update_id=owed.update_id))
                continue
        if not rasa_up:
            return


async def _retry(context: ContextTypes.DEFAULT_TYPE, owed: _Owed) -> bool:
    """Send one owed update to Rasa again; False if Rasa is still down."""
    svc = services(context)
    # What the first attempt sent: a tap's payload (a stored key only for a tap; typed text
    # that happens to start with "p:" stays text) and, for a message, when it was written.
    text = payload_of(owed.text, svc.button_payloads) if owed.tap else owed.text
    if not text or len(text) > MAX_MESSAGE or not await _is_bound(svc, owed.user_id):
        # Nothing Rasa should read: a voice note that died before its transcript, a button
        # whose payload a restart forgot, a stranger's message. Never sent, never retried.
        await svc.db(lambda s: inbox.finish(s, owed.update_id, inbox.IGNORED, clock=svc.clock))
        return True
    answered = await converse(
        context,
        update_id=owed.update_id,
        user_id=owed.user_id,
        chat_id=owed.chat_id,
        text=text,
        language=owed.language,
        sent_at=None if owed.tap else owed.written_at or owed.received_at,
    )
    if not answered and owed.status == inbox.RECEIVED:
        # The bot died before saying anything: say now what the handler would have said.
        try:
            await context.bot.send_message(owed.chat_id, t(owed.language, "error.backend_down"))
        except TelegramError as error:
            log.info("backend-down notice not sent", extra={"error": str(error)})
    return answered


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any unexpected error and tell the user something polite, never a traceback."""
    log.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        user = update.effective_user
        language = reply_language(
            detect_language(update.effective_message.text if update.effective_message else None),
            user.language_code if user else None,
        )
        try:
            await context.bot.send_message(update.effective_chat.id, t(language, "error.generic"))
        except TelegramError:
            log.warning("could not send the error reply")
