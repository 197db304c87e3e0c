"""One chat's updates run in order; different chats run at the same time, and a chat that floods
cannot hold up the others."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from typing import Any

import pytest
from telegram import Chat, Message, Update, User
from telegram.ext import BaseUpdateProcessor, SimpleUpdateProcessor

from bot.processor import ChatOrderedProcessor

FLOODER, OTHER = 100, 200
FLOOD = 50
SLOW = 0.5  # seconds each of the flooder's updates takes (a slow Rasa round trip)
SLOTS = 4


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


async def _other_chat_wait_during_a_flood(processor: BaseUpdateProcessor) -> float | None:
    """Seconds the other chat's one quick update took while the flooder's 50 slow ones were
    queued first; None if it was not done after 1 s. Everything left is then cancelled."""
    works: list[Coroutine[Any, Any, None]] = []
    tasks: list[asyncio.Task[None]] = []

    def submit(update_id: int, chat_id: int, work: Coroutine[Any, Any, None]) -> None:
        works.append(work)
        job = processor.process_update(_update(update_id, chat_id), work)
        tasks.append(asyncio.create_task(job))

    for update_id in range(1, FLOOD + 1):
        submit(update_id, FLOODER, asyncio.sleep(SLOW))
    await asyncio.sleep(0)  # the flood is queued before the other chat's message arrives
    started = asyncio.get_running_loop().time()
    submit(FLOOD + 1, OTHER, asyncio.sleep(0))
    try:
        await asyncio.wait_for(asyncio.shield(tasks[-1]), timeout=1.0)
    except asyncio.TimeoutError:
        return None
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for work in works:
            work.close()  # the flooder's updates that never ran
    return asyncio.get_running_loop().time() - started


async def test_a_flooding_chat_does_not_hold_up_another_chat() -> None:
    waited = await _other_chat_wait_during_a_flood(ChatOrderedProcessor(SLOTS))

    assert waited is not None and waited < 0.3


async def test_with_the_slot_taken_before_the_chat_lock_the_other_chat_would_wait() -> None:
    """Why the order of lock and slot matters. PTB's BaseUpdateProcessor.process_update takes a
    slot before it calls do_process_update; the previous ChatOrderedProcessor took its chat lock
    only inside that, so the flood's queued updates sat in all 4 slots waiting for their own
    chat's lock, and the other chat's update queued behind 46 of them: 47 x 0.5 s = 23.5 s.
    PTB's plain processor (shown here) has the same slot-first order and still makes it wait
    for 46 / 4 rounds x 0.5 s = 6 s."""
    waited = await _other_chat_wait_during_a_flood(SimpleUpdateProcessor(SLOTS))

    assert waited is None


async def test_each_chat_stays_in_order_under_a_flood() -> None:
    processor = ChatOrderedProcessor(SLOTS)
    running: set[int] = set()
    done: dict[int, list[int]] = {}
    overlaps: list[int] = []
    shuffle = random.Random(14)

    async def work(update_id: int, chat_id: int) -> None:
        if chat_id in running:
            overlaps.append(update_id)
        running.add(chat_id)
        await asyncio.sleep(shuffle.uniform(0, 0.004))
        running.discard(chat_id)
        done.setdefault(chat_id, []).append(update_id)

    arrivals: dict[int, list[int]] = {}
    jobs = []
    for update_id in range(1, 121):
        chat_id = FLOODER if update_id % 5 else shuffle.choice([OTHER, 300, 400])
        arrivals.setdefault(chat_id, []).append(update_id)
        jobs.append(processor.process_update(_update(update_id, chat_id), work(update_id, chat_id)))
    await asyncio.gather(*jobs)

    assert overlaps == []
    assert done == arrivals
    assert processor.current_concurrent_updates == 0


async def test_updates_are_in_flight_until_their_handlers_finish() -> None:
    processor = ChatOrderedProcessor(SLOTS)
    release = asyncio.Event()
    seen: list[bool] = []

    async def first() -> None:
        await release.wait()

    async def second() -> None:
        seen.append(7 in processor.in_flight)

    flood = asyncio.gather(
        processor.process_update(_update(7, FLOODER), first()),
        processor.process_update(_update(8, FLOODER), second()),
    )
    await asyncio.sleep(0.01)
    assert processor.in_flight.ids() == {7, 8}  # 8 waits for its turn: in flight too
    release.set()
    await flood

    assert (seen, processor.in_flight.ids()) == ([False], frozenset())


@pytest.mark.parametrize("slots", [0, -1])
def test_slots_must_be_positive(slots: int) -> None:
    with pytest.raises(ValueError):
        ChatOrderedProcessor(slots)
