"""Conversation turns under load, path by path: ``make bench-turns BENCH_ARGS="..."``.

The same fixed mix of messages (price, policy, balance and deduction questions in zh and en, an
order change proposed but never confirmed: nothing the bench sends writes an order) goes, in
one run, through

(a) ``rest``: straight to one Rasa REST webhook, signed as the bot signs (``trust/``); the
    action server answers behind Rasa as usual, so a turn includes the actions;
(b) ``full``: the stand-in and the bot to the reply, the single-machine default
    (``scripts.stack.Stack``: SQLite, one Rasa, one action server, the bot polling);
(c) ``prod-1`` / ``prod-2``: the production shape (``scripts.stack.ProdStack``: PostgreSQL,
    Redis lock store, Rasa and action replicas behind HAProxy, the bot on a webhook) with one
    and with two replicas of each.

For each: open loop at 5, 20 and 50 turns/s (Poisson arrivals over 150 bound retailers, so
per-chat order and Telegram's 1 message/s per chat do not throttle) and a closed-loop ceiling
(K users, each sending its next message when the reply to the last one arrived). Latency is
from the send to the last reply message of that turn as the stand-in recorded it (its own
clock), or to the REST response in (a). During the closed loop it samples the CPU time of
every process of the stack (``/proc/<pid>/stat``) and of the machine.

Telegram allows a bot about 30 messages a second; that is a real cap of production, not of the
software. To measure the software path the bench starts its stand-in without flood limits and
raises the bot's own send limits (OVERALL_RATE_PER_SECOND, CHAT_RATE_PER_SECOND), and says so.
The inbound limiter is raised too (INBOUND_*), as the end-to-end tests do.

Writes ``reports/bench-turns.md`` and ``reports/bench-turns.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import signal
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from sqlalchemy import select

from bot.rasa_client import RasaButton, RasaReply
from bot.rendering import to_messages
from retail.clock import SystemClock, local
from retail.db import Database
from retail.i18n import t
from retail.models import (
    BalanceSnapshot,
    Manager,
    Order,
    OrderLine,
    Product,
    Retailer,
    SettlementAccount,
    User,
)
from retail.schema import migrate
from retail.seed import current_cycle, seed_demo
from scripts import stack as stacks
from standin import StandinClient
from trust import signed_metadata

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
FIRST_USER = 7_000_000
"""Telegram ids of the bench's retailers: far from the demo's (10001...) and the other
benchmarks' (5,000,000...)."""
USERS_PER_MODE = 100_000
"""Each mode gets its own id range, so (b) does not start with the trackers (a) grew."""
POLL_SECONDS = 0.01
TURN_TIMEOUT = 30.0
DRAIN_SECONDS = 90.0
UNLIMITED = {
    # The bot's own send limits (bot/ratelimit.py): Telegram's 30/s and 1/s per chat are
    # production's caps, not the software's.
    "OVERALL_RATE_PER_SECOND": "100000",
    "CHAT_RATE_PER_SECOND": "1000",
    # The inbound limiter must not turn bench messages away (its own tests cover it).
    "INBOUND_BURST": "100000",
    "INBOUND_PER_MINUTE": "100000",
    "INBOUND_STRANGER_PER_MINUTE": "100000",
}
STANDIN_UNLIMITED = ["--no-limits"]


@dataclass(frozen=True)
class Phrase:
    """One message of the mix: its language, its text and what it asks."""

    language: str
    text: str
    kind: str


MESSAGES: tuple[Phrase, ...] = (
    Phrase("zh", "芙蓉王硬多少钱一条", "price"),
    Phrase("en", "how much is Liqun per carton", "price"),
    Phrase("zh", "我账户还有多少钱", "balance"),
    Phrase("zh", "订货时间是啥时候", "policy"),
    Phrase("en", "how do i spot fakes", "policy"),
    Phrase("zh", "白沙改成3条", "order change, not confirmed"),
    Phrase("zh", "利群新版多少钱", "price"),
    Phrase("en", "what is my balance", "balance"),
    Phrase("zh", "什么时候扣款", "deduction"),
    Phrase("en", "add 2 cartons of Liqun", "order change, not confirmed"),
    Phrase("zh", "扣款失败怎么办", "policy"),
    Phrase("en", "when is the deduction", "deduction"),
)
"""The fixed mix, the same for every mode. Each user walks it in order from its own offset."""


def error_texts() -> dict[str, str]:
    """The bot's own failure replies (both languages) and the error each one stands for."""
    keys = {
        "error.backend_down": "backend_down",
        "error.generic": "bot_error",
        "error.slow_down": "throttled",
    }
    return {t(language, key): name for key, name in keys.items() for language in ("zh", "en")}


# --- users -----------------------------------------------------------------------------------


def bench_users(first: int, n: int) -> list[int]:
    """The Telegram ids of ``n`` bench retailers from ``first``."""
    return list(range(first, first + n))


