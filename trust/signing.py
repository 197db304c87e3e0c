"""Signed messages from the bot to Rasa and the action server (issue 14).

Rasa's REST channel takes any ``sender`` from whoever reaches its port, and an action trusts
the sender id it is given; so one POST could speak as any shop. The bot therefore signs every
message it forwards: an HMAC-SHA256, with the secret the three processes share
(``BOT_SIGNING_SECRET``), over a versioned canonical string of who sends (the sender id), which
Telegram update it is, when it was signed, the SHA-256 of the text, the Telegram message time
and, when the bot states one, the reply language it decided (issue 16: the actions answer in it
instead of deciding again, so it must be the bot's). The signature travels in the message
metadata, next to the ``update_id`` the bot already sends; Rasa keeps that metadata on the user
event, so the action server checks the same signature again.

The text is hashed after ``str.strip()`` because Rasa strips every incoming message
(``UserMessage``): the action server sees the stripped text, the REST channel the raw one, and
both must agree with what the bot signed. Surrounding whitespace means nothing to the NLU.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

SECRET_VARIABLE = "BOT_SIGNING_SECRET"
VERSION = "v1"
"""The canonical string's version: it leads the string, so a later format cannot collide."""
MAX_AGE_SECONDS = 300
"""How old a signature may be: the bot signs at send time (also when it retries after an outage),
so a genuine message reaches Rasa and its actions within seconds; an old one is a replay."""
MAX_SKEW_SECONDS = 30
"""How far in the future a signature may be, for clocks a little apart between machines."""

UPDATE_KEY = "update_id"
SENDER_KEY = "signed_sender"
SIGNED_AT_KEY = "signed_at"
SIGNATURE_KEY = "signature"
WRITTEN_AT_KEY = "message_time"
LANGUAGE_KEY = "language"


class Reason(str, Enum):
    """Why a message does not verify; the value is short and safe to show to the caller."""

    MISSING = "missing"
    BAD_SIGNATURE = "bad_signature"
    SENDER_MISMATCH = "sender_mismatch"
    STALE = "stale"


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`verify`: ``reason`` is None when the message is genuine."""

    reason: Reason | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def secret_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The shared secret from ``BOT_SIGNING_SECRET`` ("" when unset: callers refuse to run)."""
    return (os.environ if environ is None else environ).get(SECRET_VARIABLE, "").strip()


def _text_digest(text: str | None) -> str:
    return hashlib.sha256((text or "").strip().encode("utf-8")).hexdigest()


def _canonical(
    sender: str,
    update_id: str,
    signed_at: int,
    text: str | None,
    written_at: Any,
    language: Any = None,
) -> bytes:
    """One unambiguous string per message: a JSON array, so no field can bleed into the next.
    ``written_at`` is the Telegram message time (metadata ``message_time``) or None: a typed
    yes counts only for an offer shown before it was written, so that time is signed too.
    ``language`` (metadata ``language``, the reply language the bot decided) is appended only
    when given, so a message without one signs exactly as before; adding or removing it
    changes the array's length, so it cannot be slipped in or stripped either."""
    fields = [sender, update_id, signed_at, _text_digest(text), written_at]
    if language is not None:
        fields.append(language)
    return f"{VERSION}\n{json.dumps(fields, separators=(',', ':'))}".encode()


