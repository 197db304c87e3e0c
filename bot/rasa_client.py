"""A small aiohttp client for Rasa's REST channel, over one Rasa server or several.

``RASA_URL`` may list several Rasa servers, comma-separated (the production shape runs them on
one SQL tracker store and one Redis lock store, so any of them can serve any conversation).
The client takes them round robin, skipping those it saw fail until a health probe finds them
answering again, and retries a message on another server when the one it tried cannot have
answered it: the connection failed or broke (a server killed mid-turn), a 502/503/504, or no
reply at all (the action server behind that Rasa failed). Every attempt shares one
``RASA_TIMEOUT``, so the caller's view of "Rasa is down" comes no later than before.

Running a turn again on another server is safe: every confirm step is idempotent per offer
(retail/models/offers.py, the order plan's claim, deposit claims' offer_key, visit notes'
draft_id), so a confirm that the dead server had already applied is not applied twice; and each
attempt is signed afresh, so no Rasa takes it for a replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from trust import signed_metadata

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({502, 503, 504})
"""Answers from something in front of a Rasa server that could not reach it."""
PROBE_SECONDS = 2.0
"""How often each Rasa server is asked whether it answers (only with several servers)."""
CUT_OFF_PAUSE = 3.0
"""How long to wait before sending again a turn whose server died mid-way. That server's ticket
in Rasa's lock store holds the conversation until it expires (TICKET_LOCK_LIFETIME), and Rasa
3.6 has a trap there: a waiter polls the lock once a second and drops expired tickets, its own
included, so if the dead ticket and the retry's ticket expire within one poll of each other the
retry waits forever. Issuing the retry's ticket a few seconds after the dead one keeps the two
expiries apart; it costs no time, as the retry cannot run before the dead ticket expires."""


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) could not answer this message."""


class _TryAnother(RasaUnavailable):
    """This server failed in a way another server may not: try the next one (after ``pause``
    seconds)."""

    def __init__(self, reason: str, *, pause: float = 0.0) -> None:
        super().__init__(reason)
        self.pause = pause


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


@dataclass
class Replica:
    """One Rasa server and whether the client believes it answers."""

    url: str
    up: bool = True


def rasa_urls(value: str) -> list[str]:
    """The Rasa servers a ``RASA_URL`` value names (one URL, or several comma-separated)."""
    urls = [url.strip().rstrip("/") for url in value.split(",") if url.strip()]
    if not urls:
        raise ValueError("RASA_URL names no Rasa server")
    return urls


