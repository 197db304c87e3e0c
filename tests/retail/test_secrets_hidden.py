"""No secret in a repr or a log line: settings, the database URL, SQL errors; and no webhook
without its secret."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from retail.db import Database
from retail.models import InboundUpdate
from retail.settings import Settings, SettingsError


def test_webhook_mode_without_a_secret_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/telegram")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)

    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        Settings.from_env()
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret")
    assert Settings.from_env().bot_mode == "webhook"


def test_the_settings_repr_carries_no_secret() -> None:
    settings = Settings(
        database_url="postgresql://retail:db-pass-1@postgres:5432/retail",
        telegram_bot_token="123:tg-token-2",
        webhook_secret="hook-secret-3",
        staff_token="staff-token-4",
        action_server_token="action-token-5",
        tracker_database_url="postgresql://retail:db-pass-6@postgres/rasa_tracker",
    )
    shown = repr(settings)
    leaked = [
        s
        for s in (
            "db-pass-1",
            "tg-token-2",
            "hook-secret-3",
            "staff-token-4",
            "action-token-5",
            "db-pass-6",
        )
        if s in shown
    ]
    assert leaked == []


def test_the_database_and_engine_reprs_mask_the_password() -> None:
    database = Database("postgresql://retail:db-pass-7@127.0.0.1:5432/retail")
    try:
        shown = [repr(database), repr(database.engine), str(database.engine.url)]
    finally:
        database.dispose()
    assert [s for s in shown if "db-pass-7" in s] == []
    assert "***" in repr(database)


def test_sql_errors_do_not_carry_the_bound_values(
    any_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with any_db.session() as session:
        session.execute(
            text(
                "INSERT INTO inbound_updates (update_id, telegram_user_id, chat_id, text, "
                "language, status, attempts, received_at) VALUES (1, 1, 1, 'x', 'zh', 'answered', "
                "0, CURRENT_TIMESTAMP)"
            )
        )
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(IntegrityError) as failure,
        any_db.session() as session,
    ):
        session.add(
            InboundUpdate(
                update_id=1,
                telegram_user_id=1,
                chat_id=1,
                text="我的手机 13812345678",
                received_at=datetime.now(timezone.utc),
            )
        )
    assert "13812345678" not in str(failure.value)
    assert "13812345678" not in caplog.text
    assert "hidden due to hide_parameters" in str(failure.value)


def test_staff_pages_on_a_reachable_address_need_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_HOST", "0.0.0.0")
    monkeypatch.delenv("STAFF_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="STAFF_TOKEN"):
        Settings.from_env()
    monkeypatch.setenv("STAFF_TOKEN", "staff-secret")
    assert Settings.from_env().http_host == "0.0.0.0"
    monkeypatch.setenv("HTTP_HOST", "127.0.0.1")
    monkeypatch.delenv("STAFF_TOKEN")
    assert Settings.from_env().staff_token == ""
