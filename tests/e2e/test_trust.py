"""Issue 14 through the real processes: Rasa's REST channel and the action server take only
what the bot signed (trust/), so a POST that names a sender cannot speak as that shop."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from retail.db import Database
from retail.i18n import t
from scripts.stack import Stack
from tests.e2e.helpers import post_json, signed_body, wholesale

pytestmark = pytest.mark.e2e

PRICE_QUESTION = "芙蓉王硬多少钱一条"


def _webhook(stack: Stack) -> str:
    return f"{stack.rasa_url}/webhooks/rest/webhook"


def _user_texts(stack: Stack, sender: str) -> list[str]:
    """What Rasa's tracker holds as said by ``sender`` (the tracker API, with its token)."""
    url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        tracker: dict[str, Any] = json.loads(response.read())
    return [str(e.get("text")) for e in tracker.get("events") or [] if e.get("event") == "user"]


def test_an_unsigned_message_gets_401_and_never_reaches_the_dialogue(
    stack: Stack, e2e_database: Database
) -> None:
    text = "芙蓉王硬多少钱一条 (unsigned)"
    status, answer = post_json(
        _webhook(stack), {"sender": "10001", "message": text, "metadata": {"update_id": 1}}
    )
    assert (status, answer) == (401, {"error": "unauthorized", "reason": "missing"})
    assert text not in _user_texts(stack, "10001")


def test_a_signature_for_one_sender_does_not_speak_for_another(stack: Stack) -> None:
    text = "我账户还有多少钱"
    forged = {**signed_body(stack, "10001", text), "sender": "10002"}
    status, answer = post_json(_webhook(stack), forged)
    assert (status, answer) == (401, {"error": "unauthorized", "reason": "sender_mismatch"})
    assert text not in _user_texts(stack, "10002")


def test_a_signed_message_with_other_text_gets_401(stack: Stack) -> None:
    body = {**signed_body(stack, "10001", "你好"), "message": "白沙改成30条"}
    status, answer = post_json(_webhook(stack), body)
    assert (status, answer) == (401, {"error": "unauthorized", "reason": "bad_signature"})


def test_a_message_the_bot_signed_is_answered(stack: Stack, e2e_database: Database) -> None:
    status, replies = post_json(_webhook(stack), signed_body(stack, "10001", PRICE_QUESTION))
    text = "\n".join(str(r.get("text", "")) for r in replies)
    assert status == 200
    assert f"批发价:{wholesale(e2e_database, '芙蓉王(硬)')}/条" in text


def test_a_captured_message_posted_again_gets_401(stack: Stack) -> None:
    body = signed_body(stack, "10001", PRICE_QUESTION)
    assert post_json(_webhook(stack), body)[0] == 200
    status, answer = post_json(_webhook(stack), body)
    assert (status, answer) == (401, {"error": "unauthorized", "reason": "replayed"})


def test_the_channels_health_check_stays_open(stack: Stack) -> None:
    with urllib.request.urlopen(f"{stack.rasa_url}/webhooks/rest/", timeout=30) as response:
        assert json.loads(response.read()) == {"status": "ok"}


def _action_call(sender: str, metadata: Any) -> dict[str, Any]:
    """What Rasa posts to the action server to run the price action for ``sender``."""
    latest = {
        "text": PRICE_QUESTION,
        "intent": {"name": "ask_price", "confidence": 0.99},
        "entities": [{"entity": "product", "value": "芙蓉王(硬)"}],
        "metadata": metadata,
    }
    return {
        "next_action": "action_price",
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": latest,
            "events": [{"event": "user", "text": PRICE_QUESTION, "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
    }


@pytest.mark.parametrize("signed_for", [None, "10002"], ids=["unsigned", "signed for 10002"])
def test_the_action_server_with_its_token_still_refuses_a_sender_the_bot_did_not_sign(
    stack: Stack, e2e_database: Database, signed_for: str | None
) -> None:
    metadata: Any = {"update_id": 1}
    if signed_for is not None:
        metadata = signed_body(stack, signed_for, PRICE_QUESTION)["metadata"]
    status, answer = post_json(
        f"http://127.0.0.1:{stack.ports.actions}/webhook",
        _action_call("10001", metadata),
        headers={"X-Action-Token": stack.action_token},
    )
    assert status == 200
    assert [r.get("text") for r in answer["responses"]] == [t("zh", "error.unverified")]
    assert answer["events"] == []
    assert wholesale(e2e_database, "芙蓉王(硬)") not in json.dumps(answer, ensure_ascii=False)


def test_the_action_server_answers_the_same_call_when_the_bot_signed_it(
    stack: Stack, e2e_database: Database
) -> None:
    metadata = signed_body(stack, "10001", PRICE_QUESTION)["metadata"]
    status, answer = post_json(
        f"http://127.0.0.1:{stack.ports.actions}/webhook",
        _action_call("10001", metadata),
        headers={"X-Action-Token": stack.action_token},
    )
    assert status == 200
    assert wholesale(e2e_database, "芙蓉王(硬)") in str(answer["responses"][0]["text"])
