"""One settings object for every process, read from the environment.

Defaults are for the embedded demo run on one machine: SQLite under ``var/``, the Bot API
stand-in on port 8081 when no Telegram token is set, Rasa on 5005 and the HTTP API on 8080.
``.env.example`` documents each variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_API = "https://api.telegram.org"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


@dataclass(frozen=True)
class Settings:
    """Configuration shared by the bot, the action server and the tools."""

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'retail.db'}"
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    telegram_bot_token: str = ""
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
    webhook_secret: str = ""
    max_concurrent_updates: int = 64
    chat_rate_per_second: float = 1.0
    overall_rate_per_second: float = 30.0
    retry_failed_within_minutes: int = 15
    retry_failed_every_seconds: float = 20.0
    log_level: str = "WARNING"
    demo_bot_token: str = field(default="100000001:retail-demo-token", repr=False)

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from environment variables, falling back to the embedded defaults."""
        defaults = cls()
        token = _env("TELEGRAM_BOT_TOKEN", "")
        standin_port = _env_int("STANDIN_PORT", defaults.standin_port)
        api_default = TELEGRAM_API if token else f"http://127.0.0.1:{standin_port}"
        return cls(
            database_url=_env("DATABASE_URL", defaults.database_url),
            timezone=_env("RETAIL_TIMEZONE", defaults.timezone),
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
            log_level=_env("LOG_LEVEL", defaults.log_level),
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