def seed_bench_users(database_url: str, users: Sequence[int]) -> int:
    """Bind one retailer to each Telegram id in ``users`` (skipping ids already bound): a
    funded shop with an open order this week, so no funding reminder lands in a bench chat
    and an order change is proposed, not refused. Seeds the demo catalog first if the database
    has no products. Returns how many were added."""
    database = Database(database_url)
    clock = SystemClock()
    now = clock.now()
    try:
        with database.session() as session:
            if session.scalar(select(Product.id).limit(1)) is None:
                seed_demo(session, clock)
        with database.session() as session:
            bound = set(
                session.scalars(
                    select(User.telegram_user_id).where(User.telegram_user_id.in_(list(users)))
                )
            )
            missing = [user for user in users if user not in bound]
            if not missing:
                return 0
            manager = session.scalar(select(Manager).where(Manager.code == "BENCH"))
            if manager is None:
                manager = Manager(
                    code="BENCH",
                    name="压测经理",
                    display_zh="压测经理",
                    display_en="Bench Manager",
                    phone="13900009999",
                )
                session.add(manager)
                session.flush()
            specs = ("芙蓉王(硬)", "白沙(硬)", "利群(新版)")
            products = {p.spec: p for p in session.scalars(select(Product))}
            lines = [products[spec] for spec in specs]
            cycle = current_cycle(now)
            for user_id in missing:
                _add_shop(session, manager, lines, user_id, cycle, now)
            session.flush()
            return len(missing)
    finally:
        database.dispose()


def _add_shop(
    session: Any, manager: Manager, lines: list[Product], user_id: int, cycle: str, now: datetime
) -> None:
    """One bound, funded retailer with an open order of 4 条 of each product in ``lines``."""
    retailer = Retailer(
        code=f"T{user_id}",
        name=f"压测店{user_id}",
        name_en=f"Bench shop {user_id}",
        licence_no=f"TL{user_id}",
        phone=f"17{user_id:09d}",
        star_level=3,
        manager_id=manager.id,
        order_weekday=local(now).weekday(),
        window_open=clock_time(0),
        window_close=clock_time(23, 59),
        deduction_time=clock_time(23, 59),
        language="en" if user_id % 5 == 0 else "zh",
    )
    session.add(retailer)
    session.flush()
    session.add(
        User(
            role="retailer",
            retailer_id=retailer.id,
            phone=retailer.phone,
            telegram_user_id=user_id,
            bound_at=now,
            language=retailer.language,
        )
    )
    account = SettlementAccount(
        retailer_id=retailer.id, bank="压测银行", account_masked=f"**** {user_id % 10000:04d}"
    )
    session.add(account)
    order = Order(
        retailer_id=retailer.id,
        cycle=cycle,
        status="open",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=3),
        deduct_at=now + timedelta(days=3, hours=2),
    )
    order.lines = [
        OrderLine(product_id=p.id, quantity=4, unit_price=p.wholesale_per_carton) for p in lines
    ]
    session.add(order)
    session.flush()
    session.add(
        BalanceSnapshot(
            account_id=account.id,
            balance=Decimal("50000.00"),
            reported_at=now - timedelta(hours=1),
            received_at=now - timedelta(hours=1),
            feed="bench",
            snapshot_key=f"bench:{user_id}:{cycle}",
        )
    )


async def add_standin_users(standin_url: str, users: Sequence[int]) -> None:
    """Every bench user as a stand-in user who has opened the chat."""
    async with StandinClient(standin_url) as client:
        for start in range(0, len(users), 100):
            await asyncio.gather(
                *(
                    client.add_user(
                        user, first_name=f"Shop {user}", language_code="zh-hans", started=True
                    )
                    for user in users[start : start + 100]
                )
            )


# --- targets: how one turn is sent and its end seen ------------------------------------------


@dataclass
class Outcome:
    """One turn: when it was sent (unix seconds), how long until its reply, or what failed."""

    sent_at: float
    latency: float | None = None
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.error is None and self.latency is not None


class Target(Protocol):
    """A way in: send one message as ``user`` and wait for the end of the answer."""

    async def turn(self, user: int, phrase: Phrase) -> Outcome: ...


class RestTarget:
    """(a): a signed POST to Rasa's REST webhook; the turn ends with the HTTP response."""

    _update_ids = itertools.count(950_000_000)

    def __init__(self, rasa_url: str, secret: str, session: aiohttp.ClientSession) -> None:
        self.url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self._secret = secret
        self._session = session
        self.samples: dict[str, str] = {}

    def body(self, user: int, phrase: Phrase) -> dict[str, Any]:
        """The body the bot would send (bot/rasa_client.py): update id, language and the
        message time in the metadata, signed now."""
        written = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        metadata = {
            "update_id": next(self._update_ids),
            "language": phrase.language,
            "message_time": written,
        }
        signed = signed_metadata(
            self._secret, sender=str(user), text=phrase.text, metadata=metadata
        )
        return {"sender": str(user), "message": phrase.text, "metadata": signed}

    async def replies(self, user: int, phrase: Phrase) -> list[RasaReply]:
        """Rasa's replies to one message (for the calibration and the samples)."""
        async with self._session.post(self.url, json=self.body(user, phrase)) as response:
            payload = await response.json()
        return [
            RasaReply(
                str(item.get("text") or ""),
                [RasaButton(str(b.get("title")), str(b.get("payload"))) for b in item["buttons"]]
                if item.get("buttons")
                else [],
            )
            for item in payload
            if item.get("text") or item.get("buttons")
        ]

    async def turn(self, user: int, phrase: Phrase) -> Outcome:
        body = self.body(user, phrase)
        sent = time.time()
        try:
            async with self._session.post(self.url, json=body) as response:
                payload = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return Outcome(sent, error=f"http: {type(error).__name__}")
        latency = time.time() - sent
        if status != 200:
            return Outcome(sent, error=f"http {status}")
        texts = [str(item.get("text") or "") for item in payload or []]
        if not any(texts):
            return Outcome(sent, error="no reply")
        self.samples.setdefault(phrase.text, "\n".join(texts))
        if latency > TURN_TIMEOUT:
            return Outcome(sent, error="timeout")
        return Outcome(sent, latency)


