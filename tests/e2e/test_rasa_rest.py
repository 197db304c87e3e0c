"""Rasa's REST webhook through the real Rasa server and action server to the database."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from retail.db import Database
from scripts.stack import RASA, ROOT, Stack
from tests.e2e import helpers
from tests.e2e.helpers import wholesale

pytestmark = pytest.mark.e2e


def rest(stack: Stack, sender: str, text: str) -> list[dict[str, object]]:
    """Rasa's replies to a message the bot signed (trust/), as the bot would send it."""
    status, replies = helpers.rest(stack, sender, text)
    assert status == 200, replies
    return replies


def test_zh_price_through_rest_comes_from_the_database(
    stack: Stack, e2e_database: Database
) -> None:
    replies = rest(stack, "10001", "芙蓉王硬多少钱一条")
    text = "\n".join(str(r.get("text", "")) for r in replies)
    assert f"批发价:{wholesale(e2e_database, '芙蓉王(硬)')}/条" in text


def test_en_price_through_rest_is_answered_in_english(stack: Stack, e2e_database: Database) -> None:
    replies = rest(stack, "10002", "how much is Liqun per carton")
    text = "\n".join(str(r.get("text", "")) for r in replies)
    assert f"Wholesale: {wholesale(e2e_database, '利群(新版)')} per carton" in text


def parse(stack: Stack, text: str) -> dict[str, object]:
    """What the trained model understands of one message (Rasa's /model/parse)."""
    request = urllib.request.Request(
        f"{stack.rasa_url}/model/parse?token={stack.rasa_token}",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        parsed: dict[str, object] = json.loads(response.read())
    return parsed


@pytest.mark.parametrize("text", ["price of Furongwnag", "Huangjinye price?", "起源真龙啥价"])
def test_the_trained_model_reads_a_typo_or_rare_brand_as_a_price_question(
    stack: Stack, text: str
) -> None:
    """The intent model's product marker comes from the lookup tables (nlu/intents.py)."""
    intent = parse(stack, text)["intent"]
    assert isinstance(intent, dict) and intent["name"] == "ask_price"


def test_unbound_sender_gets_no_price_through_rest(stack: Stack, e2e_database: Database) -> None:
    replies = rest(stack, "99999", "芙蓉王硬多少钱一条")
    text = "\n".join(str(r.get("text", "")) for r in replies)
    assert wholesale(e2e_database, "芙蓉王(硬)") not in text
    assert "绑定" in text


def test_rasa_training_data_validates() -> None:
    result = subprocess.run(
        [
            str(RASA),
            "data",
            "validate",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data/nlu",
            "data/rules",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/model/parse"), ("GET", "/conversations/10001/tracker")],
)
def test_rasas_http_api_refuses_a_call_without_its_token(
    stack: Stack, method: str, path: str
) -> None:
    request = urllib.request.Request(
        f"{stack.rasa_url}{path}",
        data=json.dumps({"text": "芙蓉王多少钱"}).encode() if method == "POST" else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    try:
        urllib.request.urlopen(request, timeout=30).close()
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 401
