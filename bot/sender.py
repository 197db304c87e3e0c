"""The outbox sender: delivers queued pushes (reminders, notices to managers) to Telegram.

It claims due rows from the outbox (:mod:`retail.outbox`), paces them within Telegram's limits
(``SENDER_RATE_PER_SECOND`` in all, ``CHAT_RATE_PER_SECOND`` per chat), sends each with its
buttons and records the outcome: the Telegram message id, a 429 (the row waits ``retry_after``
and every send pauses as long), a network error (retried with exponential backoff), Forbidden
(the user blocked the bot: marked ``blocked`` and the manager is told) or another refusal.

It runs inside the bot as a PTB job (``start_reminder_jobs`` from ``post_init``, with the
planner), or on its own, so a deployment can run several and a benchmark can kill one:

    python -m bot.sender                # until SIGINT/SIGTERM
    python -m bot.sender --until-idle   # until nothing is due

On PostgreSQL several senders share the outbox without duplicates (claims use ``FOR UPDATE
SKIP LOCKED``); each paces itself, so give each ``30 / number of senders`` per second.

Exactly once, as far as Telegram allows: a claim is a lease (``OUTBOX_LEASE_SECONDS``) that a
crashed sender's rows fall back from, so a live sender must never let one run out while it
still means to send the row. It renews the leases of every row it holds every third of a lease
and at once when Telegram says 429 (the wait that follows can be longer than a lease), and just
before a send it checks that it still holds the row unless it renewed it moments ago. Only a
sender that stops running for longer than a lease in the middle of a request (a frozen process)
can still send a row another sender sends too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes
from telegram.request import HTTPXRequest

from bot.payloads import rasa_payload
from retail import outbox, reminders
from retail.clock import Clock, SystemClock
from retail.db import Database
from retail.logs import configure_logging
from retail.outbox import ClaimedMessage
from retail.reminders import ReminderPolicy
from retail.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
SENDER_JOB = "outbox-sender"
PLANNER_JOB = "reminder-planner"
JOB_BUDGET_SECONDS = 20.0
PIPELINE_DEPTH = 2
"""Rows marked in flight ahead of their slot, so a slow commit does not delay a send."""
DB_RETRIES = (0.2, 0.5, 1.0, 2.0)


class Timer(Protocol):
    """Where a sender's pacing reads the time and sleeps (real time but in tests)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class RealTime:
    """``time.monotonic`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        """Seconds since an arbitrary start."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the event loop."""
        await asyncio.sleep(seconds)


def worker_name() -> str:
    """A name unique to this sender (host, pid, random): claims are held under it."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{secrets.token_hex(3)}"


class SendPacer:
    """Spaces sends: one every ``1/overall`` seconds in all, one every ``1/per_chat`` seconds in a
    chat, none while paused after a 429.

    Slots follow a schedule, so a send that woke a millisecond late does not push every later
    one back (which would drift the rate below the limit); a send much later than its slot
    starts a new schedule instead of letting the next ones bunch up.
    """

    def __init__(
        self, *, overall: float, per_chat: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = 1 / overall
        # Waking up a little late may be made up by the next send, but only a little: two
        # sends much closer than the interval would count double in Telegram's window.
        self._catch_up = min(0.005, self._interval / 4)
        self._chat_interval = 1 / per_chat if per_chat > 0 else 0.0
        self._clock = clock
        self._next = 0.0
        self._chats: dict[int, float] = {}
        self._paused_until = 0.0

    def chat_ready_at(self, chat_id: int) -> float:
        """When ``chat_id`` may get its next message."""
        return self._chats.get(chat_id, 0.0)

    def ready_at(self) -> float:
        """When the next message may go (any chat)."""
        return max(self._next, self._paused_until)

    def take(self, chat_id: int) -> None:
        """Use the current slot for ``chat_id``."""
        now = self._clock()
        base = self._next if now - self._next < self._catch_up else now
        self._next = max(base, self._paused_until) + self._interval
        self._chats[chat_id] = now + self._chat_interval
        if len(self._chats) > 50_000:
            self._chats = {c: t for c, t in self._chats.items() if t > now}

    def pause(self, seconds: float) -> None:
        """Telegram said 429: no send at all for ``seconds`` (flood control is per bot)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)


