"""Headless Chromium driving the stand-in's web chat and the staff pages (Playwright).

Chromium is Debian's package (``make setup`` installs it, with a Chinese font); Playwright only
drives it, so nothing is downloaded at test time. :class:`WebChat` plays one user on
``/chat``: it types, waits for the bot's bubble, taps inline buttons. Used by
``tests/e2e/test_browser.py`` and ``scripts/screenshots.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, Locator, Page, async_playwright, expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REPLY_TIMEOUT_MS = 30_000
"""How long a bot reply may take to show (the e2e tests allow the same for Telegram replies)."""


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """The distribution's Chromium, headless, closed on exit."""
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make setup` (installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            await browser.close()


class WebChat:
    """The web chat page (``<stand-in>/chat?user=<id>``) open as one user.

        The page shows the user's whole chat, earlier tests' messages included, so each wait counts
        the bubbles that match before acting and waits for one more. The bubble it returns is pinned
    by its message id.
    """

    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    async def open(cls, page: Page, standin_url: str, user: int) -> WebChat:
        """Load the page as ``user`` and wait until it shows the chat (or says it is empty)."""
        await page.goto(f"{standin_url}/chat?user={user}")
        # The first refresh replaces the list in one go: once it has a child, it is complete.
        await expect(page.locator("#messages > *").first).to_be_attached()
        return cls(page)

    def bot_bubbles(self, containing: str) -> Locator:
        """The bot's message bubbles whose text (buttons included) contains ``containing``."""
        return self.page.locator("#messages .msg.bot").filter(has_text=containing)

    async def say(self, text: str, *, reply_containing: str) -> Locator:
        """Type ``text`` and press Enter; the new bot bubble that contains ``reply_containing``."""
        replies = self.bot_bubbles(reply_containing)
        before = await replies.count()
        await self.page.locator("#text").fill(text)
        await self.page.locator("#text").press("Enter")
        await expect(replies).to_have_count(before + 1, timeout=REPLY_TIMEOUT_MS)
        return await self._pinned(replies.last)

    async def tap(self, bubble: Locator, button: str, *, reply_containing: str) -> Locator:
        """Click the inline button named ``button`` under ``bubble``; the new bot bubble that
        contains ``reply_containing``."""
        replies = self.bot_bubbles(reply_containing)
        before = await replies.count()
        await bubble.get_by_role("button", name=button).click()
        await expect(replies).to_have_count(before + 1, timeout=REPLY_TIMEOUT_MS)
        return await self._pinned(replies.last)

    async def _pinned(self, bubble: Locator) -> Locator:
        """``bubble`` found again by its message id (its meta line reads "#<id> · <time>"),
        so it stays the same message when later ones match the same text."""
        message_id = (await bubble.locator(".meta").inner_text()).split(" ", 1)[0]
        meta = self.page.locator(".meta", has_text=f"{message_id} ·")
        return self.page.locator("#messages .msg.bot").filter(has=meta)
