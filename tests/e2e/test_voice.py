"""A manager's voice note through the stand-in, the real bot (PocketSphinx), Rasa and the actions.

The stack must run with ``VOICE_ENGINE=pocketsphinx`` (tests/e2e/conftest.py sets it). The notes
are English speech made by espeak-ng; PocketSphinx gets about half the words right, so the tests
check a few words of the transcript, that the assistant answered it like a typed message, and
that a dictated visit note is summarised and saved with one tap.
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from retail.db import Database
from retail.i18n import t
from retail.models import Retailer, VisitNote
from retail.settings import Settings
from scripts.stack import Stack
from standin import StandinClient
from tests.e2e.test_orders import tap
from tests.speech import speech_ogg

pytestmark = pytest.mark.e2e

MANAGER = 20001
SENTENCE = "the customer asked about the price of cigarettes and the order for next week"
KEY_WORDS = {"customer", "price", "cigarettes", "order", "week"}
FAILURES = {
    t(language, key) for language in ("zh", "en") for key in ("error.backend_down", "error.generic")
}


async def last_user_text(stack: Stack, sender: int) -> str | None:
    """The newest user message in Rasa's tracker for ``sender``: what the bot sent as typed."""
    url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        tracker = await response.json()
    said = [e.get("text") for e in tracker.get("events", []) if e.get("event") == "user"]
    return str(said[-1]) if said else None


async def test_manager_voice_note_is_transcribed_and_answered_by_the_assistant(
    stack: Stack, standin: StandinClient
) -> None:
    env = stack.child_env()
    assert env.get("VOICE_ENGINE") == "pocketsphinx", "run the e2e stack with VOICE_ENGINE"
    audio = speech_ogg(SENTENCE)
    await standin.add_user(MANAGER, first_name="王建国", language_code="zh-hans")
    since = await standin.last_seq()

    sent = await standin.send_voice(MANAGER, audio, duration=5)
    transcript, *answers = await standin.wait_for_messages(
        MANAGER, 2, since=since, timeout=60, methods={"sendMessage"}
    )

    text = str(transcript["text"])
    assert text.startswith("🎤"), text
    assert len(set(text.lower().split()) & KEY_WORDS) >= 3, text
    said = await last_user_text(stack, MANAGER)
    assert said is not None and text.endswith(said), (text, said)
    assert answers and all(str(a["text"]) not in FAILURES for a in answers), answers
    voice_dir = Path(env.get("VOICE_DIR") or Settings().voice_dir)
    assert (voice_dir / str(MANAGER) / f"{sent.message_id}.ogg").read_bytes() == audio


VISIT = (
    "this morning I visited the Meixi Lake International Convenience Store "
    "and checked the price tags"
)


async def test_a_dictated_visit_note_is_transcribed_summarised_and_saved(
    stack: Stack, standin: StandinClient, e2e_database: Database
) -> None:
    await standin.add_user(MANAGER, first_name="王建国", language_code="zh-hans")
    since = await standin.last_seq()

    await standin.send_voice(MANAGER, speech_ogg(VISIT), duration=6)
    transcript, summary = await standin.wait_for_messages(
        MANAGER, 2, since=since, timeout=60, methods={"sendMessage"}
    )

    heard = re.split("[:：]", str(transcript["text"]), maxsplit=1)[-1].strip()
    assert "convenience store" in heard, heard
    assert "R008" in str(summary["text"]), summary["text"]
    buttons = [b["text"] for row in summary["reply_markup"]["inline_keyboard"] for b in row]
    save = "Save" if any("Save" in b for b in buttons) else "保存"
    saved = await tap(standin, MANAGER, summary, save)
    assert "R008" in saved or "Meixi" in saved or "梅溪湖" in saved, saved
    with e2e_database.session() as session:
        shop = session.scalars(select(Retailer).where(Retailer.code == "R008")).one()
        notes = session.scalars(select(VisitNote).where(VisitNote.retailer_id == shop.id)).all()
        assert [note.status for note in notes if heard in note.raw_text] == ["saved"]