def _mac(secret: str, canonical: bytes) -> str:
    if not secret:
        raise ValueError(f"no signing secret: set {SECRET_VARIABLE}")
    digest = hmac.new(secret.encode("utf-8"), canonical, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def sign(
    secret: str,
    *,
    sender: str,
    update_id: int | str,
    text: str | None,
    written_at: str | None = None,
    language: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The metadata entries that vouch for ``text`` from ``sender`` in update ``update_id``
    (written at ``written_at``, which goes along as ``message_time``, and to be answered in
    ``language``, which goes along as ``language``, when given)."""
    signed_at = int(time.time() if now is None else now)
    sender = str(sender)
    canonical = _canonical(sender, str(update_id), signed_at, text, written_at, language)
    signature = _mac(secret, canonical)
    entries: dict[str, Any] = {
        UPDATE_KEY: update_id,
        SENDER_KEY: sender,
        SIGNED_AT_KEY: signed_at,
        SIGNATURE_KEY: signature,
    }
    if written_at is not None:
        entries[WRITTEN_AT_KEY] = written_at
    if language is not None:
        entries[LANGUAGE_KEY] = language
    return entries


def signed_metadata(
    secret: str,
    *,
    sender: str,
    text: str | None,
    metadata: Mapping[str, Any],
    now: float | None = None,
) -> dict[str, Any]:
    """A copy of ``metadata`` (which must hold the ``update_id``) with the signature added."""
    if metadata.get(UPDATE_KEY) is None:
        raise ValueError(f"metadata needs {UPDATE_KEY!r} to be signed")
    entries = sign(
        secret,
        sender=sender,
        update_id=metadata[UPDATE_KEY],
        text=text,
        written_at=metadata.get(WRITTEN_AT_KEY),
        language=metadata.get(LANGUAGE_KEY),
        now=now,
    )
    return {**metadata, **entries}


def verify(
    secret: str,
    metadata: Mapping[str, Any] | None,
    *,
    sender: str,
    text: str | None,
    now: float | None = None,
    max_age: float = MAX_AGE_SECONDS,
    max_skew: float = MAX_SKEW_SECONDS,
) -> Verdict:
    """Whether ``metadata`` vouches for ``text`` from ``sender``, and if not, why.

    The HMAC is checked first, so a caller without the secret learns only "missing" or
    "bad_signature"; "sender_mismatch" and "stale" describe genuine signatures used for another
    sender or too late (a replay). Raises ValueError without a secret: that is a configuration
    error, never a verdict about a message.
    """
    if not secret:
        raise ValueError(f"no signing secret: set {SECRET_VARIABLE}")
    if not isinstance(metadata, Mapping):
        return Verdict(Reason.MISSING)
    values = [metadata.get(key) for key in (UPDATE_KEY, SENDER_KEY, SIGNED_AT_KEY, SIGNATURE_KEY)]
    update_id, signed_sender, signed_at, signature = values
    if any(value is None for value in values):
        return Verdict(Reason.MISSING)
    if (
        not isinstance(signature, str)
        or not isinstance(signed_at, int)
        or isinstance(signed_at, bool)
    ):
        return Verdict(Reason.BAD_SIGNATURE)
    written_at, language = metadata.get(WRITTEN_AT_KEY), metadata.get(LANGUAGE_KEY)
    canonical = _canonical(
        str(signed_sender), str(update_id), signed_at, text, written_at, language
    )
    expected = _mac(secret, canonical)
    if not hmac.compare_digest(signature.encode("utf-8"), expected.encode("utf-8")):
        return Verdict(Reason.BAD_SIGNATURE)
    if str(signed_sender) != str(sender):
        return Verdict(Reason.SENDER_MISMATCH)
    age = (time.time() if now is None else now) - signed_at
    if age > max_age or age < -max_skew:
        return Verdict(Reason.STALE)
    return Verdict()


class ReplayGuard:
    """Signatures already accepted, so a captured message cannot be posted a second time.

    A signature is only valid for :data:`MAX_AGE_SECONDS`, so the guard forgets each one after
    that (plus the skew); memory stays bounded by the traffic of five minutes. The bot signs
    afresh for every attempt, so its own retries are new signatures. Per process: with several
    Rasa replicas, a replay to another replica within the window is the weakness left (the
    actions still check the sender). The action server must not use it: every action of a turn
    sees the same signature.
    """

    def __init__(self, ttl: float = MAX_AGE_SECONDS + MAX_SKEW_SECONDS) -> None:
        self._ttl = ttl
        self._seen: dict[str, float] = {}

    def first_use(self, metadata: Mapping[str, Any], *, now: float | None = None) -> bool:
        """Record the signature in ``metadata``; False if it was seen before (a replay)."""
        moment = time.time() if now is None else now
        for signature, expires in list(self._seen.items()):
            if expires > moment:
                break  # insertion order is expiry order: the rest are younger
            del self._seen[signature]
        signature = str(metadata.get(SIGNATURE_KEY))
        if signature in self._seen:
            return False
        self._seen[signature] = moment + self._ttl
        return True

    def __len__(self) -> int:
        return len(self._seen)