@dataclass
class _Pending:
    """A turn waiting for its reply messages in one chat."""

    expected: int
    sent_at: float
    done: asyncio.Future[Outcome]
    got: int = 0
    error: str | None = None


class StandinTarget:
    """(b) and (c): the user writes through the stand-in's test API; the turn ends when the
    bot has sent the turn's last reply message, by the stand-in's own record and clock.

    One poller reads every new record entry (``/_test/sent?since=``) and gives each chat's
    messages to that chat's oldest unfinished turn; how many messages a turn gets is learned
    per phrase (:meth:`calibrate`). A turn that timed out stays in line, so its late reply is
    not taken for the next turn's.
    """

    def __init__(self, standin_url: str, session: aiohttp.ClientSession) -> None:
        self.client = StandinClient(standin_url, session=session)
        self.expected: dict[str, int] = {}
        self.samples: dict[str, str] = {}
        self.extra = 0
        self._pending: dict[int, deque[_Pending]] = {}
        self._errors = error_texts()
        self._seq = 0
        self._poller: asyncio.Task[None] | None = None
        self._texts: dict[int, list[str]] = {}

    async def start(self) -> None:
        """Begin watching the record from now on."""
        self._seq = await self.client.last_seq()
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        """Stop watching."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def _poll(self) -> None:
        while True:
            try:
                entries = await self.client.sent_messages(since=self._seq)
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(0.2)
                continue
            for entry in entries:
                self._seq = max(self._seq, int(entry["seq"]))
                if entry.get("method") == "sendMessage":
                    self._deliver(int(entry["chat_id"]), entry)
            await asyncio.sleep(POLL_SECONDS)

    def _deliver(self, chat_id: int, entry: dict[str, Any]) -> None:
        text = str(entry.get("text") or "")
        if chat_id in self._texts:
            self._texts[chat_id].append(text)
            return
        line = self._pending.get(chat_id)
        if not line:
            if chat_id >= FIRST_USER:
                self.extra += 1
            return
        turn = line[0]
        turn.got += 1
        turn.error = turn.error or self._errors.get(text)
        if turn.got >= turn.expected or turn.error is not None:
            line.popleft()
            if not line:
                del self._pending[chat_id]
            if not turn.done.done():
                latency = float(entry["time"]) - turn.sent_at
                turn.done.set_result(Outcome(turn.sent_at, latency, turn.error))

    async def calibrate(self, users: Sequence[int], *, quiet: float = 2.0) -> dict[str, int]:
        """How many messages the bot sends for each phrase: one user per phrase writes it
        once, and the messages are counted until the chat has been quiet for ``quiet`` s."""
        for user in users:
            self._texts[user] = []
        since = time.monotonic()
        for user, phrase in zip(users, MESSAGES, strict=False):
            await self.client.send_text(user, phrase.text)
        deadline = since + TURN_TIMEOUT
        last = (0, time.monotonic())
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            count = sum(len(texts) for texts in self._texts.values())
            if count != last[0]:
                last = (count, time.monotonic())
            answered = all(self._texts[u] for u in users[: len(MESSAGES)])
            if answered and time.monotonic() - last[1] >= quiet:
                break
        for user, phrase in zip(users, MESSAGES, strict=False):
            texts = self._texts.pop(user)
            if not texts:
                raise RuntimeError(f"no reply to {phrase.text!r} within {TURN_TIMEOUT:.0f} s")
            self.expected[phrase.text] = len(texts)
            self.samples[phrase.text] = "\n".join(texts)
        return dict(self.expected)

    async def turn(self, user: int, phrase: Phrase) -> Outcome:
        loop = asyncio.get_running_loop()
        pending = _Pending(self.expected.get(phrase.text, 1), time.time(), loop.create_future())
        self._pending.setdefault(user, deque()).append(pending)
        try:
            await self.client.send_text(user, phrase.text)
        except Exception as error:  # the stand-in refused or is gone: a failed turn
            line = self._pending.get(user)
            if line and pending in line:
                line.remove(pending)
            return Outcome(pending.sent_at, error=f"send: {type(error).__name__}")
        try:
            return await asyncio.wait_for(asyncio.shield(pending.done), TURN_TIMEOUT)
        except asyncio.TimeoutError:
            return Outcome(pending.sent_at, error="timeout")

    def unfinished(self) -> int:
        """Turns whose replies have not all arrived (timed-out ones included)."""
        return sum(len(line) for line in self._pending.values())

    async def drain(self, limit: float = DRAIN_SECONDS) -> None:
        """Wait until every turn sent so far got its replies (or ``limit`` passes), then
        forget the rest, so the next phase starts clean."""
        deadline = time.monotonic() + limit
        while self.unfinished() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        self._pending.clear()


# --- load ------------------------------------------------------------------------------------


class Mix:
    """Which phrase each user says next: the fixed list in order, from the user's own offset."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}

    def next(self, user: int) -> Phrase:
        index = self._next.get(user, user % len(MESSAGES))
        self._next[user] = index + 1
        return MESSAGES[index % len(MESSAGES)]


