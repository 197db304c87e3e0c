"""The bot's HTTP API (aiohttp): health, integration endpoints and staff pages.

- ``GET /healthz``: database and Rasa reachability.
- ``POST /api/feeds/{feed}/balances``: a bank's balance snapshots (``Authorization: Bearer
  <token of that feed>``; JSON ``{"rows": [...]}`` or ``text/csv``); answers a per-row report.
- ``POST /api/feeds/{feed}/deductions``: deduction results (succeeded / failed per order), same
  tokens, bodies and report (retail.settlement.deductions).

A feed reports only on its own bank's settlement accounts (``FEED_BANKS``); rows about other
accounts are rejected in the report (``other_bank``) and nothing of them is written.
- ``GET /staff/reminders/figures``: reminder delivery per day as JSON (``?days=14``).
- ``GET /staff/reminders``: the same as an HTML page with a chart (no scripts, no CDN).

Staff pages need ``STAFF_TOKEN`` (bearer or ``?token=``) when it is set. ``?lang=en|zh``
chooses the language of texts, else ``Accept-Language``, else Chinese.
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import text

from bot.services import Services
from retail import outbox, reminders
from retail.i18n import supported, t
from retail.settlement import deductions, feeds

SERVICES_KEY = web.AppKey("services", Services)
FEED_MAX_BYTES = 4 * 1024 * 1024
MAX_DAYS = 92


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


def _language(request: web.Request) -> str:
    asked = request.query.get("lang") or request.headers.get("Accept-Language", "")[:2].lower()
    return supported(asked)


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _unauthorized(realm: str) -> web.Response:
    return web.json_response(
        {"error": "unauthorized"},
        status=401,
        headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
    )


def _feed_rows(body: bytes, content_type: str) -> tuple[str, Any]:
    """("csv", text) or ("json", rows) from a request body; FeedError if it is neither."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise feeds.FeedError("invalid_body") from None
    if content_type in ("text/csv", "application/csv"):
        return "csv", decoded
    try:
        data = json.loads(decoded)
    except ValueError:
        raise feeds.FeedError("invalid_body") from None
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise feeds.FeedError("invalid_body")
    return "json", rows


FeedImport = Callable[..., feeds.FeedReport]
"""An importer of retail.settlement.feeds or retail.settlement.deductions:
``(session, rows, *, feed, clock, numbers)``."""


async def _post_feed(
    request: web.Request, *, realm: str, import_rows: FeedImport, required: tuple[str, ...]
) -> web.Response:
    """Authenticate a feed's post, read its rows and import those about its own bank's accounts:
    401 without that feed's token, 413 if too large, 400 if the body is unreadable, else 200
    with the per-row report (rows about other banks' accounts rejected in it)."""
    svc = request.app[SERVICES_KEY]
    feed, token, language = request.match_info["feed"], _bearer(request), _language(request)
    allowed = await svc.db(
        lambda s: feeds.authenticate_feed(s, feed=feed, token=token, clock=svc.clock)
    )
    if not allowed:
        return _unauthorized(realm)
    if (request.content_length or 0) > FEED_MAX_BYTES:
        return web.json_response({"error": "too_large"}, status=413)
    body = await request.read()
    try:
        _, rows = _feed_rows(body, request.content_type)
        bank = feeds.feed_banks(svc.settings.feed_banks).get(feed)
        report = await svc.db(
            lambda s: feeds.import_within_bank(
                s,
                rows,
                importer=import_rows,
                required=required,
                feed=feed,
                bank=bank,
                clock=svc.clock,
            )
        )
    except feeds.FeedError as error:
        return web.json_response(
            {"error": error.code, "message": error.message(language)}, status=400
        )
    return web.json_response(report.as_json(language))


async def post_balances(request: web.Request) -> web.Response:
    """Store a bank feed's balance snapshots (see :func:`_post_feed` for the answers)."""
    return await _post_feed(
        request,
        realm="balance-feed",
        import_rows=feeds.import_balances,
        required=feeds.FIELDS,
    )


async def post_deductions(request: web.Request) -> web.Response:
    """Apply a feed's deduction results: a failure marks the order ``deduct_failed`` so the
    planner tells the retailer and their manager (see :func:`_post_feed` for the answers)."""
    return await _post_feed(
        request,
        realm="deduction-feed",
        import_rows=deductions.import_deductions,
        required=deductions.FIELDS,
    )


def _staff_allowed(request: web.Request, svc: Services) -> bool:
    expected = svc.settings.staff_token
    if not expected:
        return True
    given = _bearer(request) or request.query.get("token", "")
    return secrets.compare_digest(given.encode(), expected.encode())


async def _figures(request: web.Request, svc: Services) -> dict[str, Any]:
    try:
        days = min(MAX_DAYS, max(1, int(request.query.get("days", "14"))))
    except ValueError:
        days = 14

    def read(session: Any) -> dict[str, Any]:
        figures = reminders.daily_figures(session, clock=svc.clock, days=days)
        return {"figures": figures, "backlog": outbox.backlog(session)}

    data = await svc.db(read)
    rows = [
        {
            "date": f.day.isoformat(),
            "sent": f.sent,
            "failed": f.failed,
            "blocked": f.blocked,
            "throttled": f.throttled,
            "interrupted": f.interrupted,
            "funded_after_reminder": f.funded_after_reminder,
            "sent_by_kind": f.sent_by_kind,
        }
        for f in data["figures"]
    ]
    series = ("sent", "failed", "blocked", "throttled", "interrupted", "funded_after_reminder")
    return {
        "timezone": "Asia/Shanghai",
        "days": rows,
        "totals": {name: sum(int(row[name]) for row in rows) for name in series},
        "backlog": data["backlog"],
    }


