"""Every retail action checks the bot's signature before it touches retail (actions/base.py):
an unsigned message, or one signed for another sender, gets a polite refusal and nothing else."""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
import time
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions
from actions.base import RetailAction
from actions.chitchat import ActionSetLanguage
from actions.forms import RetailFormValidation
from actions.prices import ActionPrice
from actions.runtime import Runtime, configure, runtime
from actions.settlement import ActionSettlementStatus
from retail.db import Database
from retail.i18n import format_money, t
from retail.models import Product, User
from tests.actions.history import bot_metadata
from trust import secret_from_env, signed_metadata

PRICE_QUESTION = "芙蓉王硬多少钱一条"


def _tracker(sender: str, text: str, intent: str, metadata: Any) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [],
        "metadata": metadata,
    }
    return Tracker(
        sender_id=sender,
        slots={},
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def _run(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def _wholesale(db: Database, spec: str) -> str:
    with db.session() as session:
        product = session.scalar(select(Product).where(Product.spec == spec))
        assert product is not None
        return format_money(product.wholesale_per_carton)


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {"update_id": 5, "language": "zh"},
        {**bot_metadata("10001", PRICE_QUESTION), "signature": "v1=" + "0" * 64},
    ],
    ids=["no metadata", "unsigned", "bad signature"],
)
async def test_an_unsigned_price_question_gets_a_refusal_and_no_price(
    run_action: Any, db: Database, metadata: Any
) -> None:
    messages, events = await _run(
        ActionPrice(), _tracker("10001", PRICE_QUESTION, "ask_price", metadata)
    )
    assert [m["text"] for m in messages] == [t("zh", "error.unverified")]
    assert events == []
    assert _wholesale(db, "芙蓉王(硬)") not in str(messages)


async def test_a_signature_for_another_sender_does_not_open_this_senders_shop(
    run_action: Any, db: Database
) -> None:
    tracker = _tracker("10001", "我账户还有多少钱", "settlement_status", None)
    tracker.latest_message["metadata"] = bot_metadata("10002", "我账户还有多少钱")
    messages, events = await _run(ActionSettlementStatus(), tracker)
    assert ([m["text"] for m in messages], events) == ([t("zh", "error.unverified")], [])
    assert "¥" not in str(messages)


async def test_a_stale_signature_is_refused(run_action: Any) -> None:
    old = signed_metadata(
        secret_from_env(),
        sender="10001",
        text=PRICE_QUESTION,
        metadata={"update_id": 9},
        now=time.time() - 3600,
    )
    messages, _ = await _run(ActionPrice(), _tracker("10001", PRICE_QUESTION, "ask_price", old))
    assert [m["text"] for m in messages] == [t("zh", "error.unverified")]


async def test_the_refusal_is_in_the_language_of_the_message_and_nothing_is_written(
    run_action: Any, db: Database
) -> None:
    messages, _ = await _run(
        ActionSetLanguage(), _tracker("10001", "speak English please", "set_language", {})
    )
    assert [m["text"] for m in messages] == [t("en", "error.unverified")]
    with db.session() as session:
        user = session.scalar(select(User).where(User.telegram_user_id == 10001))
        assert user is not None and not user.language_pinned


async def test_a_refusal_logs_a_warning_without_the_secret(
    run_action: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="actions.base"):
        await _run(ActionPrice(), _tracker("10002", PRICE_QUESTION, "ask_price", {"update_id": 1}))
    [record] = [r for r in caplog.records if r.name == "actions.base"]
    assert record.getMessage() == "unsigned message refused"
    assert (record.__dict__["sender"], record.__dict__["reason"]) == ("10002", "missing")
    secret = runtime().signing_secret
    assert secret and secret not in caplog.text


async def test_the_same_message_signed_by_the_bot_is_answered(
    run_action: Any, db: Database
) -> None:
    signed = bot_metadata("10001", PRICE_QUESTION)
    messages, _ = await _run(ActionPrice(), _tracker("10001", PRICE_QUESTION, "ask_price", signed))
    assert f"批发价:{_wholesale(db, '芙蓉王(硬)')}/条" in messages[0]["text"]


async def test_without_a_secret_every_message_is_refused(db: Database, clock: Any) -> None:
    configure(Runtime(db, clock, ""))
    try:
        signed = bot_metadata("10001", PRICE_QUESTION)
        messages, _ = await _run(
            ActionPrice(), _tracker("10001", PRICE_QUESTION, "ask_price", signed)
        )
    finally:
        configure(None)
    assert [m["text"] for m in messages] == [t("zh", "error.unverified")]


# Custom actions that are not RetailActions, and why they need no signature check.
NOT_RETAIL = {
    "ValidateManagerAnswerForm": "checks the typed answer text only; touches no retail data",
    "ValidateOrderQuantityForm": "reads the typed quantity only; touches no retail data",
}


def test_every_custom_action_that_can_touch_retail_checks_the_signature() -> None:
    modules = [
        importlib.import_module(f"actions.{info.name}")
        for info in pkgutil.iter_modules(actions.__path__)
    ]
    found = {
        cls.__name__: cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Action) and cls.__module__ == module.__name__
    }
    unchecked = sorted(
        name
        for name, cls in found.items()
        # A RetailFormValidation checks the signature before it reads an answer (actions/forms.py).
        if not issubclass(cls, (RetailAction, RetailFormValidation)) and name not in NOT_RETAIL
    )
    assert (unchecked, len(found) > 40) == ([], True)


# --- the reply language the bot signed (issue 16) -------------------------------------------


async def test_the_action_answers_in_the_language_the_bot_signed(
    run_action: Any, db: Database
) -> None:
    """The bot decided English for this Chinese question (say, the user chose English): the
    action answers exactly as it would for a user who pinned English, without deciding again."""
    signed = bot_metadata("10001", PRICE_QUESTION, language="en")
    answered, _ = await _run(ActionPrice(), _tracker("10001", PRICE_QUESTION, "ask_price", signed))
    with db.session() as session:
        user = session.scalar(select(User).where(User.telegram_user_id == 10001))
        assert user is not None
        user.language, user.language_pinned = "en", True
    unlabelled = bot_metadata("10001", PRICE_QUESTION)
    pinned, _ = await _run(
        ActionPrice(), _tracker("10001", PRICE_QUESTION, "ask_price", unlabelled)
    )
    assert answered == pinned
    assert "批发价" not in answered[0]["text"]


async def test_the_signed_language_holds_before_the_sender_is_known(run_action: Any) -> None:
    signed = bot_metadata("99999", PRICE_QUESTION, language="en")
    messages, _ = await _run(ActionPrice(), _tracker("99999", PRICE_QUESTION, "ask_price", signed))
    assert [m["text"] for m in messages] == [t("en", "error.not_bound")]


async def test_a_language_the_bot_does_not_speak_leaves_the_action_to_decide(
    run_action: Any,
) -> None:
    signed = bot_metadata("99999", PRICE_QUESTION, language="fr")
    messages, _ = await _run(ActionPrice(), _tracker("99999", PRICE_QUESTION, "ask_price", signed))
    assert [m["text"] for m in messages] == [t("zh", "error.not_bound")]


async def test_a_language_changed_after_signing_is_refused(run_action: Any) -> None:
    signed = {**bot_metadata("10001", PRICE_QUESTION, language="zh"), "language": "en"}
    messages, _ = await _run(ActionPrice(), _tracker("10001", PRICE_QUESTION, "ask_price", signed))
    assert [m["text"] for m in messages] == [t("zh", "error.unverified")]
