"""The Telegram bot: wires python-telegram-bot to Rasa, the database and the HTTP API.

Run it with ``python -m bot`` (``make run`` does, with everything else). Without
TELEGRAM_BOT_TOKEN it talks to the local Bot API stand-in instead of Telegram.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import handlers
from bot.http_api import start_http_api
from bot.processor import IN_FLIGHT, ChatOrderedProcessor
from bot.rasa_client import RasaClient
from bot.ratelimit import ChatRateLimiter
from bot.sender import start_reminder_jobs
from bot.services import SERVICES, Services
from bot.voice import VOICE, Listener, VoiceConfigError
from retail.clock import SystemClock
from retail.db import Database
from retail.retention import purge_configured
from retail.settings import Settings

log = logging.getLogger(__name__)
HTTP_RUNNER = "http_runner"
COMMANDS = [
    BotCommand("start", "绑定 / Link your account"),
    BotCommand("help", "帮助 / Help"),
]


def build_application(settings: Settings) -> Application:
    """An Application configured from ``settings``; nothing connects until it starts."""

    async def post_init(application: Application) -> None:
        application.bot_data[VOICE] = await asyncio.to_thread(Listener.from_settings, settings)
        rasa = RasaClient(
            settings.rasa_url, timeout=settings.rasa_timeout, secret=settings.bot_signing_secret
        )
        await rasa.start()
        svc = Services(settings, Database(settings.database_url), rasa, SystemClock())
        application.bot_data[SERVICES] = svc
        application.bot_data[HTTP_RUNNER] = await start_http_api(
            svc, settings.http_host, settings.http_port
        )
        await application.bot.set_my_commands(COMMANDS)
        assert application.job_queue is not None
        application.job_queue.run_repeating(
            handlers.retry_failed,
            interval=settings.retry_failed_every_seconds,
            first=settings.retry_failed_every_seconds,
        )
        application.job_queue.run_repeating(
            _retention_job,
            interval=settings.retention_every_hours * 3600,
            first=300,
            data=(svc.database, settings),
            name="retention",
        )
        if settings.sender_in_bot:
            start_reminder_jobs(
                application, database=svc.database, clock=svc.clock, settings=settings
            )
        log.warning(
            "bot ready", extra={"api": settings.telegram_api_url, "mode": settings.bot_mode}
        )

    async def post_shutdown(application: Application) -> None:
        listening: Listener | None = application.bot_data.pop(VOICE, None)
        if listening is not None:
            await asyncio.to_thread(listening.close)
        runner = application.bot_data.pop(HTTP_RUNNER, None)
        if runner is not None:
            await runner.cleanup()
        svc: Services | None = application.bot_data.pop(SERVICES, None)
        if svc is not None:
            await svc.rasa.close()
            svc.database.dispose()

    api = settings.telegram_api_url.rstrip("/")
    processor = ChatOrderedProcessor(settings.max_concurrent_updates)
    application = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .concurrent_updates(processor)
        .rate_limiter(
            ChatRateLimiter(
                overall_per_second=settings.overall_rate_per_second,
                chat_per_second=settings.chat_rate_per_second,
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    # The retry job skips what the processor is handling right now: one set, shared.
    application.bot_data[IN_FLIGHT] = processor.in_flight
    application.add_handler(CommandHandler("start", handlers.on_start))
    application.add_handler(MessageHandler(filters.CONTACT, handlers.on_contact))
    application.add_handler(MessageHandler(filters.TEXT, handlers.on_text))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_handler(MessageHandler(filters.VOICE | filters.AUDIO, handlers.on_voice))
    application.add_handler(MessageHandler(filters.ALL & ~filters.COMMAND, handlers.on_other))
    application.add_error_handler(handlers.on_error)
    return application


async def _retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Purge data past its retention (retail.retention), off the event loop."""
    assert context.job is not None
    database, settings = context.job.data  # type: ignore[misc]
    try:
        await asyncio.to_thread(purge_configured, database, settings, clock=SystemClock())
    except Exception:  # a failed purge is retried at the next run; the bot carries on
        log.exception("retention purge failed")


def run(settings: Settings) -> None:
    """Serve until interrupted: polling by default, a webhook when BOT_MODE=webhook.

    A voice engine that cannot load (VOICE_ENGINE, VOICE_MODEL_PATH) stops the bot at start-up
    with one log line and exit status 2; so does a missing BOT_SIGNING_SECRET, without which
    Rasa and the action server would refuse every message (``make run`` makes one per run).
    """
    if not settings.bot_signing_secret:
        log.critical("BOT_SIGNING_SECRET is not set: the bot cannot sign what it sends to Rasa")
        raise SystemExit(2)
    try:
        _serve(build_application(settings), settings)
    except VoiceConfigError as error:
        log.critical("voice engine not usable", extra={"error": str(error)})
        raise SystemExit(2) from None


def _serve(application: Application, settings: Settings) -> None:
    if settings.bot_mode == "webhook":
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret or None,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
