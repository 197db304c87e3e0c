"""E-settlement accounts, bank-reported balances and retailers' deposit claims."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from retail.models.base import Base, Money, UTCDateTime


class SettlementAccount(Base):
    """The bank-linked account (电子结算账户) the weekly order is deducted from."""

    __tablename__ = "settlement_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), unique=True)
    bank: Mapped[str] = mapped_column(String(64))
    account_masked: Mapped[str] = mapped_column(String(32))


class BalanceSnapshot(Base):
    """A balance as the bank reported it at a moment; ``snapshot_key`` makes feeds idempotent."""

    __tablename__ = "balance_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("settlement_accounts.id"), index=True)
    balance: Mapped[Decimal] = mapped_column(Money)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feed: Mapped[str] = mapped_column(String(32))
    snapshot_key: Mapped[str] = mapped_column(String(128), unique=True)


class DepositClaim(Base):
    """A retailer saying they deposited money: a claim for the manager to see, not a balance.

    ``offer_key`` names the offer the retailer confirmed (the button's reference): unique per
    shop, so a double tap or a replayed tap records one claim, not two.
    """

    __tablename__ = "deposit_claims"
    __table_args__ = (UniqueConstraint("retailer_id", "offer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retailer_id: Mapped[int] = mapped_column(ForeignKey("retailers.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(String(512))
    offer_key: Mapped[str | None] = mapped_column(String(64))


class FeedToken(Base):
    """A secret that lets one bank feed post balances; only its SHA-256 is stored.

    A feed may hold several live tokens so a bank can rotate without downtime.
    """

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed: Mapped[str] = mapped_column(String(32), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
