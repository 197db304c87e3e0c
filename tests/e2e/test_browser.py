"""In a real browser: headless Chromium on the stand-in's web chat and the staff reminders page.

The web chat goes the whole way (page -> stand-in -> bot -> Rasa -> actions -> database ->
back to the page); the staff page is the bot's HTTP API behind the e2e stack's STAFF_TOKEN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from bot.http_api import CHART_SERIES
from retail.db import Database
from retail.i18n import t
from scripts.stack import Stack
from standin import StandinClient
from tests.e2e.browser import WebChat, chromium
from tests.e2e.helpers import quantities, wholesale

pytestmark = pytest.mark.e2e

USER = 10001
DAYS = 14
"""The staff page's default period."""


@pytest_asyncio.fixture(loop_scope="function")
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium for one test (Playwright objects live in the test's event loop)."""
    async with chromium() as running:
        yield running


async def as_demo_user(stack: Stack) -> None:
    """Make 10001 a Chinese-speaking Telegram user on the stand-in (the other e2e tests do too).

    Its own client, not the ``standin`` fixture: that one closes in the session's event loop,
    and these tests run in their own loop with the browser's."""
    async with StandinClient(stack.standin_url) as standin:
        await standin.add_user(USER, first_name="张伟", language_code="zh-hans")


def staff_url(stack: Stack, query: str = "") -> str:
    """The staff reminders page of the stack's bot, with ``query`` (``token=...&lang=...``)."""
    return f"http://127.0.0.1:{stack.ports.http}/staff/reminders" + (f"?{query}" if query else "")


async def test_web_chat_price_question_shows_the_price_and_product(
    browser: Browser, stack: Stack, e2e_database: Database
) -> None:
    await as_demo_user(stack)
    price = wholesale(e2e_database, "芙蓉王(硬)")
    assert price.startswith("¥")
    chat = await WebChat.open(await browser.new_page(), stack.standin_url, USER)

    reply = await chat.say("芙蓉王硬多少钱一条", reply_containing=f"批发价:{price}/条")

    await expect(reply).to_be_visible()
    await expect(reply).to_contain_text("芙蓉王(硬)")
    await expect(reply).to_contain_text("建议零售价:¥")


@pytest.mark.usefixtures("restore_orders")
async def test_web_chat_order_change_shows_buttons_and_a_tap_applies_it(
    browser: Browser, stack: Stack, e2e_database: Database
) -> None:
    await as_demo_user(stack)
    before = quantities(e2e_database, USER)["芙蓉王(硬)"]
    confirm, cancel = t("zh", "order.button.confirm"), t("zh", "order.button.cancel")
    chat = await WebChat.open(await browser.new_page(), stack.standin_url, USER)

    proposal = await chat.say("芙蓉王再加2条", reply_containing=confirm)
    line = f"• 芙蓉王(硬):{before} → {before + 2} 条"
    await expect(proposal).to_contain_text(line)
    await expect(proposal.get_by_role("button", name=confirm)).to_be_visible()
    await expect(proposal.get_by_role("button", name=cancel)).to_be_visible()
    assert quantities(e2e_database, USER)["芙蓉王(硬)"] == before  # nothing before the tap

    applied = await chat.tap(proposal, confirm, reply_containing=t("zh", "order.applied.title"))

    await expect(applied).to_be_visible()
    await expect(applied).to_contain_text(line)
    assert quantities(e2e_database, USER)["芙蓉王(硬)"] == before + 2


async def test_staff_page_with_the_token_shows_the_reminder_chart(
    browser: Browser, stack: Stack
) -> None:
    page = await browser.new_page()
    token = stack.env["STAFF_TOKEN"]

    response = await page.goto(staff_url(stack, f"token={token}&lang=zh"))

    assert response is not None
    assert response.status == 200
    await expect(page.locator("h1")).to_have_text(t("zh", "staff.title"))
    chart = page.locator("svg[role=img]")
    await expect(chart).to_be_visible()
    box = await chart.bounding_box()
    assert box is not None
    assert box["width"] > 400
    assert box["height"] > 100
    # One bar per series per day, and a legend swatch per series.
    await expect(chart.locator("rect")).to_have_count((DAYS + 1) * len(CHART_SERIES))
    await expect(chart).to_contain_text(t("zh", "staff.sent"))
    await expect(page.locator("tbody tr")).to_have_count(DAYS)


async def test_staff_page_takes_the_token_as_a_bearer_header(
    browser: Browser, stack: Stack
) -> None:
    context = await browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {stack.env['STAFF_TOKEN']}"}
    )
    page = await context.new_page()

    response = await page.goto(staff_url(stack, "lang=en"))

    assert response is not None
    assert response.status == 200
    await expect(page.locator("h1")).to_have_text(t("en", "staff.title"))
    await expect(page.locator("svg[role=img]")).to_be_visible()


@pytest.mark.parametrize("query", ["", "token=wrong&lang=zh"], ids=["no-token", "wrong-token"])
async def test_staff_page_without_the_token_is_401_and_shows_no_chart(
    browser: Browser, stack: Stack, query: str
) -> None:
    page = await browser.new_page()

    response = await page.goto(staff_url(stack, query))

    assert response is not None
    assert response.status == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="staff"'
    assert await response.json() == {"error": "unauthorized"}
    await expect(page.locator("svg")).to_have_count(0)