@dataclass
class SenderStats:
    """What one sender did since it started."""

    claimed: int = 0
    sent: int = 0
    throttled: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    lost_claims: int = 0
    already_sent: int = 0


def keyboard(message: ClaimedMessage) -> InlineKeyboardMarkup | None:
    """The message's buttons in one row; a tap sends the button's Rasa payload
    (:func:`bot.payloads.rasa_payload`) to Rasa as the user."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.title, callback_data=rasa_payload(b.payload))
                for b in message.buttons
            ]
        ]
    )


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class OutboxSender:
    """Drains the outbox through ``bot``; see the module docstring for what happens to a row."""

    def __init__(
        self,
        *,
        database: Database,
        bot: Bot,
        clock: Clock,
        settings: Settings,
        worker: str | None = None,
        timer: Timer | None = None,
    ) -> None:
        self.database = database
        self.timer: Timer = timer or RealTime()
        self.bot = bot
        self.clock = clock
        self.worker = worker or worker_name()
        self.batch_size = max(1, settings.sender_batch_size)
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        self.retry_base = timedelta(seconds=settings.outbox_retry_base_seconds)
        self.max_attempts = settings.outbox_max_attempts
        self.poll = settings.outbox_poll_seconds
        self.pacer = SendPacer(
            overall=settings.sender_rate_per_second,
            per_chat=settings.chat_rate_per_second,
            clock=self.timer.monotonic,
        )
        self.policy = ReminderPolicy.from_settings(settings)
        self.stats = SenderStats()
        self._next_claim = 0.0
        # Rows this sender holds, each with the (timer) time its lease was last confirmed; and
        # rows it found taken over, which it must not send.
        self._holds: dict[int, float] = {}
        self._lost: set[int] = set()
        self._renew_now = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="outbox-sender")

    async def _db(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a session on the sender's own threads (SQLAlchemy blocks), so the
        bot's handlers and the sender never wait for each other's database calls."""

        def run() -> T:
            with self.database.session() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)

    async def _db_retrying(self, work: Callable[[Session], T]) -> T:
        """A write that must not be lost to a database hiccup (a delivery already happened)."""
        for delay in DB_RETRIES:
            try:
                return await self._db(work)
            except Exception:  # any driver error: wait and try again, then give up loudly
                log.warning("outbox write failed, retrying", exc_info=True)
                await asyncio.sleep(delay)
        return await self._db(work)

    async def _claim(self, room: int) -> list[ClaimedMessage] | None:
        """Claim up to ``room`` rows; None when it is too soon to ask again."""
        loop_now = self.timer.monotonic()
        if room <= 0 or loop_now < self._next_claim:
            return None
        try:
            claimed = await self._db(
                lambda s: outbox.claim_batch(
                    s, worker=self.worker, limit=room, lease=self.lease, clock=self.clock
                )
            )
        except Exception:  # the database is away: try again after the poll interval
            log.warning("claiming failed", exc_info=True)
            claimed = []
        if len(claimed) < room:
            self._next_claim = loop_now + self.poll
        self._holds.update({m.id: loop_now for m in claimed})
        self.stats.claimed += len(claimed)
        return claimed

    async def _keep_leases(self, done: asyncio.Event) -> None:
        """Renew the leases of the rows held, every third of a lease and whenever a long wait
        begins (:meth:`_renew_soon`), until ``done``."""
        interval = self.lease.total_seconds() / 3
        next_renewal = self.timer.monotonic() + interval
        while not done.is_set():
            if self._renew_now.is_set() or self.timer.monotonic() >= next_renewal:
                self._renew_now.clear()
                await self._renew(list(self._holds))
                next_renewal = self.timer.monotonic() + interval
            await self.timer.sleep(min(self.poll, interval))

    def _renew_soon(self) -> None:
        """Ask the lease keeper to renew now (a 429 pause is about to start)."""
        self._renew_now.set()

    async def _renew(self, ids: list[int]) -> set[int]:
        """Renew ``ids``' leases; forget (and mark lost) the rows another sender took over."""
        if not ids:
            return set()
        started = self.timer.monotonic()
        try:
            held = await self._db(
                lambda s: outbox.renew_leases(
                    s, ids, worker=self.worker, lease=self.lease, clock=self.clock
                )
            )
        except Exception:  # the database is away: the next round tries again
            log.warning("renewing leases failed", exc_info=True)
            return set()
        for message_id in ids:
            if message_id in held:
                if message_id in self._holds:
                    self._holds[message_id] = started
            elif self._holds.pop(message_id, None) is not None:
                self._lost.add(message_id)
                self.stats.lost_claims += 1
                log.warning("lease lost, not sending", extra={"outbox_id": message_id})
        return held

    async def _still_held(self, message: ClaimedMessage) -> bool:
        """Just before sending: does this sender still hold the row? Asks the database (and
        renews) unless the lease was confirmed within the last half lease."""
        if message.id in self._lost:
            self._lost.discard(message.id)
            return False
        confirmed = self._holds.get(message.id)
        if confirmed is None:
            return False
        if self.timer.monotonic() - confirmed < self.lease.total_seconds() / 2:
            return True
        return message.id in await self._renew([message.id])

    async def run(
        self,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        until_idle: bool = False,
        budget: float | None = None,
    ) -> SenderStats:
        """Send until ``should_stop()``, or (``until_idle``) until nothing is due, or until
        ``budget`` seconds passed. Rows held but not sent are given back on the way out.

        Two stages: a feeder claims rows (in the background, before the queue runs dry) and
        marks the next one or two in flight; the pacer loop only waits for each slot and fires
        the request. So a slow database commit never makes a send late, and the rows marked in
        flight at any moment are at most those in the pipe and on the wire.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget if budget is not None else None
        stop = asyncio.Event()

        def stopping() -> bool:
            return (
                stop.is_set() or should_stop() or (deadline is not None and loop.time() >= deadline)
            )

        pipe: asyncio.Queue[ClaimedMessage] = asyncio.Queue(maxsize=PIPELINE_DEPTH)
        piped_chats: set[int] = set()
        held: list[ClaimedMessage] = []
        in_flight: set[asyncio.Task[None]] = set()
        released = asyncio.Event()
        keeper = asyncio.create_task(self._keep_leases(released))
        feeder = asyncio.create_task(
            self._feed(pipe, piped_chats, held, in_flight, stopping, until_idle)
        )
        try:
            while not stopping():
                getting = asyncio.ensure_future(pipe.get())
                await asyncio.wait({getting, feeder}, return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():
                    getting.cancel()
                    break
                message = getting.result()
                piped_chats.discard(message.chat_id)
                if not await self._wait_for_slot(stopping):
                    held.append(message)
                    break
                if not await self._still_held(message):
                    continue
                self.pacer.take(message.chat_id)
                task = asyncio.create_task(self._deliver(message))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
        finally:
            stop.set()
            while not feeder.done():
                held.extend(self._drain(pipe))
                await asyncio.wait({feeder}, timeout=0.05)
            held.extend(self._drain(pipe))
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            if held:
                ids = [m.id for m in held]
                await self._db_retrying(
                    lambda s: outbox.release(s, worker=self.worker, message_ids=ids)
                )
            released.set()
            await keeper
            self._holds.clear()
            self._lost.clear()
        feeder.result()
        return self.stats

    @staticmethod
    def _drain(pipe: asyncio.Queue[ClaimedMessage]) -> list[ClaimedMessage]:
        drained = []
        while not pipe.empty():
            drained.append(pipe.get_nowait())
        return drained

    async def _feed(
        self,
        pipe: asyncio.Queue[ClaimedMessage],
        piped_chats: set[int],
        held: list[ClaimedMessage],
        in_flight: set[asyncio.Task[None]],
        stopping: Callable[[], bool],
        until_idle: bool,
    ) -> None:
        """Claim rows and put the next ones, marked in flight, into ``pipe`` (stage one).

        Rows still claimed when it stops are left in ``held`` for release. Returns on its own
        (``until_idle``) once a claim found nothing and nothing is in the pipe or on the wire.
        """
        queue = held
        claiming: asyncio.Task[list[ClaimedMessage] | None] | None = None
        found_nothing = False
        try:
            while not stopping():
                # Claim more when the queue runs low, or when every queued row waits for its
                # chat (many rows for one manager must not hold up everyone else).
                short = len(queue) <= self.batch_size // 2
                stuck = self._next_ready(queue, piped_chats) is None
                if claiming is None and (short or (stuck and len(queue) < 4 * self.batch_size)):
                    room = self.batch_size - len(queue) if short else self.batch_size
                    claiming = asyncio.create_task(self._claim(room))
                if claiming is not None and (claiming.done() or not queue):
                    claimed, claiming = await claiming, None
                    if claimed is not None:
                        queue.extend(claimed)
                        found_nothing = not claimed
                if not queue:
                    if until_idle and found_nothing and not in_flight and pipe.empty():
                        return
                    await self._idle(in_flight)
                    continue
                picked = self._next_ready(queue, piped_chats)
                if picked is None:
                    await self.timer.sleep(0.01)
                    continue
                queue.remove(picked)
                if await self._start(picked):
                    piped_chats.add(picked.chat_id)
                    await pipe.put(picked)
        finally:
            if claiming is not None:
                queue.extend(await claiming or [])

    async def _start(self, message: ClaimedMessage) -> bool:
        """Mark the row in flight; False (and skip it) if another sender took it over."""
        if message.id in self._lost:
            self._lost.discard(message.id)
            return False
        started = await self._db_retrying(
            lambda s: outbox.start_sending(
                s, message.id, worker=self.worker, lease=self.lease, clock=self.clock
            )
        )
        if started:
            self._holds[message.id] = self.timer.monotonic()
        else:
            self._holds.pop(message.id, None)
            self.stats.lost_claims += 1
        return started

    async def _wait_for_slot(self, stopping: Callable[[], bool]) -> bool:
        """Sleep until the pacer allows the next send; False if told to stop meanwhile."""
        while (wait := self.pacer.ready_at() - self.timer.monotonic()) > 0:
            if stopping():
                return False
            await self.timer.sleep(min(wait, self.poll))
        return True

    async def _idle(self, in_flight: set[asyncio.Task[None]]) -> None:
        if in_flight:
            await asyncio.wait(in_flight, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
        else:
            await self.timer.sleep(
                max(0.01, min(self.poll, self._next_claim - self.timer.monotonic()))
            )

    def _next_ready(
        self, queue: list[ClaimedMessage], waiting_chats: set[int]
    ) -> ClaimedMessage | None:
        """The most urgent queued message whose chat may get one now (and has none waiting
        in the pipe)."""
        now = self.timer.monotonic()
        return next(
            (
                m
                for m in queue
                if m.chat_id not in waiting_chats and self.pacer.chat_ready_at(m.chat_id) <= now
            ),
            None,
        )

    async def _deliver(self, message: ClaimedMessage) -> None:
        """Send one claimed message and record what happened."""
        try:
            await self._deliver_unguarded(message)
        except Exception:  # recorded for the row by the lease; never kill the sender loop
            log.exception("delivery bookkeeping failed", extra={"outbox_id": message.id})
        finally:
            self._holds.pop(message.id, None)

    async def _deliver_unguarded(self, message: ClaimedMessage) -> None:
        try:
            # The lease keeper renews this row while the request is in flight, however long a
            # rate limiter in the bot waits out 429s inside it.
            sent = await self.bot.send_message(
                message.chat_id, message.text, reply_markup=keyboard(message)
            )
        except RetryAfter as error:
            self._holds.pop(message.id, None)
            seconds = _seconds(error.retry_after)
            self._renew_soon()  # the rows still held must outlive the pause that starts now
            self.pacer.pause(seconds)
            self.stats.throttled += 1
            await self._db_retrying(
                lambda s: outbox.mark_throttled(
                    s, message.id, retry_after=seconds, clock=self.clock
                )
            )
        except Forbidden as error:
            self._holds.pop(message.id, None)
            reason = f"403: {error.message}"
            self.stats.blocked += 1
            log.info("recipient blocked the bot", extra={"outbox_id": message.id})
            await self._db_retrying(
                lambda s: reminders.record_blocked(
                    s, message.id, error=reason, clock=self.clock, policy=self.policy
                )
            )
        except BadRequest as error:  # chat not found, text refused: retrying will not help
            self._holds.pop(message.id, None)
            await self._failure(message, f"400: {error.message}", permanent=True)
        except (NetworkError, TelegramError) as error:
            self._holds.pop(message.id, None)
            await self._failure(message, f"{type(error).__name__}: {error.message}")
        else:
            self._holds.pop(message.id, None)
            fresh = await self._db_retrying(
                lambda s: outbox.mark_sent(
                    s, message.id, telegram_message_id=sent.message_id, clock=self.clock
                )
            )
            self.stats.sent += 1
            if not fresh:
                self.stats.already_sent += 1
                log.warning("message was already sent", extra={"outbox_id": message.id})

    async def _failure(
        self, message: ClaimedMessage, error: str, *, permanent: bool = False
    ) -> None:
        status = await self._db_retrying(
            lambda s: reminders.record_failure(
                s,
                message.id,
                error=error,
                clock=self.clock,
                retry_base=self.retry_base,
                max_attempts=self.max_attempts,
                permanent=permanent,
                policy=self.policy,
            )
        )
        if status == outbox.FAILED:
            self.stats.failed += 1
            log.warning("giving up on a message", extra={"outbox_id": message.id, "error": error})
        else:
            self.stats.retried += 1


async def _sender_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drain for a while, then schedule the next run: at once if there was more to do."""
    assert context.job is not None and context.job_queue is not None
    sender: OutboxSender = context.job.data  # type: ignore[assignment]
    application = context.application
    before = sender.stats.claimed
    try:
        await sender.run(
            should_stop=lambda: not application.running,
            until_idle=True,
            budget=JOB_BUDGET_SECONDS,
        )
    finally:
        if application.running:
            busy = sender.stats.claimed > before
            context.job_queue.run_once(
                _sender_job, when=0 if busy else sender.poll, data=sender, name=SENDER_JOB
            )


