"""The bot's signature over what it forwards to Rasa (trust/signing.py): a round trip, and each
reason a message is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from trust import (
    MAX_AGE_SECONDS,
    MAX_SKEW_SECONDS,
    Reason,
    ReplayGuard,
    Verdict,
    secret_from_env,
    sign,
    verify,
)
from trust.signing import signed_metadata

SECRET = "shared-secret-for-tests"
NOW = 1_764_700_000.0
TEXT = "芙蓉王硬多少钱一条"


def _signed(sender: str = "10001") -> dict[str, Any]:
    return signed_metadata(
        SECRET, sender=sender, text=TEXT, metadata={"update_id": 42, "language": "zh"}, now=NOW
    )


def _verify(metadata: Any, *, sender: str = "10001", text: str = TEXT, now: float = NOW) -> Verdict:
    return verify(SECRET, metadata, sender=sender, text=text, now=now)


def test_a_signed_message_verifies_and_keeps_the_bots_own_metadata() -> None:
    metadata = _signed()
    assert (metadata["update_id"], metadata["language"], metadata["signed_at"]) == (42, "zh", NOW)
    verdict = _verify(metadata)
    assert (verdict.ok, verdict.reason) == (True, None)


def test_the_signature_survives_json_and_rasas_stripping_of_the_text() -> None:
    metadata = json.loads(
        json.dumps(
            signed_metadata(
                SECRET, sender="10001", text="  白沙改成3条\n", metadata={"update_id": 7}, now=NOW
            )
        )
    )
    assert _verify(metadata, text="白沙改成3条").ok


def test_the_signature_is_an_hmac_sha256_of_the_versioned_canonical_string() -> None:
    entries = sign(SECRET, sender="10001", update_id=42, text="hi", now=NOW)
    digest = hashlib.sha256(b"hi").hexdigest()
    canonical = 'v1\n["10001","42",1764700000,"' + digest + '",null]'
    expected = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    assert entries == {
        "update_id": 42,
        "signed_sender": "10001",
        "signed_at": 1_764_700_000,
        "signature": f"v1={expected}",
    }


@pytest.mark.parametrize("metadata", [None, {}, {"update_id": 42}, "signature"])
def test_no_signature_is_missing(metadata: object) -> None:
    assert _verify(metadata).reason is Reason.MISSING


@pytest.mark.parametrize("key", ["update_id", "signed_sender", "signed_at", "signature"])
def test_each_signed_field_is_needed(key: str) -> None:
    metadata = _signed()
    del metadata[key]
    assert _verify(metadata).reason is Reason.MISSING


def test_another_secret_is_a_bad_signature() -> None:
    metadata = signed_metadata(
        "another-secret", sender="10001", text=TEXT, metadata={"update_id": 42}, now=NOW
    )
    assert _verify(metadata).reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("update_id", 43),
        ("signed_at", int(NOW) - 1),
        ("signed_sender", "10002"),
        ("signature", "v1=" + "0" * 64),
        ("signature", 12345),
        ("signed_at", str(int(NOW))),
    ],
)
def test_a_changed_field_is_a_bad_signature(key: str, value: object) -> None:
    metadata = {**_signed(), key: value}
    assert _verify(metadata).reason is Reason.BAD_SIGNATURE


def test_other_text_is_a_bad_signature() -> None:
    assert _verify(_signed(), text=TEXT + ",再加10条").reason is Reason.BAD_SIGNATURE


def test_a_genuine_signature_for_another_sender_is_a_sender_mismatch() -> None:
    metadata = _signed(sender="10001")
    assert _verify(metadata, sender="10002").reason is Reason.SENDER_MISMATCH


@pytest.mark.parametrize(
    ("delay", "reason"),
    [
        (MAX_AGE_SECONDS, None),
        (MAX_AGE_SECONDS + 1, Reason.STALE),
        (-MAX_SKEW_SECONDS, None),
        (-MAX_SKEW_SECONDS - 1, Reason.STALE),
        (86_400, Reason.STALE),
    ],
)
def test_a_signature_too_old_or_from_the_future_is_stale(
    delay: float, reason: Reason | None
) -> None:
    assert _verify(_signed(), now=NOW + delay).reason is reason


def test_no_secret_is_a_configuration_error_not_a_verdict() -> None:
    with pytest.raises(ValueError, match="BOT_SIGNING_SECRET"):
        verify("", _signed(), sender="10001", text="x")
    with pytest.raises(ValueError, match="BOT_SIGNING_SECRET"):
        sign("", sender="10001", update_id=1, text="x")


def test_signing_needs_the_update_id() -> None:
    with pytest.raises(ValueError, match="update_id"):
        signed_metadata(SECRET, sender="10001", text="x", metadata={"language": "zh"})


def test_the_secret_comes_from_bot_signing_secret() -> None:
    assert secret_from_env({"BOT_SIGNING_SECRET": " s3 "}) == "s3"
    assert secret_from_env({}) == ""


def test_the_replay_guard_accepts_each_signature_once_while_it_is_valid() -> None:
    guard = ReplayGuard(ttl=300)
    first = sign(SECRET, sender="10001", update_id=1, text="确认", now=1_000)
    retry = sign(SECRET, sender="10001", update_id=1, text="确认", now=1_020)
    assert guard.first_use(first, now=1_000)
    assert not guard.first_use(first, now=1_100)  # the same capture posted again
    assert guard.first_use(retry, now=1_020)  # the bot's own retry signs afresh
    later = sign(SECRET, sender="10001", update_id=2, text="x", now=1_400)
    assert guard.first_use(later, now=1_400)
    assert len(guard) == 1  # both earlier signatures expired and were forgotten


def test_the_message_time_is_signed_too() -> None:
    """A typed yes counts only for an offer shown before it was written: that time must be the
    bot's, not the caller's."""
    written = "2026-12-03T10:00:00+08:00"
    metadata = signed_metadata(
        SECRET,
        sender="10001",
        text="确认",
        metadata={"update_id": 9, "message_time": written},
        now=NOW,
    )
    assert _verify(metadata, text="确认").ok
    later = {**metadata, "message_time": "2026-12-03T10:30:00+08:00"}
    assert _verify(later, text="确认").reason is Reason.BAD_SIGNATURE


def test_the_reply_language_is_signed_too() -> None:
    """The actions answer in the language the bot decided (issue 16), so it must be the bot's:
    changing, adding or removing it breaks the signature."""
    metadata = _signed()
    assert _verify(metadata).ok
    assert _verify({**metadata, "language": "en"}).reason is Reason.BAD_SIGNATURE
    stripped = {key: value for key, value in metadata.items() if key != "language"}
    assert _verify(stripped).reason is Reason.BAD_SIGNATURE
    unlabelled = signed_metadata(
        SECRET, sender="10001", text=TEXT, metadata={"update_id": 42}, now=NOW
    )
    assert _verify({**unlabelled, "language": "en"}).reason is Reason.BAD_SIGNATURE


def test_the_language_is_appended_to_the_v1_string_only_when_given() -> None:
    entries = sign(SECRET, sender="10001", update_id=42, text="hi", language="en", now=NOW)
    digest = hashlib.sha256(b"hi").hexdigest()
    canonical = 'v1\n["10001","42",1764700000,"' + digest + '",null,"en"]'
    expected = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    assert (entries["signature"], entries["language"]) == (f"v1={expected}", "en")
    assert _verify(entries, text="hi").ok
