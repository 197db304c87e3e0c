"""Products with prices, aliases and per-star quotas, and the policy texts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from retail.models.base import Base, Money


class Product(Base):
    """A catalog spec such as 芙蓉王(硬); wholesale per 条, suggested retail per 包."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    brand: Mapped[str] = mapped_column(String(32), index=True)
    brand_en: Mapped[str] = mapped_column(String(64))
    spec: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(128))
    pack_type: Mapped[str] = mapped_column(String(8))
    wholesale_per_carton: Mapped[Decimal] = mapped_column(Money)
    retail_per_pack: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="active")
    replacement_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    is_brand_default: Mapped[bool] = mapped_column(Boolean, default=False)
    price_tier: Mapped[str] = mapped_column(String(8))
    stock_cartons: Mapped[int] = mapped_column(Integer, default=0)

    replacement: Mapped[Product | None] = relationship(remote_side="Product.id")
    aliases: Mapped[list[ProductAlias]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )
    quotas: Mapped[list[StarQuota]] = relationship(cascade="all, delete-orphan")


class ProductAlias(Base):
    """Another name retailers use for a product (硬芙, Furongwang hard)."""

    __tablename__ = "product_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    alias: Mapped[str] = mapped_column(String(64), unique=True)

    product: Mapped[Product] = relationship(back_populates="aliases")


class StarQuota(Base):
    """How many 条 of a limited product a retailer of a star level may order per week (控量)."""

    __tablename__ = "star_quotas"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    star_level: Mapped[int] = mapped_column(Integer, primary_key=True)
    max_cartons: Mapped[int] = mapped_column(Integer)


class Policy(Base):
    """A policy answer in both languages; staff import them, no retraining needed."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(32), index=True)
    title_zh: Mapped[str] = mapped_column(String(128))
    title_en: Mapped[str] = mapped_column(String(128))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    keywords_zh: Mapped[list[Any]] = mapped_column(JSON, default=list)
    keywords_en: Mapped[list[Any]] = mapped_column(JSON, default=list)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


class Contact(Base):
    """A company phone line (订货热线, complaint line) quoted in policy answers."""

    __tablename__ = "contacts"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