@dataclass
class Phase:
    """The figures of one phase: an open loop at ``offered`` turns/s, or a closed loop."""

    name: str
    offered: float | None
    duration: float
    turns: int
    sent_rate: float
    answered: int
    achieved: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    errors: dict[str, int]
    users: int
    cpu: dict[str, Any] | None = None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile ``q`` (0-100) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarise(
    name: str,
    offered: float | None,
    outcomes: Sequence[Outcome],
    *,
    began: float,
    users: int,
    planned: float | None = None,
) -> Phase:
    """Figures of a phase. ``achieved`` is answered turns per second from the first send
    (``began``, unix seconds) to the last reply; ``sent_rate`` is turns per second of the
    ``planned`` duration (an open loop's Poisson draw may send more or fewer than offered)."""
    latencies = [o.latency for o in outcomes if o.answered and o.latency is not None]
    sends = [o.sent_at for o in outcomes]
    send_span = planned or (max(sends) - began if sends else 0.0)
    ends = [o.sent_at + (o.latency or 0.0) for o in outcomes if o.answered]
    span = max(ends) - began if ends else 0.0
    errors: dict[str, int] = {}
    for outcome in outcomes:
        if not outcome.answered:
            key = outcome.error or "no answer"
            errors[key] = errors.get(key, 0) + 1

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return Phase(
        name=name,
        offered=offered,
        duration=round(span, 2),
        turns=len(outcomes),
        sent_rate=round(len(sends) / send_span, 2) if send_span > 0 else 0.0,
        answered=len(latencies),
        achieved=round(len(latencies) / span, 2) if span > 0 else 0.0,
        p50_ms=ms(percentile(latencies, 50)),
        p95_ms=ms(percentile(latencies, 95)),
        p99_ms=ms(percentile(latencies, 99)),
        errors=errors,
        users=users,
    )


async def open_loop(
    target: Target,
    users: Sequence[int],
    mix: Mix,
    *,
    rate: float,
    duration: float,
    arrivals: str = "poisson",
    seed: int = 7,
) -> Phase:
    """Send at ``rate`` turns/s for ``duration`` s whatever the answers do, users in turn."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    start = loop.time()
    began = time.time()
    tasks: list[asyncio.Task[Outcome]] = []
    offset = 0.0
    for count in itertools.count():
        if offset >= duration:
            break
        await asyncio.sleep(max(0.0, start + offset - loop.time()))
        user = users[count % len(users)]
        tasks.append(asyncio.create_task(target.turn(user, mix.next(user))))
        offset += rng.expovariate(rate) if arrivals == "poisson" else 1 / rate
    outcomes = await asyncio.gather(*tasks)
    name = f"open {rate:g}/s"
    return summarise(name, rate, outcomes, began=began, users=len(users), planned=duration)


async def closed_loop(target: Target, users: Sequence[int], mix: Mix, *, duration: float) -> Phase:
    """Each user sends its next message as soon as the last one was answered, for
    ``duration`` s; the rate reached is the path's ceiling at that concurrency."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration
    began = time.time()

    async def user_loop(user: int) -> list[Outcome]:
        outcomes: list[Outcome] = []
        while loop.time() < deadline:
            outcome = await target.turn(user, mix.next(user))
            outcomes.append(outcome)
            if not outcome.answered:
                await asyncio.sleep(0.1)
        return outcomes

    results = await asyncio.gather(*(user_loop(user) for user in users))
    outcomes = [o for result in results for o in result]
    return summarise(f"closed {len(users)} users", None, outcomes, began=began, users=len(users))


# --- CPU -------------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")
SHARED = {"postgres": "postgresql (all databases)", "redis-server": "other redis servers"}
"""Servers the bench did not start that a turn may use; every process of theirs counts."""


def _processes() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command name, CPU ticks used) of every process now."""
    table: dict[int, tuple[int, str, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(name)] = (int(fields[1]), comm, int(fields[11]) + int(fields[12]))
    return table


def _machine() -> tuple[int, int]:
    """(busy, total) CPU ticks of the machine since boot."""
    numbers = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = numbers[3] + numbers[4]
    total = sum(numbers[:8])
    return total - idle, total


@dataclass
class CpuSample:
    """CPU ticks of each watched process (pid -> group, ticks) at one moment."""

    wall: float
    processes: dict[int, tuple[str, int]]
    busy: int
    total: int


class CpuWatch:
    """CPU use of named process trees (each root and its descendants), shared servers and
    the machine, between two samples."""

    def __init__(self, roots: dict[int, str]) -> None:
        self.roots = roots

    def sample(self) -> CpuSample:
        table = _processes()
        watched: dict[int, tuple[str, int]] = {}
        for pid, (_parent, comm, ticks) in table.items():
            group = self._group(pid, table) or SHARED.get(comm)
            if group is not None:
                watched[pid] = (group, ticks)
        busy, total = _machine()
        return CpuSample(time.monotonic(), watched, busy, total)

    def _group(self, pid: int, table: dict[int, tuple[int, str, int]]) -> str | None:
        seen = 0
        while pid in table and seen < 64:
            if pid in self.roots:
                return self.roots[pid]
            pid = table[pid][0]
            seen += 1
        return None

    @staticmethod
    def between(first: CpuSample, second: CpuSample) -> dict[str, Any]:
        """Per group, % of one core; the machine's busy % of all its cores; the rest. A
        process that started in between counts whole; one that ended in between is missed."""
        seconds = second.wall - first.wall
        cores = os.cpu_count() or 1
        used: dict[str, int] = {}
        for pid, (group, ticks) in second.processes.items():
            before = first.processes.get(pid)
            spent = ticks - before[1] if before is not None and before[0] == group else ticks
            used[group] = used.get(group, 0) + max(0, spent)
        per_group = {name: round(100 * ticks / TICKS / seconds, 1) for name, ticks in used.items()}
        machine_ticks = second.busy - first.busy
        machine = round(100 * machine_ticks / max(1, second.total - first.total), 1)
        busy_cores = 100 * machine_ticks / TICKS / seconds
        return {
            "seconds": round(seconds, 1),
            "processes_pct_of_one_core": dict(sorted(per_group.items())),
            "machine_busy_pct": machine,
            "machine_cores": cores,
            "not_ours_pct_of_one_core": round(busy_cores - sum(per_group.values()), 1),
        }


def cpu_per_turn(cpu: dict[str, Any], achieved: float) -> dict[str, float]:
    """Milliseconds of CPU each process spent per answered turn: where a turn's work goes."""
    if achieved <= 0:
        return {}
    return {
        name: round(pct / 100 * 1000 / achieved, 1)
        for name, pct in cpu["processes_pct_of_one_core"].items()
    }


