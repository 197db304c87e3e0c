"""Reminder delivery benchmark: ``make bench-reminders N=2000``.

1. Creates a throwaway database (PostgreSQL on 127.0.0.1:5432 when it answers, else SQLite)
   and seeds N retailers whose bank balance is short of their open order.
2. Starts the Bot API stand-in (``python -m standin``) with Telegram's limits: 30 messages
   a second overall, 1 a second per chat, 429 with retry_after beyond them.
3. Runs the planner (``retail.reminders.plan_reminders``), which queues one funding reminder
   per shop in the outbox.
4. Starts the standalone sender (``python -m bot.sender``), kills it with SIGKILL once when
   about 40% is delivered, and starts it again. Rows the dead sender held come back after the
   lease (``--lease``, 10 s here).
5. Counts from the stand-in's own record (``/_test/sent``) and prints as its last line:
   ``reminders: delivered=N duplicates=D lost=L rate=R/s limit=30/s restarts=K``.

``--kill between-sends`` (default) freezes the sender (SIGSTOP), lets requests already on the
wire arrive, and kills it only if every message the stand-in got is recorded as sent, so the
crash lands between two deliveries: it tests that claimed rows (and a row marked in flight but
not yet sent) are recovered and sent rows are never repeated. ``--kill anywhere`` kills at
once: a kill inside the few milliseconds between Telegram's answer and the outbox recording it
re-sends that one message after the lease (the outbox is at-least-once there; see
retail/outbox.py), and the count shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import time as clock_time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import func, select

from retail import outbox
from retail.clock import SystemClock, local
from retail.db import Database
from retail.models import (
    BalanceSnapshot,
    Manager,
    Order,
    OrderLine,
    OutboxMessage,
    Product,
    Retailer,
    SettlementAccount,
    User,
)
from retail.reminders import QuietHours, ReminderPolicy, plan_reminders
from retail.schema import migrate
from retail.seed import current_cycle
from standin import StandinClient

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
FIRST_CHAT = 5_000_000
TELEGRAM_LIMIT = 30


@dataclass
class Run:
    """The processes and figures of one benchmark run."""

    n: int
    work: Path
    database_url: str
    standin_port: int
    lease: float
    senders: list[subprocess.Popen[bytes]] = field(default_factory=list)
    restarts: int = 0
    kill_tries: int = 0

    @property
    def standin_url(self) -> str:
        """Where the stand-in listens."""
        return f"http://127.0.0.1:{self.standin_port}"


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def throwaway_database(work: Path, kind: str) -> tuple[str, str | None]:
    """A new empty database URL, and the PostgreSQL database name to drop afterwards."""
    if kind in ("auto", "postgres"):
        name = f"bench_reminders_{uuid.uuid4().hex[:8]}"
        try:
            with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            admin_url = PG_ADMIN.rsplit("/", 1)[0]
            return f"{admin_url}/{name}".replace("postgresql://", "postgresql+psycopg://"), name
        except psycopg.OperationalError:
            if kind == "postgres":
                raise
    return f"sqlite:///{work / 'bench.db'}", None


def drop_database(name: str | None) -> None:
    """Drop the throwaway PostgreSQL database."""
    if name is not None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(database: Database, n: int) -> None:
    """One manager and ``n`` bound retailers, each ¥500.00 short of an order closing in 3 h."""
    now = SystemClock().now()
    with database.session() as session:
        manager = Manager(
            code="BM001",
            name="基准经理",
            display_zh="基准经理",
            display_en="Bench Manager",
            phone="13900000000",
        )
        product = Product(
            code="B0001",
            brand="芙蓉王",
            brand_en="Furongwang",
            spec="芙蓉王(硬)",
            name_en="Furongwang (hard)",
            pack_type="硬盒",
            wholesale_per_carton=Decimal("250.00"),
            retail_per_pack=Decimal("26.00"),
            status="active",
            price_tier="high",
        )
        session.add_all([manager, product])
        session.flush()
        cycle = current_cycle(now)
        for start in range(0, n, 500):
            retailers = [
                Retailer(
                    code=f"B{i:06d}",
                    name=f"基准店{i}",
                    licence_no=f"BL{i:010d}",
                    phone=f"1500{i:07d}",
                    star_level=3,
                    manager_id=manager.id,
                    order_weekday=local(now).weekday(),
                    window_open=clock_time(0),
                    window_close=clock_time(23, 59),
                    deduction_time=clock_time(23, 59),
                )
                for i in range(start, min(n, start + 500))
            ]
            session.add_all(retailers)
            session.flush()
            for retailer in retailers:
                i = int(retailer.code[1:])
                account = SettlementAccount(
                    retailer_id=retailer.id, bank="基准银行", account_masked=f"**** {i:04d}"
                )
                session.add(account)
                session.add(
                    User(
                        role="retailer",
                        retailer_id=retailer.id,
                        phone=retailer.phone,
                        telegram_user_id=FIRST_CHAT + i,
                        language="zh" if i % 5 else "en",
                    )
                )
                order = Order(
                    retailer_id=retailer.id,
                    cycle=cycle,
                    status="open",
                    opens_at=now - timedelta(hours=1),
                    closes_at=now + timedelta(hours=3),
                    deduct_at=now + timedelta(hours=5),
                )
                order.lines = [
                    OrderLine(product_id=product.id, quantity=4, unit_price=Decimal("250.00"))
                ]
                session.add(order)
            session.flush()
            accounts = session.scalars(
                select(SettlementAccount).where(
                    SettlementAccount.retailer_id.in_([r.id for r in retailers])
                )
            )
            session.add_all(
                BalanceSnapshot(
                    account_id=account.id,
                    balance=Decimal("500.00"),
                    reported_at=now - timedelta(minutes=30),
                    received_at=now - timedelta(minutes=30),
                    feed="bench",
                    snapshot_key=f"bench:{account.id}",
                )
                for account in accounts
            )
            session.flush()


def start_standin(run: Run) -> subprocess.Popen[bytes]:
    """The stand-in with Telegram's limits (its defaults), logging to the work folder."""
    log = (run.work / "standin.log").open("wb")
    command = [PYTHON, "-m", "standin", "--port", str(run.standin_port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", run.standin_port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the stand-in did not start; see {run.work / 'standin.log'}")


def start_sender(run: Run) -> subprocess.Popen[bytes]:
    """A standalone sender process against the throwaway database and the stand-in."""
    number = len(run.senders) + 1
    log = (run.work / f"sender-{number}.log").open("wb")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": run.database_url,
        "TELEGRAM_BOT_TOKEN": "",
        "TELEGRAM_API_URL": run.standin_url,
        "SENDER_RATE_PER_SECOND": str(TELEGRAM_LIMIT),
        "CHAT_RATE_PER_SECOND": "1",
        "OUTBOX_LEASE_SECONDS": str(run.lease),
        "OUTBOX_POLL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
    }
    command = [PYTHON, "-m", "bot.sender", "--worker-id", f"bench-sender-{number}"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    run.senders.append(process)
    return process


def marked_sent(database: Database) -> int:
    """Rows the outbox records as delivered."""
    with database.session() as session:
        query = select(func.count()).where(OutboxMessage.status == outbox.SENT)
        return int(session.scalar(query) or 0)


def unfinished(database: Database) -> int:
    """Rows not yet sent, blocked, failed, cancelled or expired."""
    with database.session() as session:
        query = select(func.count()).where(OutboxMessage.status.not_in(sorted(outbox.FINAL)))
        return int(session.scalar(query) or 0)


def kill(process: subprocess.Popen[bytes], database: Database, mode: str, run: Run) -> None:
    """SIGKILL the sender: at once (``anywhere``), or at a moment when every message the
    stand-in has received is recorded as sent (``between-sends``): freeze the sender, let
    requests already on the wire arrive, compare, and kill or let it run a little more."""
    if mode == "anywhere":
        os.kill(process.pid, signal.SIGKILL)
    else:
        for _ in range(1000):
            run.kill_tries += 1
            os.kill(process.pid, signal.SIGSTOP)
            time.sleep(0.1)
            if asyncio.run(standin_progress(run.standin_url)) == marked_sent(database):
                os.kill(process.pid, signal.SIGKILL)
                break
            os.kill(process.pid, signal.SIGCONT)
            time.sleep(random.uniform(0.002, 0.03))
        else:
            os.kill(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def add_users(url: str, n: int) -> None:
    """Every bench retailer as a stand-in user who has opened the chat."""
    async with StandinClient(url) as client:
        for start in range(0, n, 200):
            await asyncio.gather(
                *(
                    client.add_user(FIRST_CHAT + i, first_name=f"Shop {i}")
                    for i in range(start, min(n, start + 200))
                )
            )


async def standin_progress(url: str) -> int:
    """How many things the stand-in has recorded so far (cheap: it lists no messages, so
    watching does not slow the stand-in down)."""
    async with StandinClient(url) as client:
        return await client.last_seq()


async def standin_figures(url: str) -> tuple[int, list[dict[str, object]]]:
    """(429s answered, every sendMessage in the stand-in's record)."""
    async with StandinClient(url) as client:
        stats = await client.stats()
        sent = [m for m in await client.sent_messages() if m["method"] == "sendMessage"]
    return int(stats["too_many_requests"]), sent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_reminders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=2000, help="retailers (one reminder each)")
    parser.add_argument("--database", choices=("auto", "postgres", "sqlite"), default="auto")
    parser.add_argument(
        "--kill", choices=("between-sends", "anywhere", "none"), default="between-sends"
    )
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction delivered")
    parser.add_argument("--lease", type=float, default=10.0, help="outbox lease, seconds")
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder: logs and sent.json"
    )
    return parser.parse_args(argv)


