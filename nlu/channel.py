"""Rasa's REST channel, refusing every message the bot did not sign (issue 14).

Rasa's own ``rest`` channel takes any ``sender`` from whoever reaches its port, so one POST
could speak as any shop owner. This channel is the same ``RestInput`` (same name, so the URL
stays ``/webhooks/rest/webhook``) with one check in front: the message's metadata must carry
the bot's signature (``trust/``) for this body's sender and text, used for the first time, or
the answer is 401 with a short reason and the message never reaches the dialogue. Named in
``credentials.yml`` by its module path; it reads ``BOT_SIGNING_SECRET`` from the environment
and does not start without it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from nlu import speedups
from trust import SECRET_VARIABLE, ReplayGuard, secret_from_env, verify

logger = logging.getLogger(__name__)
# The server loads this module with credentials.yml: the place to adjust Rasa itself at run time.
speedups.install()


def refusal_reason(secret: str, body: Any) -> str | None:
    """Why ``body`` (a REST webhook JSON body) is not signed by the bot, or None if it is."""
    if not isinstance(body, dict) or body.get("sender") is None:
        return "missing"
    message = body.get("message")
    verdict = verify(
        secret,
        body.get("metadata"),
        sender=str(body["sender"]),
        text=message if isinstance(message, str) else None,
    )
    return None if verdict.reason is None else verdict.reason.value


class SignedRestInput(RestInput):
    """``RestInput`` that answers 401 to a message without the bot's signature."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise RasaException(
                f"{SECRET_VARIABLE} is not set: the signed REST channel will not run open."
            )
        self._secret = secret
        self._replays = ReplayGuard()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The secret comes from the environment, never from the credentials file."""
        return cls(secret_from_env())

    def _refusal(self, request: Request) -> str | None:
        try:
            body = request.json
        except Exception:  # malformed JSON: no signature can be read from it
            return "missing"
        reason = refusal_reason(self._secret, body)
        if reason is None and not self._replays.first_use(body["metadata"]):
            return "replayed"
        return reason

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The REST blueprint, with the signature check in front of the webhook."""
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def require_signature(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            reason = self._refusal(request)
            if reason is None:
                return None
            logger.warning(f"REST message refused ({reason}) from {request.ip}")
            return response.json({"error": "unauthorized", "reason": reason}, status=401)

        return blueprint