def stack_roots(stack: Any) -> dict[int, str]:
    """The bench's own process and every process the stack started, by name."""
    roots = {os.getpid(): "bench client"}
    for process in getattr(stack, "processes", []):
        popen = getattr(process, "popen", None)
        if popen is not None:
            roots[popen.pid] = str(getattr(process, "name", popen.pid))
    return roots


# --- one mode --------------------------------------------------------------------------------


@dataclass
class Plan:
    """What each mode runs."""

    rates: list[float] = field(default_factory=lambda: [5.0, 20.0, 50.0])
    duration: float = 20.0
    closed_users: list[int] = field(default_factory=lambda: [16])
    closed_duration: float = 20.0
    arrivals: str = "poisson"
    warmup_rounds: int = 2
    calibrate_quiet: float = 2.0
    """Seconds a chat must stay quiet before a calibration turn counts as complete."""
    pause: float = 1.0
    """Seconds between phases, after the drain."""


@dataclass
class ModeResult:
    """All phases of one mode."""

    mode: str
    description: str
    phases: list[Phase]
    replies_per_turn: dict[str, int]
    samples: dict[str, str]
    extra_messages: int = 0

    @property
    def ceiling(self) -> Phase | None:
        closed = [p for p in self.phases if p.offered is None]
        return max(closed, key=lambda p: p.achieved) if closed else None


async def measure(
    mode: str,
    description: str,
    target: Target,
    users: Sequence[int],
    plan: Plan,
    *,
    roots: dict[int, str],
    progress: Callable[[str], None] = print,
) -> ModeResult:
    """Warm up, then run the closed loops of ``plan`` on ``target`` (first, so a ceiling is
    not measured while an overloaded phase's retries still run) and the open loops, one after
    the other, draining between phases; sample CPU during each phase."""
    mix = Mix()
    phases: list[Phase] = []
    warm = list(users[: len(MESSAGES)])
    began = time.monotonic()
    for _ in range(plan.warmup_rounds):
        await asyncio.gather(*(target.turn(u, mix.next(u)) for u in warm))
    progress(f"  [{mode}] warm-up: {plan.warmup_rounds} rounds ({time.monotonic() - began:.1f} s)")
    runs: list[Callable[[], Awaitable[Phase]]] = [
        partial(closed_loop, target, users[:k], mix, duration=plan.closed_duration)
        for k in plan.closed_users
    ]
    runs += [
        partial(
            open_loop,
            target,
            users,
            mix,
            rate=rate,
            duration=plan.duration,
            arrivals=plan.arrivals,
        )
        for rate in plan.rates
    ]
    for run in runs:
        watch = CpuWatch(roots)
        first = watch.sample()
        phase = await run()
        phase.cpu = CpuWatch.between(first, watch.sample())
        phase.cpu["cpu_ms_per_turn"] = cpu_per_turn(phase.cpu, phase.achieved)
        await _drain(target, plan.pause)
        phases.append(phase)
        progress(f"  [{mode}] {line(phase)}")
        progress(f"  [{mode}]   CPU: {cpu_line(phase.cpu)}")
        per_turn = ", ".join(f"{n} {v:.1f}" for n, v in phase.cpu["cpu_ms_per_turn"].items())
        progress(f"  [{mode}]   CPU ms per turn: {per_turn}")
    expected = getattr(target, "expected", {})
    samples = getattr(target, "samples", {})
    extra = int(getattr(target, "extra", 0))
    return ModeResult(mode, description, phases, dict(expected), dict(samples), extra)


async def _drain(target: Target, pause: float) -> None:
    drain = getattr(target, "drain", None)
    if drain is not None:
        await drain()
    await asyncio.sleep(pause)


def line(phase: Phase) -> str:
    """One progress line for a phase."""
    offered = (
        f"offered {phase.offered:g}/s (sent {phase.sent_rate:.1f}/s)"
        if phase.offered is not None
        else "closed loop"
    )
    errors = ", ".join(f"{k} {v}" for k, v in phase.errors.items()) or "none"
    return (
        f"{phase.name:<16} {offered:<28} achieved {phase.achieved:6.2f}/s  "
        f"p50 {_ms(phase.p50_ms)}  p95 {_ms(phase.p95_ms)}  p99 {_ms(phase.p99_ms)}  "
        f"answered {phase.answered}/{phase.turns}  errors: {errors}"
    )


def _ms(value: float | None) -> str:
    return "   -   " if value is None else f"{value:6.0f} ms"


def cpu_line(cpu: dict[str, Any] | None) -> str:
    """The CPU figures of a phase on one line (% of one core)."""
    if not cpu:
        return "-"
    parts = [f"{name} {pct:.0f}%" for name, pct in cpu["processes_pct_of_one_core"].items()]
    parts.append(f"not ours {cpu['not_ours_pct_of_one_core']:.0f}%")
    return (
        ", ".join(parts)
        + f"; machine {cpu['machine_busy_pct']:.0f}% busy of {cpu['machine_cores']} cores"
    )


