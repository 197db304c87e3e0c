"""The stand-in's aiohttp application: the Bot API, file downloads, the test API, the web chat.

``create_app()`` builds everything; nothing happens at import. Routes:

- ``GET|POST /bot<token>/<method>``: Telegram Bot API methods (see :mod:`standin.botapi`);
- ``GET /file/bot<token>/<file_path>``: downloads of files ``getFile`` described;
- ``/_test/...``: the control API for tests and chat front ends (see :mod:`standin.testapi`);
- ``GET /chat``: the local web chat page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from functools import partial
from importlib import resources
from typing import Any

from aiohttp import web

from standin.botapi import BotApi, Described
from standin.errors import ApiError, not_found
from standin.limits import FloodLimits
from standin.params import read_params
from standin.state import Standin
from standin.testapi import add_test_routes
from standin.webhook import running_dispatcher

log = logging.getLogger(__name__)

STANDIN_KEY = web.AppKey("standin", Standin)
BOT_API_KEY = web.AppKey("bot_api", BotApi)
WEBCHAT_KEY = web.AppKey("webchat", str)
MAX_REQUEST_BYTES = 60 * 1024 * 1024
dumps = partial(json.dumps, ensure_ascii=False)


def create_app(
    *,
    limits: FloodLimits | None = None,
    first_update_id: int | None = None,
    webhook_timeout: float = 10.0,
) -> web.Application:
    """The stand-in as an aiohttp application.

    ``limits`` are the flood limits (Telegram's by default); ``first_update_id`` fixes the first
    update id (by default it grows with the clock, so restarts never reuse ids);
    ``webhook_timeout`` bounds one webhook POST. The state is at ``app[STANDIN_KEY]``.
    """
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    standin = Standin(limits=limits, first_update_id=first_update_id)
    app[STANDIN_KEY] = standin
    app[BOT_API_KEY] = BotApi(standin)
    app.cleanup_ctx.append(_webhook_context(webhook_timeout))
    app.on_startup.append(_load_webchat)
    app.on_shutdown.append(_end_long_polls)
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", download_file)
    app.router.add_get("/chat", webchat)
    add_test_routes(app, STANDIN_KEY)
    return app


def _webhook_context(
    timeout: float,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        async with running_dispatcher(app[STANDIN_KEY], timeout=timeout):
            yield

    return context


async def _load_webchat(app: web.Application) -> None:
    app[WEBCHAT_KEY] = (
        resources.files("standin").joinpath("webchat.html").read_text(encoding="utf-8")
    )


async def _end_long_polls(app: web.Application) -> None:
    """Answer waiting ``getUpdates`` calls now, so shutdown does not wait for their timeout."""
    standin = app[STANDIN_KEY]
    standin.closing = True
    await standin.notify()


def api_response(result: Any) -> web.Response:
    """``{"ok": true, "result": ...}`` (with ``description`` when Telegram sends one)."""
    body: dict[str, Any] = {"ok": True}
    if isinstance(result, Described):
        body.update(result=result.value, description=result.description)
    else:
        body["result"] = result
    return web.json_response(body, dumps=dumps)


def error_response(error: ApiError) -> web.Response:
    """Telegram's error body, with the HTTP status equal to ``error_code``."""
    return web.json_response(error.as_json(), status=error.error_code, dumps=dumps)


async def bot_api(request: web.Request) -> web.Response:
    """One Bot API call: ``/bot<token>/<method>``, GET or POST."""
    api = request.app[BOT_API_KEY]
    token, method = request.match_info["token"], request.match_info["method"]
    if not api.knows(method):
        return error_response(not_found())
    try:
        params = await read_params(request)
        result = await api.call(token, method, params)
    except ApiError as error:
        log.debug(
            "bot api error",
            extra={"method": method, "code": error.error_code, "error": error.description},
        )
        return error_response(error)
    except Exception:  # a stand-in bug: answer as Telegram's 500 would, and say so in the log
        log.exception("bot api call failed", extra={"method": method})
        return error_response(ApiError(500, "Internal Server Error"))
    log.debug("bot api call", extra={"method": method})
    return api_response(result)


async def download_file(request: web.Request) -> web.StreamResponse:
    """The bytes behind a ``file_path`` from ``getFile``."""
    stored = request.app[STANDIN_KEY].files_by_path.get(request.match_info["file_path"])
    if stored is None:
        return error_response(not_found())
    content_type = stored.mime_type or "application/octet-stream"
    return web.Response(body=stored.data, headers={"Content-Type": content_type})


async def webchat(request: web.Request) -> web.Response:
    """The local web chat page."""
    return web.Response(text=request.app[WEBCHAT_KEY], content_type="text/html")
