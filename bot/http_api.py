"""The bot's HTTP API (aiohttp): health now; integration endpoints and dashboards join here."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import text

from bot.services import Services

SERVICES_KEY = web.AppKey("services", Services)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; says whether Rasa is reachable too."""
    svc = request.app[SERVICES_KEY]
    try:
        await svc.db(lambda s: s.execute(text("SELECT 1")).scalar_one())
        database = "ok"
    except Exception as error:  # any driver error means "not healthy", reported, not raised
        database = f"error: {type(error).__name__}"
    rasa = "ok" if await svc.rasa.healthy() else "unreachable"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database, "rasa": rasa}
    return web.json_response(body, status=status)


def create_http_app(svc: Services) -> web.Application:
    """The aiohttp application with every route of the HTTP API."""
    app = web.Application()
    app[SERVICES_KEY] = svc
    app.router.add_get("/healthz", healthz)
    return app


async def start_http_api(svc: Services, host: str, port: int) -> web.AppRunner:
    """Serve the HTTP API on ``host:port`` inside the running event loop."""
    runner = web.AppRunner(create_http_app(svc), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    await asyncio.sleep(0)
    return runner