async def run_rest(stack: Any, users: Sequence[int], plan: Plan, **kw: Any) -> ModeResult:
    """Mode (a) on a running ``Stack``: its Rasa URL and signing secret."""
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT * 4)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        target = RestTarget(stack.rasa_url, stack.signing_secret, session)
        pairs = list(zip(users, MESSAGES, strict=False))
        answers = await asyncio.gather(*(target.replies(u, p) for u, p in pairs))
        replies = {
            p.text: len(to_messages(a, {})) for (_, p), a in zip(pairs, answers, strict=True)
        }
        result = await measure(
            "a-rest",
            "straight to one Rasa REST webhook (signed as the bot signs), actions behind it",
            target,
            users,
            plan,
            **kw,
        )
        result.replies_per_turn = replies
        return result


async def run_standin(
    mode: str, description: str, standin_url: str, users: Sequence[int], plan: Plan, **kw: Any
) -> ModeResult:
    """Mode (b) or (c) on a running stack: through its stand-in and bot."""
    await add_standin_users(standin_url, users)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        target = StandinTarget(standin_url, session)
        await target.start()
        try:
            await target.calibrate(users[: len(MESSAGES)], quiet=plan.calibrate_quiet)
            return await measure(mode, description, target, users[len(MESSAGES) :], plan, **kw)
        finally:
            await target.stop()


# --- stacks ----------------------------------------------------------------------------------


@dataclass
class BenchStack(stacks.Stack):
    """The single-machine stack with the stand-in's flood limits off (``--no-limits``)."""

    standin_args: list[str] = field(default_factory=lambda: list(STANDIN_UNLIMITED))

    def start_standin(self) -> stacks.Process:
        port = self.ports.standin
        command = [str(stacks.APP_PYTHON), "-m", "standin", "--port", str(port)]
        return self._start(
            "standin", [*command, *self.standin_args], f"http://127.0.0.1:{port}/_test/stats"
        )


def single_machine_stack(work: Path) -> BenchStack:
    """Stack (b): SQLite with the demo data and the bench users, every port free."""
    url = f"sqlite:///{work / 'retail.db'}"
    migrate(url)
    ports = stacks.Ports(
        rasa=stacks.free_port(),
        actions=stacks.free_port(),
        http=stacks.free_port(),
        standin=stacks.free_port(),
    )
    env = {
        **UNLIMITED,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": f"http://127.0.0.1:{ports.standin}",
    }
    return BenchStack(env=env, log_dir=work / "logs-single", ports=ports)


def prod_stack(work: Path, replicas: int) -> Any | None:
    """Stack (c) (``scripts.stack.ProdStack``) with ``replicas`` of Rasa and of the actions,
    or None while that class does not exist. Its stand-in runs without flood limits when the
    class starts it through ``start_standin`` as Stack does."""
    prod = getattr(stacks, "ProdStack", None)
    if prod is None:
        return None
    unlimited = type(
        "BenchProdStack",
        (prod,),
        {"start_standin": BenchStack.start_standin, "standin_args": list(STANDIN_UNLIMITED)},
    )
    cls = unlimited if hasattr(prod, "start_standin") else prod
    return cls(
        env=dict(UNLIMITED),
        log_dir=work / f"logs-prod-{replicas}",
        replicas=replicas,
    )


def machine() -> dict[str, Any]:
    """Where and when: date, cores, memory, CPU model, git commit."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    model = ""
    with contextlib.suppress(OSError):
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "python": platform.python_version(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


# --- report ----------------------------------------------------------------------------------


def ratios(results: Sequence[ModeResult]) -> dict[str, dict[str, float | None]]:
    """Throughput of each mode over (a)'s, per open-loop rate and for the ceiling."""
    by_mode = {r.mode: r for r in results}
    base = by_mode.get("a-rest")
    table: dict[str, dict[str, float | None]] = {}
    if base is None:
        return table
    base_phases = {p.name: p for p in base.phases}
    for result in results:
        if result.mode == base.mode:
            continue
        row: dict[str, float | None] = {}
        for phase in result.phases:
            key = "ceiling" if phase.offered is None else phase.name
            ref = base.ceiling if phase.offered is None else base_phases.get(phase.name)
            if phase.offered is None and phase is not result.ceiling:
                continue
            row[key] = round(phase.achieved / ref.achieved, 2) if ref and ref.achieved else None
        table[result.mode] = row
    prod1, prod2 = by_mode.get("c-prod-1"), by_mode.get("c-prod-2")
    if prod1 and prod2 and prod1.ceiling and prod2.ceiling and prod1.ceiling.achieved:
        table["c-prod-2 / c-prod-1"] = {
            "ceiling": round(prod2.ceiling.achieved / prod1.ceiling.achieved, 2)
        }
    return table


def acceptance(results: Sequence[ModeResult]) -> list[str]:
    """Issue 16's acceptance figures, read off this run."""
    by_mode = {r.mode: r for r in results}
    notes: list[str] = []
    rest, full = by_mode.get("a-rest"), by_mode.get("b-full")
    if rest and full and rest.ceiling and full.ceiling and rest.ceiling.achieved:
        share = full.ceiling.achieved / rest.ceiling.achieved
        verdict = "met" if share >= 0.85 else "NOT met"
        notes.append(
            f"(b) ceiling is {share:.0%} of (a)'s ({full.ceiling.achieved:.1f} vs "
            f"{rest.ceiling.achieved:.1f} turns/s): >= 85% {verdict}"
        )
    if full:
        five = next((p for p in full.phases if p.offered == 5.0), None)
        if five and five.p95_ms is not None:
            verdict = "met" if five.p95_ms <= 250 else "NOT met"
            notes.append(f"(b) p95 at 5 turns/s: {five.p95_ms:.0f} ms: <= 250 ms {verdict}")
    prod1, prod2 = by_mode.get("c-prod-1"), by_mode.get("c-prod-2")
    if prod1 and prod2 and prod1.ceiling and prod2.ceiling and prod1.ceiling.achieved:
        ratio = prod2.ceiling.achieved / prod1.ceiling.achieved
        verdict = "met" if ratio >= 1.6 else "NOT met (see the CPU figures for why)"
        notes.append(f"(c) two replicas / one: {ratio:.2f}x: >= 1.6x {verdict}")
    elif not prod1 and not prod2:
        notes.append("(c) not measured in this run")
    return notes


