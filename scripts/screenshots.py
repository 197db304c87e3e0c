"""``make screenshots``: PNGs of the web chat and the staff reminders page in headless Chromium.

Starts the same stack as the end-to-end tests (action server, Rasa, the Bot API stand-in, the bot)
on a freshly seeded SQLite database in a temporary folder and free ports, with a STAFF_TOKEN of
its own, then writes under ``reports/screenshots/`` (or ``--out``):

- ``webchat-price.png``: 10001 asks 芙蓉王硬多少钱一条 and gets the price;
- ``webchat-confirm.png``: 10001 asks to add 2 条 of 芙蓉王 and gets the proposal with the
  confirm and cancel buttons;
- ``webchat-confirmed.png``: after tapping confirm, the applied change;
- ``staff-reminders.png``: the staff reminders page (chart and table), opened with the token.

A fresh stack has delivered no reminders yet, so before it starts the script writes a sample
history of finished reminders over the past 13 days into its database (marked ``(sample)``),
so the chart has bars; today's column is what the running stack really did. The stack and its
database are thrown away at the end; nothing touches ``var/``.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.async_api import Browser, ViewportSize, expect

from retail import outbox
from retail.db import Database
from retail.i18n import t
from retail.models import OutboxMessage
from retail.reminders.kinds import FUNDING_FIRST
from scripts import model
from scripts.stack import ROOT, Ports, Stack, free_port, seeded_sqlite
from standin import StandinClient
from tests.e2e.browser import WebChat, chromium

OUT = ROOT / "reports" / "screenshots"
USER = 10001
CHAT_VIEWPORT = ViewportSize(width=480, height=760)
PAGE_VIEWPORT = ViewportSize(width=960, height=760)


def add_sample_history(database_url: str, *, days: int = 13) -> int:
    """Finished funding reminders on each of the past ``days`` days (some failed or blocked) in
    the throwaway database, for the staff chart; how many rows were written."""
    now = datetime.now(timezone.utc)
    rows = []
    for back in range(1, days + 1):
        finished = now - timedelta(days=back)
        statuses = [outbox.SENT] * (12 + (back * 7) % 15) + [outbox.FAILED] * (back % 3)
        statuses += [outbox.BLOCKED] * int(back % 5 == 0)
        rows += [
            OutboxMessage(
                dedupe_key=f"screenshot-sample:{back}:{n}",
                kind=FUNDING_FIRST,
                chat_id=USER,
                language="zh",
                text="(sample)",
                status=status,
                attempts=1,
                not_before=finished,
                created_at=finished,
                sent_at=finished if status == outbox.SENT else None,
                finished_at=finished,
            )
            for n, status in enumerate(statuses)
        ]
    database = Database(database_url)
    try:
        with database.session() as session:
            session.add_all(rows)
    finally:
        database.dispose()
    return len(rows)


async def shoot_web_chat(browser: Browser, stack: Stack, out: Path) -> list[Path]:
    """The price question and a confirmed order change on the web chat, as 10001."""
    async with StandinClient(stack.standin_url) as standin:
        await standin.add_user(USER, first_name="张伟", language_code="zh-hans")
    page = await browser.new_page(viewport=CHAT_VIEWPORT, device_scale_factor=2)
    chat = await WebChat.open(page, stack.standin_url, USER)
    written = []

    await chat.say("芙蓉王硬多少钱一条", reply_containing="批发价:¥")
    written.append(out / "webchat-price.png")
    await page.screenshot(path=written[-1])

    confirm = t("zh", "order.button.confirm")
    proposal = await chat.say("芙蓉王再加2条", reply_containing=confirm)
    await expect(proposal.get_by_role("button", name=confirm)).to_be_visible()
    written.append(out / "webchat-confirm.png")
    await page.screenshot(path=written[-1])

    await chat.tap(proposal, confirm, reply_containing=t("zh", "order.applied.title"))
    written.append(out / "webchat-confirmed.png")
    await page.screenshot(path=written[-1])
    await page.close()
    return written


async def shoot_staff_page(browser: Browser, stack: Stack, out: Path) -> list[Path]:
    """The staff reminders page with the stack's token, whole page."""
    page = await browser.new_page(viewport=PAGE_VIEWPORT)
    url = f"http://127.0.0.1:{stack.ports.http}/staff/reminders"
    response = await page.goto(f"{url}?token={stack.env['STAFF_TOKEN']}&lang=zh")
    if response is None or response.status != 200:
        raise RuntimeError(f"staff page answered {response and response.status}")
    await expect(page.locator("svg[role=img]")).to_be_visible()
    path = out / "staff-reminders.png"
    await page.screenshot(path=path, full_page=True)
    await page.close()
    return [path]


async def shoot(stack: Stack, out: Path) -> list[Path]:
    """Every screenshot, in one browser."""
    async with chromium() as browser:
        return [
            *await shoot_web_chat(browser, stack, out),
            *await shoot_staff_page(browser, stack, out),
        ]


def main(argv: list[str] | None = None) -> None:
    """Start the stack, take the screenshots, stop the stack; print the files written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    model.train()
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        work = Path(folder)
        ports = Ports(rasa=free_port(), actions=free_port(), http=free_port(), standin=free_port())
        url = seeded_sqlite(work)
        add_sample_history(url)
        env = {
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": "",
            "TELEGRAM_API_URL": f"http://127.0.0.1:{ports.standin}",
            "STAFF_TOKEN": secrets.token_urlsafe(24),
        }
        stack = Stack(env=env, log_dir=work / "logs", ports=ports)
        try:
            stack.start(progress=lambda line: print(line, flush=True))
            written = asyncio.run(shoot(stack, out))
        finally:
            stack.stop()
    for path in written:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
