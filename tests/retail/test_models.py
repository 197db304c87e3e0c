"""The schema as migrated by Alembic, the demo seed, and optimistic locking of orders."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from retail.clock import FixedClock
from retail.db import Database
from retail.models import Base, Order, Policy, Product, Retailer
from retail.seed import seed_demo


def test_migrations_build_exactly_the_models_schema(any_db: Database) -> None:
    with any_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_demo_seed_meets_the_contract(any_db: Database) -> None:
    with any_db.session() as session:
        products = session.scalar(select(func.count()).select_from(Product))
        policies = session.scalar(select(func.count()).select_from(Policy))
        retailers = session.scalar(select(func.count()).select_from(Retailer))
        prices = session.execute(
            select(func.min(Product.wholesale_per_carton), func.max(Product.wholesale_per_carton))
        ).one()
        rows = session.execute(select(Product.brand, Product.spec).where(Product.is_brand_default))
        defaults = {brand: spec for brand, spec in rows}
        red_river = session.scalar(select(Product).where(Product.spec == "红河(盖)"))
    assert products >= 30 and policies >= 12 and retailers >= 6
    assert 60 <= prices[0] <= prices[1] <= 900
    assert {
        "芙蓉王": "芙蓉王(硬)",
        "白沙": "白沙(硬)",
        "利群": "利群(新版)",
        "双喜": "双喜(硬)",
        "兰州": "兰州(硬如意)",
        "黄果树": "黄果树(佳品)",
        "雄狮": "雄狮(硬)",
        "玉溪": "玉溪(软尚善)",
        "大红鹰": "大红鹰(50版)",
    }.items() <= defaults.items()
    assert red_river.status == "discontinued"


def test_seeding_twice_changes_nothing(any_db: Database, clock: FixedClock) -> None:
    def counts() -> list[int]:
        with any_db.session() as session:
            return [
                session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables
            ]

    before = counts()
    with any_db.session() as session:
        seed_demo(session, clock)
    assert counts() == before


def test_a_stale_order_update_is_refused_not_lost(any_db: Database) -> None:
    with any_db.session() as first, any_db.session() as second:
        mine = first.scalars(select(Order).order_by(Order.id)).first()
        theirs = second.get(Order, mine.id)
        mine.status = "locked"
        first.commit()
        theirs.status = "cancelled"
        with pytest.raises(StaleDataError):
            second.flush()
        second.rollback()