def write_report(
    results: Sequence[ModeResult], plan: Plan, where: dict[str, Any], notes: list[str]
) -> tuple[Path, Path]:
    """reports/bench-turns.md and .json."""
    REPORTS.mkdir(exist_ok=True)
    data = {
        "machine": where,
        "plan": asdict(plan),
        "limits_raised": {
            "bot": UNLIMITED,
            "standin": STANDIN_UNLIMITED,
            "why": "Telegram's 30 messages/s and 1/s per chat are production caps; the bench "
            "measures the software path",
        },
        "messages": [asdict(p) for p in MESSAGES],
        "modes": [asdict(r) for r in results],
        "ratios_to_a": ratios(results),
        "acceptance": acceptance(results),
        "notes": notes,
    }
    json_path = REPORTS / "bench-turns.json"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    md_path = REPORTS / "bench-turns.md"
    md_path.write_text(markdown(data, results))
    return md_path, json_path


def markdown(data: dict[str, Any], results: Sequence[ModeResult]) -> str:
    """The report as Markdown."""
    where = data["machine"]
    plan = data["plan"]
    out = [
        "# Conversation turns under load (`make bench-turns`)",
        "",
        f"{where['date']}, commit {where['commit']}; {where['cores']} cores ({where['cpu']}), "
        f"{where['memory']}.",
        "",
        f"Open loop: {plan['arrivals']} arrivals for {plan['duration']:g} s at each rate; "
        f"closed loop: {plan['closed_users']} users for {plan['closed_duration']:g} s. Latency: "
        "send to the last reply message of the turn as the stand-in recorded it, or to the REST "
        "response in (a). Achieved: answered turns per second from the first send to the last "
        "reply. Errors: timeouts (> 30 s), HTTP errors, the bot's 'backend down' replies.",
        "",
        "Limits raised for the bench: the stand-in runs with `--no-limits` and the bot with "
        "OVERALL_RATE_PER_SECOND=100000, CHAT_RATE_PER_SECOND=1000 and the INBOUND_* limits "
        "high. Telegram's 30 messages/s is a real cap of production; these figures measure the "
        "software path, not Telegram.",
        "",
        "| mode | phase | offered/s | sent/s | achieved/s | p50 ms | p95 ms | p99 ms | answered "
        "| errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        for p in result.phases:
            errors = ", ".join(f"{k} {v}" for k, v in p.errors.items()) or "0"
            offered = f"{p.offered:g}" if p.offered is not None else "-"
            out.append(
                f"| {result.mode} | {p.name} | {offered} | {p.sent_rate:.2f} | {p.achieved:.2f} "
                f"| {_cell(p.p50_ms)} "
                f"| {_cell(p.p95_ms)} | {_cell(p.p99_ms)} | {p.answered}/{p.turns} | {errors} |"
            )
    out += ["", "Modes:", ""]
    out += [f"- **{r.mode}**: {r.description}" for r in results]
    out += ["", "## Throughput over (a)'s", ""]
    for mode, row in data["ratios_to_a"].items():
        cells = ", ".join(f"{k} {v if v is not None else '-'}x" for k, v in row.items())
        out.append(f"- {mode}: {cells}")
    if not data["ratios_to_a"]:
        out.append("- (a) was not measured in this run")
    out += ["", "## Acceptance (issue 16)", ""]
    out += [f"- {note}" for note in data["acceptance"]]
    out += ["", "## CPU per phase (% of one core; machine busy % of all cores)", ""]
    for result in results:
        for p in result.phases:
            if p.cpu:
                out.append(f"- {result.mode}, {p.name}: {cpu_line(p.cpu)}")
                per_turn = ", ".join(f"{k} {v:.1f}" for k, v in p.cpu["cpu_ms_per_turn"].items())
                out.append(f"  - CPU ms per answered turn: {per_turn}")
    out += ["", "## The mix (the same for every mode)", ""]
    out += [
        "Telegram messages per turn: (a) from Rasa's replies as the bot would render them, the "
        "others counted at the stand-in.",
        "",
        "| language | message | asks | " + " | ".join(r.mode for r in results) + " |",
        "| --- | --- | --- |" + " --- |" * len(results),
    ]
    for phrase in MESSAGES:
        counts = " | ".join(str(r.replies_per_turn.get(phrase.text, "-")) for r in results)
        out.append(f"| {phrase.language} | {phrase.text} | {phrase.kind} | {counts} |")
    sample = next((r for r in results if r.mode != "a-rest"), results[0] if results else None)
    if sample is not None:
        out += ["", f"Replies seen ({sample.mode}), the start of each:", ""]
        for phrase in MESSAGES:
            reply = " / ".join(sample.samples.get(phrase.text, "-").splitlines())
            out.append(f"- {phrase.text} -> {reply[:90]}")
    if data["notes"]:
        out += ["", "## Notes", ""]
        out += [f"- {note}" for note in data["notes"]]
    return "\n".join(out) + "\n"


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_turns",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--modes", default="a,b,c", help="which of a (REST), b (full), c (production shape)"
    )
    parser.add_argument("--rates", default="5,20,50", help="open-loop turns/s, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per open loop")
    parser.add_argument(
        "--closed-users", default="16", help="closed-loop concurrency, comma-separated"
    )
    parser.add_argument("--closed-duration", type=float, default=20.0)
    parser.add_argument("--arrivals", choices=("poisson", "even"), default="poisson")
    parser.add_argument("--users", type=int, default=150, help="bench retailers per mode")
    parser.add_argument("--replicas", default="1,2", help="replica counts of the production shape")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    """The phases each mode runs."""
    return Plan(
        rates=[float(v) for v in args.rates.split(",") if v],
        duration=args.duration,
        closed_users=[int(v) for v in args.closed_users.split(",") if v],
        closed_duration=args.closed_duration,
        arrivals=args.arrivals,
    )


