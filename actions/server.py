"""``python -m actions.server``: the rasa-sdk action server, behind a shared secret.

rasa-sdk serves every caller and binds every interface (its ``SANIC_HOST`` defaults to
0.0.0.0), and an action trusts the sender id in the request; so one POST from anywhere on the
network could read any shop's balance or change its order. This entry point serves the same
actions on ``ACTION_SERVER_HOST`` (127.0.0.1 unless configured) and refuses, with 401, every
call but ``/health`` that lacks the ``X-Action-Token`` header equal to ``ACTION_SERVER_TOKEN``.
Rasa sends the header from its endpoints file (``headers:`` of ``action_endpoint``). Without a
token the server does not start: there is no open mode. Nor without ``BOT_SIGNING_SECRET``:
each retail action also checks that the bot signed the message for its sender (``trust/``),
since the action token proves only that Rasa (or whoever holds it) is calling.

    ACTION_SERVER_TOKEN=... python -m actions.server --port 5055
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
import warnings

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from retail.logs import configure_logging
from retail.settings import Settings, SettingsError

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health"})
"""Paths served without the secret: the health check tells nothing and changes nothing."""

log = logging.getLogger(__name__)

SERVED_RASA = r"3\.6\.\d+"
"""The Rasa server this action server is built for. rasa-sdk warns, on every action call, when
Rasa's major.minor differs from its own (3.21); rasa-sdk 3.21 serves Rasa 3.6 (ARCHITECTURE.md,
and the end-to-end tests run the pair), so that warning, and only for 3.6, is not logged."""


def build_app(token: str) -> Sanic:
    """The rasa-sdk app for the ``actions`` package, refusing calls without ``token``."""
    if not token:
        raise ValueError("the action server needs ACTION_SERVER_TOKEN")
    expected = token.encode()
    warnings.filterwarnings(
        "ignore",
        message=rf"(?s)Your versions of rasa and rasa_sdk might not be compatible.*"
        rf"running rasa version {SERVED_RASA} and",
        category=UserWarning,
    )
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=[])

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "").encode()
        if hmac.compare_digest(given, expected):
            return None
        log.warning("action call refused", extra={"path": request.path, "ip": request.ip})
        return json({"error": "unauthorized"}, status=401)

    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the actions until interrupted; 2 when no token is configured or a setting is
    unusable (one line naming the variable, no traceback)."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"action server not started: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__)
    parser.add_argument("--host", default=settings.action_server_host)
    parser.add_argument("--port", type=int, default=settings.action_server_port)
    args = parser.parse_args(argv)
    configure_logging(settings.log_level)
    if not settings.action_server_token:
        print(
            "ACTION_SERVER_TOKEN is not set: the action server will not run open.", file=sys.stderr
        )
        return 2
    if not settings.bot_signing_secret:
        # Every retail action checks the bot's signature (actions/base.py); without the secret
        # each would refuse, so say it once here instead of serving a server that only refuses.
        print(
            "BOT_SIGNING_SECRET is not set: the actions cannot check who sent a message.",
            file=sys.stderr,
        )
        return 2
    app = build_app(settings.action_server_token)
    # One process: the app is built here, with the token, so Sanic's worker processes (which
    # rebuild the app from an importable factory) are not used; the production shape runs
    # several action servers behind HAProxy instead.
    app.run(host=args.host, port=args.port, single_process=True, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
