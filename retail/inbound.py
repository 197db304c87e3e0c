"""One inbound message before it goes to Rasa: everything the bot must know or record about it,
in one transaction.

Issue 16: the bot used to make a database round trip (a worker thread, a pooled connection, a
transaction) for each question it had about a message: which language, is it new, is the
sender bound, remember the language; five per text message with the answer. :func:`admit`
answers them together, loading the sender once; the bot's only other session for a message
is the one that records the outcome after Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from retail import access, inbox
from retail.clock import Clock


@dataclass(frozen=True)
class Admission:
    """What the bot needs to go on with a message.

    ``claimed`` is False for a duplicate (the update id was seen before): nothing more to do.
    ``bound``: the sender is bound to a retailer or manager (else they get the binding welcome).
    ``language``: the reply language, decided here once for the whole turn.
    """

    claimed: bool
    bound: bool
    language: str


def admit(
    session: Session,
    *,
    update_id: int,
    telegram_user_id: int,
    chat_id: int,
    text: str,
    detected_language: str | None,
    fallback_language: str | None,
    clock: Clock,
    remember_language: bool = False,
    written_at: datetime | None = None,
    tap: bool = False,
) -> Admission:
    """Decide the reply language, claim the update, and see whether the sender is bound.

    The language is the one the user chose, else the message's (``detected_language``, from
    lang.language), else the saved one, else ``fallback_language`` (Telegram's, for a
    stranger); it is stored with the claim, so a retry answers in it too. With
    ``remember_language`` (a bound user's typed text the bot will read) the language is kept
    as the user's latest, unless they pinned one. A duplicate claims and remembers nothing.
    """
    user = access.user_for(session, telegram_user_id)
    language = access.language_of(user, detected_language, fallback=fallback_language)
    claimed = inbox.claim_update(
        session,
        update_id=update_id,
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        text=text,
        language=language,
        clock=clock,
        written_at=written_at,
        tap=tap,
    )
    if claimed and user is not None and remember_language:
        access.keep_language(user, language)
    return Admission(claimed=claimed, bound=user is not None, language=language)


def admit_transcript(
    session: Session,
    *,
    update_id: int,
    telegram_user_id: int,
    text: str,
    detected_language: str | None,
) -> str:
    """A voice note's transcript, known only after the note was claimed and heard: the reply
    language for it (decided as :func:`admit` does), kept with the transcript on the claimed
    update and, for a bound user, as their latest language. Returns that language."""
    user = access.user_for(session, telegram_user_id)
    language = access.language_of(user, detected_language)
    inbox.record_transcript(session, update_id, text=text, language=language)
    if user is not None:
        access.keep_language(user, language)
    return language