def progress(text: str) -> None:
    """One line of progress, at once."""
    print(text, flush=True)


def bench(args: argparse.Namespace) -> list[ModeResult]:
    """Run the modes asked for, one stack at a time; returns their results."""
    plan = plan_from(args)
    modes = {m.strip() for m in args.modes.split(",")}
    work = Path(tempfile.mkdtemp(prefix="bench-turns-"))
    progress(
        f"work folder {work}; limits raised for the bench: stand-in --no-limits, bot "
        "OVERALL_RATE_PER_SECOND=100000 CHAT_RATE_PER_SECOND=1000 (Telegram caps "
        "production at 30 messages/s)"
    )
    results: list[ModeResult] = []
    users_a = bench_users(FIRST_USER, args.users + len(MESSAGES))
    users_b = bench_users(FIRST_USER + USERS_PER_MODE, args.users + len(MESSAGES))
    if modes & {"a", "b"}:
        stack = single_machine_stack(work)
        seeded = seed_bench_users(stack.env["DATABASE_URL"], [*users_a, *users_b])
        progress(f"single-machine stack: SQLite, {seeded} bench retailers bound; starting...")
        try:
            stack.start(progress=progress)
            roots = stack_roots(stack)
            if "a" in modes:
                progress("(a) REST webhook:")
                results.append(asyncio.run(run_rest(stack, users_a, plan, roots=roots)))
            if "b" in modes:
                progress("(b) stand-in -> bot -> Rasa -> reply, single machine:")
                description = (
                    "stand-in -> bot (polling) -> Rasa -> actions -> reply; SQLite, one Rasa, "
                    "one action server"
                )
                results.append(
                    asyncio.run(
                        run_standin(
                            "b-full", description, stack.standin_url, users_b, plan, roots=roots
                        )
                    )
                )
        finally:
            stack.stop()
    if "c" in modes:
        for replicas in [int(v) for v in args.replicas.split(",") if v]:
            result = run_prod(work, replicas, plan, args.users)
            if result is not None:
                results.append(result)
    if not args.keep:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    return results


def run_prod(work: Path, replicas: int, plan: Plan, n: int) -> ModeResult | None:
    """Mode (c) with ``replicas`` Rasa and action servers, or None (with a line saying why)
    while ``scripts.stack.ProdStack`` does not exist."""
    stack = prod_stack(work, replicas)
    if stack is None:
        progress(
            f"(c) production shape x{replicas}: skipped, scripts.stack.ProdStack not there yet"
        )
        return None
    users = bench_users(FIRST_USER + 2 * USERS_PER_MODE, n + len(MESSAGES))
    progress(f"(c) production shape, {replicas} replica(s): starting...")
    try:
        stack.start(progress=progress)
        seed_bench_users(stack.database_url, users)
        description = (
            f"stand-in -> bot (webhook) -> {replicas} Rasa (the bot's client balances them) -> "
            f"HAProxy -> {replicas} action server(s); PostgreSQL, Redis lock store"
        )
        return asyncio.run(
            run_standin(
                f"c-prod-{replicas}",
                description,
                stack.standin_url,
                users,
                plan,
                roots=stack_roots(stack),
            )
        )
    finally:
        stack.stop()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the run like Ctrl-C: the stacks' ``finally`` stops their processes (and
    the production shape drops its databases)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Run, print the summary and write the reports."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    where = machine()
    progress(f"bench-turns {where['date']}, {where['cores']} cores, commit {where['commit']}")
    results = bench(args)
    notes: list[str] = []
    for result in results:
        if result.extra_messages:
            notes.append(
                f"{result.mode}: {result.extra_messages} bot messages in bench chats belonged "
                "to no turn (late replies after a drain, or pushes)"
            )
    busy = [
        f"{r.mode} {p.name} {p.cpu['not_ours_pct_of_one_core']:.0f}%"
        for r in results
        for p in r.phases
        if p.cpu and p.cpu["not_ours_pct_of_one_core"] > 25
    ]
    if busy:
        notes.append(
            "processes outside the bench used CPU during these phases (% of one core), so "
            "their figures are lower than an idle machine's: " + "; ".join(busy)
        )
    md_path, json_path = write_report(results, plan_from(args), where, notes)
    progress("")
    progress("throughput over (a)'s:")
    for mode, row in ratios(results).items():
        progress(f"  {mode}: " + ", ".join(f"{k} {v}x" for k, v in row.items()))
    for note in acceptance(results) + notes:
        progress(f"  {note}")
    progress(f"wrote {md_path.relative_to(ROOT)} and {json_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
