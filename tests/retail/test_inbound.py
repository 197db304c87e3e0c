"""retail.inbound: everything the bot learns or records about a message before Rasa, in one
transaction (issue 16): the reply language, the claim, the binding, the remembered language."""

from __future__ import annotations

from sqlalchemy import select

from retail import access, inbox
from retail.clock import FixedClock
from retail.db import Database
from retail.inbound import Admission, admit, admit_transcript
from retail.models import InboundUpdate, User

RETAILER = 10001
STRANGER = 99999


def _admit(
    database: Database,
    clock: FixedClock,
    update_id: int,
    user_id: int,
    detected: str | None,
    *,
    fallback: str | None = "zh",
    remember: bool = True,
) -> Admission:
    with database.session() as session:
        return admit(
            session,
            update_id=update_id,
            telegram_user_id=user_id,
            chat_id=user_id,
            text="some text",
            detected_language=detected,
            fallback_language=fallback,
            clock=clock,
            remember_language=remember,
        )


def _user(database: Database, user_id: int) -> tuple[str, bool]:
    with database.session() as session:
        user = session.scalar(select(User).where(User.telegram_user_id == user_id))
        assert user is not None
        return user.language, user.language_pinned


def _row(database: Database, update_id: int) -> tuple[str, str, str]:
    with database.session() as session:
        row = session.get(InboundUpdate, update_id)
        assert row is not None
        return row.status, row.text, row.language


def test_a_bound_users_message_is_claimed_in_its_language_and_remembered(
    any_db: Database, clock: FixedClock
) -> None:
    assert _admit(any_db, clock, 1, RETAILER, "en") == Admission(True, True, "en")
    assert _row(any_db, 1) == (inbox.RECEIVED, "some text", "en")
    assert _user(any_db, RETAILER) == ("en", False)


def test_a_duplicate_is_not_claimed_again_and_changes_nothing(
    any_db: Database, clock: FixedClock
) -> None:
    _admit(any_db, clock, 1, RETAILER, "zh")
    assert _admit(any_db, clock, 1, RETAILER, "en") == Admission(False, True, "en")
    assert _row(any_db, 1)[2] == "zh"
    assert _user(any_db, RETAILER) == ("zh", False)


def test_a_stranger_is_claimed_unbound_in_telegrams_language(
    any_db: Database, clock: FixedClock
) -> None:
    assert _admit(any_db, clock, 2, STRANGER, None, fallback="en-US") == Admission(
        True, False, "en"
    )


def test_a_chosen_language_wins_and_is_not_overwritten(any_db: Database, clock: FixedClock) -> None:
    with any_db.session() as session:
        access.choose_language(session, access.principal_for(session, RETAILER), "en")
    assert _admit(any_db, clock, 3, RETAILER, "zh").language == "en"
    assert _user(any_db, RETAILER) == ("en", True)


def test_without_remember_the_saved_language_stays(any_db: Database, clock: FixedClock) -> None:
    """A button tap or an over-long message is answered in its language but not remembered."""
    assert _admit(any_db, clock, 4, RETAILER, "en", remember=False).language == "en"
    assert _user(any_db, RETAILER) == ("zh", False)


def test_a_transcript_is_kept_with_its_language_for_a_retry(
    any_db: Database, clock: FixedClock
) -> None:
    _admit(any_db, clock, 5, RETAILER, None)
    with any_db.session() as session:
        language = admit_transcript(
            session,
            update_id=5,
            telegram_user_id=RETAILER,
            text="how much is Liqun",
            detected_language="en",
        )
    assert language == "en"
    assert _row(any_db, 5) == (inbox.RECEIVED, "how much is Liqun", "en")
    assert _user(any_db, RETAILER) == ("en", False)