def bench(args: argparse.Namespace) -> str:
    """Run the benchmark; returns the result line."""
    work = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    url, pg_name = throwaway_database(work, args.database)
    run = Run(n=args.n, work=work, database_url=url, standin_port=free_port(), lease=args.lease)
    database: Database | None = None
    standin: subprocess.Popen[bytes] | None = None
    try:
        print(f"database: {'PostgreSQL' if pg_name else 'SQLite'}; work folder {work}")
        migrate(url)
        database = Database(url)
        began = time.monotonic()
        seed(database, args.n)
        print(f"seeded {args.n} short retailers in {time.monotonic() - began:.1f} s")
        standin = start_standin(run)
        asyncio.run(add_users(run.standin_url, args.n))

        policy = ReminderPolicy(order_open=False, quiet=QuietHours(clock_time(0), clock_time(0)))
        began = time.monotonic()
        with database.session() as session:
            report = plan_reminders(session, clock=SystemClock(), policy=policy)
        print(f"planner queued {report.queued} reminders in {time.monotonic() - began:.1f} s")

        sender = start_sender(run)
        began = time.monotonic()
        killed = args.kill == "none"
        next_note = began
        timeout = began + args.n / TELEGRAM_LIMIT * 2 + 120
        while time.monotonic() < timeout:
            time.sleep(0.5)
            delivered = asyncio.run(standin_progress(run.standin_url))
            if not killed and delivered >= args.kill_at * args.n:
                kill(sender, database, args.kill, run)
                run.restarts += 1
                killed = True
                print(f"  killed the sender (SIGKILL) at {delivered}/{args.n}; restarting it")
                sender = start_sender(run)
            if time.monotonic() >= next_note:
                elapsed = time.monotonic() - began
                print(
                    f"  {elapsed:5.0f} s  sent {delivered}/{args.n}  restarts {run.restarts}",
                    flush=True,
                )
                next_note += 5
            if killed and delivered >= args.n and unfinished(database) == 0:
                break
        time.sleep(1.0)  # let a late duplicate, if any, reach the record
        stop(sender)
        limited, sent = asyncio.run(standin_figures(run.standin_url))
        (work / "sent.json").write_text(json.dumps(sent, ensure_ascii=False))
        per_chat = Counter(int(str(m["chat_id"])) for m in sent)
        bench_chats = {FIRST_CHAT + i for i in range(args.n)}
        delivered = len(bench_chats & set(per_chat))
        duplicates = sum(count - 1 for count in per_chat.values() if count > 1)
        times = sorted(float(str(m["time"])) for m in sent)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        rate = (len(times) - 1) / span if span > 0 else 0.0
        with database.session() as session:
            statuses = Counter(session.scalars(select(OutboxMessage.status)))
            interrupted = int(session.scalar(select(func.sum(OutboxMessage.interrupted))) or 0)
        print(
            f"outbox: {dict(statuses)}; 429s answered by the stand-in: {limited}; "
            f"rows in flight at the kill, sent again after the lease: {interrupted}; "
            f"kill mode: {args.kill} ({run.kill_tries} freeze(s))"
        )
        return (
            f"reminders: delivered={delivered} duplicates={duplicates} "
            f"lost={args.n - delivered} rate={rate:.1f}/s limit={TELEGRAM_LIMIT}/s "
            f"restarts={run.restarts}"
        )
    finally:
        for process in run.senders:
            stop(process)
        if standin is not None:
            stop(standin)
        if database is not None:
            database.dispose()
        drop_database(pg_name)
        if not args.keep:
            for path in sorted(work.glob("*")):
                path.unlink()
            work.rmdir()


def main(argv: list[str] | None = None) -> None:
    """Run and print the result as the last line."""
    print(bench(parse_args(argv)), flush=True)


if __name__ == "__main__":
    main()
