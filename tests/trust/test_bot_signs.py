"""The bot's side of issue 14: every message RasaClient posts carries the bot's signature, and
the bot does not start without the secret to sign with."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.rasa_client import RasaClient
from trust import verify

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bot-test-secret"


@pytest_asyncio.fixture(loop_scope="function")
async def rasa_stub() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP server on the REST webhook path that keeps each body and answers one reply."""
    received: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response([{"text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", received
    finally:
        await runner.cleanup()


async def test_each_message_goes_to_rasa_signed_for_its_sender_and_text(
    rasa_stub: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = rasa_stub
    client = RasaClient(url, timeout=5, secret=SECRET)
    await client.start()
    try:
        metadata = {"update_id": 11, "language": "zh"}
        await client.send("10001", "芙蓉王硬多少钱一条", metadata)
        await client.send("10002", "/affirm", {"update_id": 12, "language": "en"})
    finally:
        await client.close()
    assert metadata == {"update_id": 11, "language": "zh"}  # the caller's dict is left alone
    verdicts = [
        verify(SECRET, body["metadata"], sender=body["sender"], text=body["message"]).reason
        for body in received
    ]
    assert verdicts == [None, None]
    assert [(b["metadata"]["update_id"], b["metadata"]["language"]) for b in received] == [
        (11, "zh"),
        (12, "en"),
    ]


async def test_a_client_without_a_secret_sends_nothing(
    rasa_stub: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = rasa_stub
    client = RasaClient(url, timeout=5)
    await client.start()
    try:
        with pytest.raises(RuntimeError, match="BOT_SIGNING_SECRET"):
            await client.send("10001", "你好", {"update_id": 1})
    finally:
        await client.close()
    assert received == []


def _start_bot(
    tmp_path: Path, *, without: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` with ``without`` unset and ``settings`` added; it should stop."""
    env = {k: v for k, v in os.environ.items() if k != without}
    env |= {
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'retail.db'}",
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        **settings,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_bot_does_not_start_without_the_signing_secret(tmp_path: Path) -> None:
    result = _start_bot(tmp_path, without="BOT_SIGNING_SECRET")
    assert (result.returncode, "BOT_SIGNING_SECRET" in result.stderr) == (2, True)


def test_a_webhook_without_its_secret_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    result = _start_bot(
        tmp_path,
        without="WEBHOOK_SECRET",
        BOT_MODE="webhook",
        WEBHOOK_URL="https://example.invalid/telegram",
    )
    assert result.returncode == 2
    assert "WEBHOOK_SECRET" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
