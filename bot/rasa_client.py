"""A small aiohttp client for Rasa's REST channel."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from trust import signed_metadata

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) could not answer this message."""


@dataclass(frozen=True)
class RasaButton:
    """A button Rasa asked for: what it says and what a tap sends back."""

    title: str
    payload: str


@dataclass(frozen=True)
class RasaReply:
    """One bot message from Rasa."""

    text: str
    buttons: list[RasaButton] = field(default_factory=list)


class RasaClient:
    """Sends a user's message to ``POST /webhooks/rest/webhook`` and returns Rasa's replies.

    The session is created in :meth:`start` (from the bot's ``post_init``), not at construction,
    so nothing connects at import time and tests can point it anywhere. Every message is signed
    with ``secret`` (``BOT_SIGNING_SECRET``, :mod:`trust.signing`): Rasa's channel and the
    action server refuse a message whose sender the bot did not vouch for. A client without a
    secret can check health but sends nothing.
    """

    def __init__(self, base_url: str, *, timeout: float, secret: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._secret = secret
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the HTTP session."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaReply]:
        """Rasa's replies to ``text`` from ``sender``, signed as sent now.

        ``metadata`` must hold the Telegram ``update_id``; the signature is added to a copy, at
        each call, so a retry after an outage is signed afresh. Raises :class:`RasaUnavailable`
        when Rasa is unreachable, errs (a 401 included: a secret that differs from Rasa's), or
        answers nothing: every intent has an action that speaks, so silence means the action
        server failed.
        """
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not called")
        if not self._secret:
            raise RuntimeError("RasaClient has no signing secret (BOT_SIGNING_SECRET)")
        signed = signed_metadata(self._secret, sender=sender, text=text, metadata=metadata)
        body = {"sender": sender, "message": text, "metadata": signed}
        try:
            async with self._session.post(
                f"{self.base_url}/webhooks/rest/webhook", json=body
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"rasa answered HTTP {response.status}")
                payload = await response.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        replies = [
            RasaReply(
                text=str(item.get("text") or ""),
                buttons=[
                    RasaButton(str(b.get("title", "")), str(b.get("payload", "")))
                    for b in item.get("buttons") or []
                ],
            )
            for item in payload
            if item.get("text") or item.get("buttons")
        ]
        if not replies:
            raise RasaUnavailable("rasa returned no messages")
        return replies

    async def healthy(self) -> bool:
        """True if the Rasa server answers its status endpoint."""
        if self._session is None:
            return False
        try:
            async with self._session.get(f"{self.base_url}/", timeout=3) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False