async def staff_figures(request: web.Request) -> web.Response:
    """Reminder delivery per day (Asia/Shanghai) as JSON, for dashboards."""
    svc = request.app[SERVICES_KEY]
    if not _staff_allowed(request, svc):
        return _unauthorized("staff")
    return web.json_response(await _figures(request, svc))


CHART_SERIES = (
    ("sent", "staff.sent", "#2f7d32"),
    ("failed", "staff.failed", "#c62828"),
    ("blocked", "staff.blocked", "#6d4c41"),
    ("funded_after_reminder", "staff.funded", "#1565c0"),
)
TABLE_SERIES = (
    *CHART_SERIES,
    ("throttled", "staff.throttled", ""),
    ("interrupted", "staff.interrupted", ""),
)


def _chart(days: list[dict[str, Any]], language: str) -> str:
    """A grouped bar chart of the main series per day, as inline SVG."""
    width, height, left, bottom, top = 860, 260, 40, 30, 30
    top_value = max([1] + [int(d[name]) for d in days for name, _, _ in CHART_SERIES])
    group = (width - left - 10) / max(1, len(days))
    bar = max(2.0, (group - 6) / len(CHART_SERIES))
    scale = (height - bottom - top) / top_value
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{html.escape(t(language, "staff.title"))}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{top_value}</text>',
    ]
    for index, day in enumerate(days):
        x0 = left + index * group + 3
        for offset, (name, label, colour) in enumerate(CHART_SERIES):
            value = int(day[name])
            bar_height = value * scale
            y = height - bottom - bar_height
            title = f"{day['date']} {t(language, label)}: {value}"
            parts.append(
                f'<rect x="{x0 + offset * bar:.1f}" y="{y:.1f}" width="{bar - 1:.1f}" '
                f'height="{bar_height:.1f}" fill="{colour}"><title>{html.escape(title)}</title>'
                "</rect>"
            )
        parts.append(
            f'<text x="{x0 + group / 2 - 3:.1f}" y="{height - bottom + 14}" '
            f'text-anchor="middle" font-size="10">{day["date"][5:]}</text>'
        )
    for offset, (_, label, colour) in enumerate(CHART_SERIES):
        x = left + offset * 170
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 16}" y="16" font-size="12">{html.escape(t(language, label))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_reminder_page(data: dict[str, Any], language: str) -> str:
    """The staff page: a chart and a table of the figures, in ``language``."""
    days: list[dict[str, Any]] = data["days"]
    head = "".join(f"<th>{html.escape(t(language, label))}</th>" for _, label, _ in TABLE_SERIES)
    body = "".join(
        f"<tr><td>{day['date']}</td>"
        + "".join(f"<td>{int(day[name])}</td>" for name, _, _ in TABLE_SERIES)
        + "</tr>"
        for day in reversed(days)
    )
    totals = "".join(f"<td>{int(data['totals'][name])}</td>" for name, _, _ in TABLE_SERIES)
    backlog = data["backlog"]
    held = int(backlog["claimed"]) + int(backlog["sending"])
    title = html.escape(t(language, "staff.title"))
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
  sans-serif; margin: 24px; color: #222; }}
table {{ border-collapse: collapse; margin-top: 16px; }}
th, td {{ border: 1px solid #ddd; padding: 4px 10px; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; white-space: nowrap; }}
tfoot td {{ font-weight: bold; }}
svg {{ max-width: 100%; height: auto; }}
.note {{ color: #666; font-size: 13px; }}
</style></head>
<body>
<h1>{title}</h1>
{_chart(days, language)}
<p>{html.escape(t(language, "staff.pending"))}: {int(backlog["pending"])} ·
{html.escape(t(language, "staff.in_flight"))}: {held}</p>
<table>
<thead><tr><th>{html.escape(t(language, "staff.day"))}</th>{head}</tr></thead>
<tbody>{body}</tbody>
<tfoot><tr><td>{html.escape(t(language, "staff.totals"))}</td>{totals}</tr></tfoot>
</table>
<p class="note">{html.escape(t(language, "staff.note"))}</p>
</body></html>
"""


async def staff_page(request: web.Request) -> web.Response:
    """Reminder delivery per day as a self-contained HTML page with a bar chart."""
    svc = request.app[SERVICES_KEY]
    if not _staff_allowed(request, svc):
        return _unauthorized("staff")
    data = await _figures(request, svc)
    page = render_reminder_page(data, _language(request))
    return web.Response(text=page, content_type="text/html", charset="utf-8")


def create_http_app(svc: Services) -> web.Application:
    """The aiohttp application with every route of the HTTP API."""
    app = web.Application(client_max_size=FEED_MAX_BYTES)
    app[SERVICES_KEY] = svc
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/feeds/{feed}/balances", post_balances)
    app.router.add_post("/api/feeds/{feed}/deductions", post_deductions)
    app.router.add_get("/staff/reminders/figures", staff_figures)
    app.router.add_get("/staff/reminders", staff_page)
    return app


async def start_http_api(svc: Services, host: str, port: int) -> web.AppRunner:
    """Serve the HTTP API on ``host:port`` inside the running event loop."""
    runner = web.AppRunner(create_http_app(svc), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    await asyncio.sleep(0)
    return runner