async def _planner_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue the reminders due now (retail.reminders.plan_reminders)."""
    assert context.job is not None
    database, clock, policy = context.job.data  # type: ignore[misc]

    def plan() -> reminders.PlanReport:
        with database.session() as session:
            return reminders.plan_reminders(session, clock=clock, policy=policy)

    report = await asyncio.to_thread(plan)
    if report.queued or report.cancelled or report.expired:
        log.info(
            "reminders planned",
            extra={
                "queued": report.queued,
                "cancelled": report.cancelled,
                "expired": report.expired,
                "skipped": dict(report.skipped),
            },
        )


def start_reminder_jobs(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> OutboxSender:
    """From ``post_init``: run the planner every REMINDER_PLAN_EVERY_SECONDS and a sender that
    shares the bot (and its rate limiter) in this process."""
    assert application.job_queue is not None
    sender = OutboxSender(database=database, bot=application.bot, clock=clock, settings=settings)
    policy = ReminderPolicy.from_settings(settings)
    application.job_queue.run_repeating(
        _planner_job,
        interval=settings.reminder_plan_every_seconds,
        first=1.0,
        data=(database, clock, policy),
        name=PLANNER_JOB,
    )
    application.job_queue.run_once(_sender_job, when=1.0, data=sender, name=SENDER_JOB)
    return sender


def standalone_bot(settings: Settings) -> Bot:
    """A Bot for the standalone sender: pacing is the sender's own, 429s come back to it."""
    api = settings.telegram_api_url.rstrip("/")
    return Bot(
        settings.bot_token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=HTTPXRequest(connection_pool_size=16),
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of ``python -m bot.sender``."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.sender",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--worker-id", default=None, help="name claims are held under")
    parser.add_argument("--until-idle", action="store_true", help="exit once nothing is due")
    return parser.parse_args(argv)


async def serve(settings: Settings, args: argparse.Namespace) -> SenderStats:
    """Run one standalone sender until SIGINT/SIGTERM (or idle, with ``--until-idle``)."""
    database = Database(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        async with standalone_bot(settings) as bot:
            sender = OutboxSender(
                database=database,
                bot=bot,
                clock=SystemClock(),
                settings=settings,
                worker=args.worker_id,
            )
            print(f"sender {sender.worker} ready", flush=True)
            stats = await sender.run(should_stop=stop.is_set, until_idle=args.until_idle)
            log.warning("sender stopped", extra={"worker": sender.worker, **stats.__dict__})
            return stats
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, configure logging and send."""
    args = parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings, args))


if __name__ == "__main__":
    main()
