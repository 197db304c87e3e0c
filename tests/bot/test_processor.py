"""One chat's updates run in order; different chats run at the same time."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.processor import ChatOrderedProcessor


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "u", is_bot=False)
    message = Message(update_id, None, Chat(chat_id, "private"), from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_same_chat_in_order_other_chats_concurrently() -> None:
    processor = ChatOrderedProcessor(16)
    log: list[tuple[str, int]] = []

    async def work(update_id: int, delay: float) -> None:
        log.append(("start", update_id))
        await asyncio.sleep(delay)
        log.append(("end", update_id))

    await asyncio.gather(
        processor.process_update(_update(1, 100), work(1, 0.05)),
        processor.process_update(_update(2, 100), work(2, 0.0)),
        processor.process_update(_update(3, 200), work(3, 0.0)),
    )
    assert log.index(("end", 1)) < log.index(("start", 2))
    assert log.index(("end", 3)) < log.index(("end", 1))
