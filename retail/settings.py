"""One settings object for every process, read from the environment.

Defaults are for the embedded demo run on one machine: SQLite under ``var/``, the Bot API
stand-in on port 8081 when no Telegram token is set, Rasa on 5005 and the HTTP API on 8080.
``.env.example`` documents each variable.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_API = "https://api.telegram.org"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    value = _env(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None


def _env_float(name: str, default: float) -> float:
    value = _env(name, str(default))
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise SettingsError(f"{name} must be a finite number, not {value!r}")
    return number


def _env_bool(name: str, default: bool) -> bool:
    return _env(name, "true" if default else "false").lower() in {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A combination of settings the processes must not start with (the message names the
    variable to set)."""


@dataclass(frozen=True)
class Settings:
    """Configuration shared by the bot, the action server and the tools."""

    # The URL carries the database password in production: kept out of the repr.
    database_url: str = field(default=f"sqlite:///{PROJECT_ROOT / 'var' / 'retail.db'}", repr=False)
    default_language: str = "zh"
    telegram_bot_token: str = field(default="", repr=False)
    telegram_api_url: str = ""
    standin_port: int = 8081
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout: float = 20.0
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    bot_mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    max_concurrent_updates: int = 64
    chat_rate_per_second: float = 1.0
    overall_rate_per_second: float = 30.0
    retry_failed_within_minutes: int = 15
    retry_failed_every_seconds: float = 20.0
    unanswered_retry_after_seconds: float = 60.0
    inbound_burst: int = 8
    inbound_per_minute: float = 30.0
    inbound_stranger_per_minute: float = 1.0
    log_level: str = "WARNING"
    reminder_first_lead_hours: float = 6.0
    reminder_last_call_minutes: float = 60.0
    reminder_order_open: bool = True
    reminder_quiet_hours: str = "21:00-08:00"
    reminder_daily_cap: int = 2
    reminder_plan_every_seconds: float = 60.0
    sender_in_bot: bool = True
    sender_rate_per_second: float = 30.0
    sender_batch_size: int = 30
    outbox_lease_seconds: float = 60.0
    outbox_max_attempts: int = 6
    outbox_retry_base_seconds: float = 2.0
    outbox_poll_seconds: float = 1.0
    voice_engine: str = "none"
    voice_model_path: str = ""
    voice_dir: str = str(PROJECT_ROOT / "var" / "voice")
    voice_max_seconds: int = 180
    voice_workers: int = 1
    voice_max_bytes: int = 2_000_000
    feed_banks: str = ""
    retain_inbound_days: int = 90
    retain_outbox_days: int = 180
    retain_voice_days: int = 30
    retain_tracker_days: int = 90
    retention_every_hours: float = 24.0
    tracker_database_url: str = field(default="", repr=False)
    staff_token: str = field(default="", repr=False)
    action_server_host: str = "127.0.0.1"
    action_server_port: int = 5055
    action_server_token: str = field(default="", repr=False)
    bot_signing_secret: str = field(default="", repr=False)
    demo_bot_token: str = field(default="100000001:retail-demo-token", repr=False)

    def __post_init__(self) -> None:
        """Refuse a webhook without a secret: anyone who finds the URL could post updates; and
        staff pages on a reachable address without a token: anyone could read them."""
        if self.bot_mode == "webhook" and not self.webhook_secret:
            raise SettingsError(
                "BOT_MODE=webhook needs WEBHOOK_SECRET (Telegram sends it with every update; "
                "without it anyone who finds the webhook URL can post fake updates)"
            )
        if self.http_host not in LOOPBACK and not self.staff_token:
            raise SettingsError(
                f"HTTP_HOST={self.http_host} needs STAFF_TOKEN (the staff pages show every "
                "shop's reminder figures; only 127.0.0.1 may serve them without a token)"
            )

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from environment variables, falling back to the embedded defaults."""
        defaults = cls()
        token = _env("TELEGRAM_BOT_TOKEN", "")
        standin_port = _env_int("STANDIN_PORT", defaults.standin_port)
        api_default = TELEGRAM_API if token else f"http://127.0.0.1:{standin_port}"
        return cls(
            database_url=_env("DATABASE_URL", defaults.database_url),
            default_language=_env("DEFAULT_LANGUAGE", defaults.default_language),
            telegram_bot_token=token,
            telegram_api_url=_env("TELEGRAM_API_URL", api_default),
            standin_port=standin_port,
            rasa_url=_env("RASA_URL", defaults.rasa_url),
            rasa_timeout=_env_float("RASA_TIMEOUT", defaults.rasa_timeout),
            http_host=_env("HTTP_HOST", defaults.http_host),
            http_port=_env_int("HTTP_PORT", defaults.http_port),
            bot_mode=_env("BOT_MODE", defaults.bot_mode),
            webhook_url=_env("WEBHOOK_URL", ""),
            webhook_listen=_env("WEBHOOK_LISTEN", defaults.webhook_listen),
            webhook_port=_env_int("WEBHOOK_PORT", defaults.webhook_port),
            webhook_secret=_env("WEBHOOK_SECRET", ""),
            max_concurrent_updates=_env_int(
                "MAX_CONCURRENT_UPDATES", defaults.max_concurrent_updates
            ),
            chat_rate_per_second=_env_float("CHAT_RATE_PER_SECOND", defaults.chat_rate_per_second),
            overall_rate_per_second=_env_float(
                "OVERALL_RATE_PER_SECOND", defaults.overall_rate_per_second
            ),
            retry_failed_within_minutes=_env_int(
                "RETRY_FAILED_WITHIN_MINUTES", defaults.retry_failed_within_minutes
            ),
            retry_failed_every_seconds=_env_float(
                "RETRY_FAILED_EVERY_SECONDS", defaults.retry_failed_every_seconds
            ),
            unanswered_retry_after_seconds=_env_float(
                "UNANSWERED_RETRY_AFTER_SECONDS", defaults.unanswered_retry_after_seconds
            ),
            inbound_burst=_env_int("INBOUND_BURST", defaults.inbound_burst),
            inbound_per_minute=_env_float("INBOUND_PER_MINUTE", defaults.inbound_per_minute),
            inbound_stranger_per_minute=_env_float(
                "INBOUND_STRANGER_PER_MINUTE", defaults.inbound_stranger_per_minute
            ),
            log_level=_env("LOG_LEVEL", defaults.log_level),
            reminder_first_lead_hours=_env_float(
                "REMINDER_FIRST_LEAD_HOURS", defaults.reminder_first_lead_hours
            ),
            reminder_last_call_minutes=_env_float(
                "REMINDER_LAST_CALL_MINUTES", defaults.reminder_last_call_minutes
            ),
            reminder_order_open=_env_bool("REMINDER_ORDER_OPEN", defaults.reminder_order_open),
            reminder_quiet_hours=_env("REMINDER_QUIET_HOURS", defaults.reminder_quiet_hours),
            reminder_daily_cap=_env_int("REMINDER_DAILY_CAP", defaults.reminder_daily_cap),
            reminder_plan_every_seconds=_env_float(
                "REMINDER_PLAN_EVERY_SECONDS", defaults.reminder_plan_every_seconds
            ),
            sender_in_bot=_env_bool("SENDER_IN_BOT", defaults.sender_in_bot),
            sender_rate_per_second=_env_float(
                "SENDER_RATE_PER_SECOND", defaults.sender_rate_per_second
            ),
            sender_batch_size=_env_int("SENDER_BATCH_SIZE", defaults.sender_batch_size),
            outbox_lease_seconds=_env_float("OUTBOX_LEASE_SECONDS", defaults.outbox_lease_seconds),
            outbox_max_attempts=_env_int("OUTBOX_MAX_ATTEMPTS", defaults.outbox_max_attempts),
            outbox_retry_base_seconds=_env_float(
                "OUTBOX_RETRY_BASE_SECONDS", defaults.outbox_retry_base_seconds
            ),
            outbox_poll_seconds=_env_float("OUTBOX_POLL_SECONDS", defaults.outbox_poll_seconds),
            voice_engine=_env("VOICE_ENGINE", defaults.voice_engine).lower(),
            voice_model_path=_env("VOICE_MODEL_PATH", defaults.voice_model_path),
            voice_dir=_env("VOICE_DIR", defaults.voice_dir),
            voice_max_seconds=_env_int("VOICE_MAX_SECONDS", defaults.voice_max_seconds),
            voice_workers=_env_int("VOICE_WORKERS", defaults.voice_workers),
            voice_max_bytes=_env_int("VOICE_MAX_BYTES", defaults.voice_max_bytes),
            feed_banks=_env("FEED_BANKS", defaults.feed_banks),
            retain_inbound_days=_env_int("RETAIN_INBOUND_DAYS", defaults.retain_inbound_days),
            retain_outbox_days=_env_int("RETAIN_OUTBOX_DAYS", defaults.retain_outbox_days),
            retain_voice_days=_env_int("RETAIN_VOICE_DAYS", defaults.retain_voice_days),
            retain_tracker_days=_env_int("RETAIN_TRACKER_DAYS", defaults.retain_tracker_days),
            retention_every_hours=_env_float(
                "RETENTION_EVERY_HOURS", defaults.retention_every_hours
            ),
            tracker_database_url=_env("TRACKER_DATABASE_URL", ""),
            staff_token=_env("STAFF_TOKEN", ""),
            action_server_host=_env("ACTION_SERVER_HOST", defaults.action_server_host),
            action_server_port=_env_int("ACTION_SERVER_PORT", defaults.action_server_port),
            action_server_token=_env("ACTION_SERVER_TOKEN", ""),
            bot_signing_secret=_env("BOT_SIGNING_SECRET", ""),
            demo_bot_token=_env("DEMO_BOT_TOKEN", defaults.demo_bot_token),
        )

    @property
    def uses_standin(self) -> bool:
        """True when no real Telegram token is configured: the bot talks to the local stand-in."""
        return not self.telegram_bot_token

    @property
    def bot_token(self) -> str:
        """The token the bot authenticates with: the real one, or the stand-in's demo token."""
        return self.telegram_bot_token or self.demo_bot_token