def _replies(payload: Any) -> list[RasaReply]:
    return [
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


class RasaClient:
    """Sends a user's message to ``POST /webhooks/rest/webhook`` and returns Rasa's replies.

    The session (and, with several servers, the health probe) starts in :meth:`start` (from
    the bot's ``post_init``), not at construction, so nothing connects at import time and tests
    can point it anywhere. Every message is signed with ``secret`` (``BOT_SIGNING_SECRET``,
    :mod:`trust.signing`): Rasa's channel and the action server refuse a message whose sender
    the bot did not vouch for. A client without a secret can check health but sends nothing.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        secret: str = "",
        probe_every: float = PROBE_SECONDS,
        cut_off_pause: float = CUT_OFF_PAUSE,
    ) -> None:
        self.replicas = [Replica(url) for url in rasa_urls(base_url)]
        self.timeout = timeout
        self.probe_every = probe_every
        self.cut_off_pause = cut_off_pause
        self._secret = secret
        self._next = 0
        self._session: aiohttp.ClientSession | None = None
        self._probe: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the HTTP session; with several servers, start probing them."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        if len(self.replicas) > 1 and self._probe is None:
            self._probe = asyncio.create_task(self._probe_forever())

    async def close(self) -> None:
        """Stop probing and close the HTTP session."""
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
            self._probe = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[RasaReply]:
        """Rasa's replies to ``text`` from ``sender``, signed as sent now.

        ``metadata`` must hold the Telegram ``update_id``; the signature is added to a copy, at
        each attempt, so a retry is signed afresh. Each server is tried at most once, within
        RASA_TIMEOUT in all. Raises :class:`RasaUnavailable` when no server answered: all
        unreachable, a 502/503/504 or silence from each (every intent has an action that
        speaks, so silence means the action server failed), or at once on an answer another
        server would give too (a 401: a secret that differs from Rasa's; a 500) or when the
        time is up.
        """
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not called")
        if not self._secret:
            raise RuntimeError("RasaClient has no signing secret (BOT_SIGNING_SECRET)")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        failure = "no time left to ask Rasa"
        order = self._order()
        for attempt, replica in enumerate(order, start=1):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                replies = await self._post(replica, sender, text, metadata, remaining)
            except _TryAnother as error:
                failure = f"{replica.url}: {error}"
                log.warning(
                    "rasa server failed the message",
                    extra={"replica": replica.url, "error": str(error), "attempt": attempt},
                )
                if attempt < len(order):  # a pause only helps a server still to be tried
                    await asyncio.sleep(min(error.pause, max(0.0, deadline - loop.time())))
                continue
            log.info(
                "rasa answered",
                extra={
                    "replica": replica.url,
                    "attempt": attempt,
                    "update_id": metadata.get("update_id"),
                },
            )
            return replies
        raise RasaUnavailable(failure)

    def _order(self) -> list[Replica]:
        """Every server once, starting with the next in turn; those seen failing go last."""
        start = self._next
        self._next = (start + 1) % len(self.replicas)
        turn = self.replicas[start:] + self.replicas[:start]
        return [r for r in turn if r.up] + [r for r in turn if not r.up]

    async def _post(
        self,
        replica: Replica,
        sender: str,
        text: str,
        metadata: dict[str, Any],
        timeout: float,
    ) -> list[RasaReply]:
        assert self._session is not None
        signed = signed_metadata(self._secret, sender=sender, text=text, metadata=metadata)
        body = {"sender": sender, "message": text, "metadata": signed}
        try:
            async with self._session.post(
                f"{replica.url}/webhooks/rest/webhook",
                json=body,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                if response.status in RETRY_STATUSES:
                    raise _TryAnother(f"rasa answered HTTP {response.status}")
                if response.status != 200:
                    raise RasaUnavailable(f"rasa answered HTTP {response.status}")
                payload = await response.json()
        except asyncio.TimeoutError as error:  # the whole budget was this attempt's: none left
            raise RasaUnavailable(str(error) or "timed out") from error
        except aiohttp.ClientConnectorError as error:  # refused: the message never got there
            replica.up = False
            raise _TryAnother(str(error) or type(error).__name__) from error
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as error:
            # Reset or cut off mid-turn: the server is gone (for now), its lock ticket is not.
            replica.up = False
            reason = str(error) or type(error).__name__
            raise _TryAnother(reason, pause=self.cut_off_pause) from error
        except aiohttp.ClientError as error:
            raise RasaUnavailable(str(error) or type(error).__name__) from error
        replica.up = True
        replies = _replies(payload)
        if not replies:
            raise _TryAnother("rasa returned no messages")
        return replies

    async def healthy(self) -> bool:
        """True if at least one Rasa server answers its root endpoint."""
        if self._session is None:
            return False
        answers = await asyncio.gather(*(self._answers(replica) for replica in self.replicas))
        return any(answers)

    async def _answers(self, replica: Replica) -> bool:
        assert self._session is not None
        try:
            async with self._session.get(
                f"{replica.url}/", timeout=aiohttp.ClientTimeout(total=3)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def _probe_forever(self) -> None:
        """Ask each server every ``probe_every`` seconds; note (and log) when one goes or
        comes back, so traffic returns to a restarted server without waiting for a failure.
        A server that is slow to answer is busy, not gone: only a failed connection or an
        error status takes it out of turn."""
        while True:
            answers = await asyncio.gather(*(self._probe_one(r) for r in self.replicas))
            for replica, up in zip(self.replicas, answers, strict=True):
                if up is None or up == replica.up:
                    continue
                replica.up = up
                state = "back" if up else "down"
                log.warning(f"rasa server {state}", extra={"replica": replica.url})
            await asyncio.sleep(self.probe_every)

    async def _probe_one(self, replica: Replica) -> bool | None:
        """True if ``replica`` answers, False if it cannot be reached or errs, None if it did
        not answer in time (busy)."""
        assert self._session is not None
        try:
            async with self._session.get(
                f"{replica.url}/", timeout=aiohttp.ClientTimeout(total=self.probe_every)
            ) as response:
                return response.status == 200
        except asyncio.TimeoutError:
            return None
        except aiohttp.ClientError:
            return False
