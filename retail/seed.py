"""Load the demo catalog, policies and people from ``data/demo/`` into a database.

Idempotent: records are matched by their codes and updated in place, so ``make run`` can seed
on every start. The current week's demo orders are (re)opened around "now", which is how the
demo order windows stay open whenever the demo runs (CONTRACT.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.clock import Clock, local
from retail.models import (
    BalanceSnapshot,
    BindingCode,
    Contact,
    Manager,
    Order,
    OrderLine,
    Policy,
    Product,
    ProductAlias,
    Retailer,
    SettlementAccount,
    StarQuota,
    User,
    VisitNote,
)
from retail.settings import PROJECT_ROOT
from retail.visits import TAGS, NoteFacts, Record, write_note

DEMO_DIR = PROJECT_ROOT / "data" / "demo"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedReport:
    """How many records of each kind the seed wrote."""

    products: int
    policies: int
    managers: int
    retailers: int
    orders: int


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _upsert(session: Session, model: Any, key_name: str, key_value: Any, **fields: Any) -> Any:
    row = session.scalar(select(model).where(getattr(model, key_name) == key_value))
    if row is None:
        row = model(**{key_name: key_value})
        session.add(row)
    for name, field_value in fields.items():
        setattr(row, name, field_value)
    return row


def seed_catalog(session: Session, products: list[dict[str, Any]]) -> dict[str, Product]:
    """Products, aliases and quotas; replacements are linked once every spec exists."""
    by_spec: dict[str, Product] = {}
    for item in products:
        product = _upsert(
            session,
            Product,
            "code",
            item["code"],
            brand=item["brand"],
            brand_en=item["brand_en"],
            spec=item["spec"],
            name_en=item["name_en"],
            pack_type=item["pack_type"],
            wholesale_per_carton=Decimal(str(item["wholesale_per_carton"])),
            retail_per_pack=Decimal(str(item["retail_per_pack"])),
            status=item["status"],
            is_brand_default=bool(item.get("default_for_brand", False)),
            price_tier=item["price_tier"],
            stock_cartons=int(item.get("stock_cartons", 0)),
        )
        aliases = {alias.alias: alias for alias in product.aliases}
        product.aliases = [
            aliases.get(name) or ProductAlias(alias=name) for name in dict.fromkeys(item["aliases"])
        ]
        quotas = {quota.star_level: quota for quota in product.quotas}
        product.quotas = []
        for star, cartons in (item.get("quotas") or {}).items():
            quota = quotas.get(int(star)) or StarQuota(star_level=int(star))
            quota.max_cartons = int(cartons)
            product.quotas.append(quota)
        by_spec[product.spec] = product
        session.flush()
    for item in products:
        replacement = item.get("replacement")
        by_spec[item["spec"]].replacement = by_spec[replacement] if replacement else None
    return by_spec


def seed_policies(session: Session, data: dict[str, Any]) -> int:
    """Policies and company contact lines (hotline, complaint line)."""
    for key, value in (data.get("contacts") or {}).items():
        _upsert(session, Contact, "key", key, value=str(value))
    for item in data["policies"]:
        effective_to = item.get("effective_to")
        _upsert(
            session,
            Policy,
            "key",
            item["key"],
            topic=item["topic"],
            title_zh=item["title_zh"],
            title_en=item["title_en"],
            text_zh=item["text_zh"].strip(),
            text_en=item["text_en"].strip(),
            keywords_zh=list(item.get("keywords_zh", [])),
            keywords_en=list(item.get("keywords_en", [])),
            effective_from=_as_date(item["effective_from"]),
            effective_to=_as_date(effective_to) if effective_to else None,
        )
    return len(data["policies"])


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _user(session: Session, *, role: str, phone: str, language: str, **link: Any) -> User:
    user = session.scalar(select(User).where(User.phone == phone))
    if user is None:
        user = User(role=role, phone=phone, language=language, **link)
        session.add(user)
    return user


def _bind_demo(session: Session, user: User, telegram_user_id: int | None, clock: Clock) -> None:
    """Demo accounts come pre-bound so the stand-in chat works at once."""
    if telegram_user_id is None or user.telegram_user_id == telegram_user_id:
        return
    other = session.scalar(select(User).where(User.telegram_user_id == telegram_user_id))
    if other is not None and other is not user:
        other.telegram_user_id = None
        session.flush()
    user.telegram_user_id = telegram_user_id
    user.bound_at = clock.now()


def current_cycle(now: datetime) -> str:
    """The ISO week an order belongs to, e.g. ``2026-W47`` (Asia/Shanghai)."""
    year, week, _ = local(now).isocalendar()
    return f"{year}-W{week:02d}"


def _open_order(
    session: Session,
    retailer: Retailer,
    cycle: str,
    lines: list[dict[str, Any]],
    products: dict[str, Product],
    *,
    opens_at: datetime,
    closes_at: datetime,
    status: str,
) -> Order:
    order = session.scalar(
        select(Order).where(Order.retailer_id == retailer.id, Order.cycle == cycle)
    )
    if order is None:
        order = Order(retailer_id=retailer.id, cycle=cycle)
        session.add(order)
    order.status = status
    order.opens_at = opens_at
    order.closes_at = closes_at
    order.deduct_at = closes_at + timedelta(hours=2)
    existing = {line.product_id: line for line in order.lines}
    order.lines = []
    for item in lines:
        product = products[item["product"]]
        line = existing.get(product.id) or OrderLine(product_id=product.id)
        line.quantity = int(item["qty"])
        line.unit_price = product.wholesale_per_carton
        order.lines.append(line)
    return order


def seed_people(
    session: Session, data: dict[str, Any], products: dict[str, Product], clock: Clock
) -> tuple[int, int, int]:
    """Managers, retailers, their users, settlement accounts, balances and demo orders."""
    now = clock.now()
    managers: dict[str, Manager] = {}
    for item in data["managers"]:
        manager = _upsert(
            session,
            Manager,
            "code",
            item["code"],
            name=item["name"],
            display_zh=item["display_zh"],
            display_en=item["display_en"],
            phone=item["phone"],
            language=item.get("language", "zh"),
            territory=item.get("territory", ""),
        )
        session.flush()
        managers[manager.code] = manager
        user = _user(session, role="manager", phone=manager.phone, language=manager.language)
        user.manager_id = manager.id
        session.flush()
        _bind_demo(session, user, item.get("telegram_user_id"), clock)

    orders = 0
    for item in data["retailers"]:
        window_open, window_close = (_clock_time(p) for p in item["window"].split("-"))
        retailer = _upsert(
            session,
            Retailer,
            "code",
            item["code"],
            name=item["name"],
            name_en=item.get("name_en", ""),
            owner=item.get("owner", ""),
            licence_no=str(item["licence_no"]),
            phone=str(item["phone"]),
            address=item.get("address", ""),
            star_level=int(item["star"]),
            manager_id=managers[item["manager"]].id,
            segment=item.get("segment", "urban"),
            key_shop=bool(item.get("key_shop", False)),
            order_weekday=int(item["order_weekday"]),
            window_open=window_open,
            window_close=window_close,
            deduction_time=_clock_time(item["deduction_time"]),
            language=item.get("language", "zh"),
        )
        session.flush()
        user = _user(session, role="retailer", phone=retailer.phone, language=retailer.language)
        user.retailer_id = retailer.id
        session.flush()
        _bind_demo(session, user, item.get("telegram_user_id"), clock)
        if item.get("binding_code"):
            _demo_code(session, user, item["binding_code"], now)

        account = _upsert(
            session,
            SettlementAccount,
            "retailer_id",
            retailer.id,
            bank="农村商业银行",
            account_masked=f"**** {retailer.phone[-4:]}",
        )
        session.flush()
        reported_at = now - timedelta(hours=float(item.get("balance_reported_hours_ago", 3)))
        key = f"demo:{retailer.code}:{current_cycle(now)}"
        _upsert(
            session,
            BalanceSnapshot,
            "snapshot_key",
            key,
            account_id=account.id,
            balance=Decimal(str(item["balance"])),
            reported_at=reported_at,
            received_at=reported_at,
            feed="demo",
        )
        this_week = current_cycle(now)
        last_week = current_cycle(now - timedelta(days=7))
        _open_order(
            session,
            retailer,
            this_week,
            item.get("order", []),
            products,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=6),
            status="open",
        )
        _open_order(
            session,
            retailer,
            last_week,
            item.get("last_week", []),
            products,
            opens_at=now - timedelta(days=8),
            closes_at=now - timedelta(days=5),
            status="deducted",
        )
        orders += 2
    return len(managers), len(data["retailers"]), orders


def _demo_code(session: Session, user: User, code: str, now: datetime) -> None:
    """Demo binding codes are re-armed on every seed (valid for 30 days)."""
    binding = session.scalar(select(BindingCode).where(BindingCode.code == code.upper()))
    if binding is None:
        binding = BindingCode(code=code.upper(), user_id=user.id, expires_at=now)
        session.add(binding)
    if user.telegram_user_id is None:
        binding.used_at = None
        binding.used_by_telegram_id = None
    binding.expires_at = now + timedelta(days=30)


def seed_visits(session: Session, data: dict[str, Any], clock: Clock) -> int:
    """Saved, confirmed visit notes (``days_ago`` before now), so history and the plan show
    something.

    Idempotent: a shop that already has a demo note gets none. The notes carry no follow-ups,
    so the seed causes no follow-up digest.
    """
    written = 0
    ids = {product.spec: product.id for product in session.scalars(select(Product))}
    for item in data.get("visits", []):
        retailer = session.scalar(select(Retailer).where(Retailer.code == item["shop"]))
        if retailer is None:
            continue
        exists = session.scalar(
            select(VisitNote.id).where(
                VisitNote.retailer_id == retailer.id, VisitNote.source == "demo"
            )
        )
        if exists is not None:
            continue
        tags = frozenset(item.get("tags", []))
        unknown = tags - set(TAGS)
        if unknown:
            raise ValueError(f"visits.yml: unknown tags {sorted(unknown)}")
        at = clock.now() - timedelta(days=int(item["days_ago"]))
        facts = NoteFacts(
            raw_text=item["text"],
            sent_at=at,
            price_tags=item.get("price_tags"),
            tags=tags,
            stock=tuple((ids[spec], int(n)) for spec, n in item.get("stock", {}).items()),
            stock_outs=tuple(ids[spec] for spec in item.get("stock_outs", [])),
            remarks=tuple((kind, text, None) for kind, text in item.get("remarks", [])),
        )
        write_note(
            session,
            Record.from_facts(facts, retailer.id),
            manager_id=retailer.manager_id,
            raw_text=item["text"],
            source="demo",
            recorded_at=at,
            confirmed_at=at,
        )
        written += 1
    return written


def seed_demo(session: Session, clock: Clock, directory: Path = DEMO_DIR) -> SeedReport:
    """Seed everything in ``directory`` (default ``data/demo/``) and report the counts."""
    catalog = _read(directory / "catalog.yml")["products"]
    products = seed_catalog(session, catalog)
    policies = seed_policies(session, _read(directory / "policies.yml"))
    managers, retailers, orders = seed_people(
        session, _read(directory / "people.yml"), products, clock
    )
    session.flush()
    seed_visits(session, _read(directory / "visits.yml"), clock)
    report = SeedReport(len(products), policies, managers, retailers, orders)
    log.info("seeded demo data", extra={"report": report.__dict__})
    return report
