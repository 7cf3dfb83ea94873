"""The fund pool (配套基金池) → programme (资金项目) → round (批次), and the amounts issuers pay, dated.

A pool, programme or round belongs to its issuer: ``district_code`` None is the city (湖州市本级: managed by city-wide
officers), a district code is that district's or county's money (managed by its officers). Programmes and rounds
copy their pool's ``district_code`` so that each row answers who manages it without a join.

A round also carries its ledger's running sums (``*_fen`` per entry kind): they are the fold of its
``ledger_entries`` (``domain.ledger.fold``), moved only by ``service.ledger.append_entries`` under the round's row
lock, so that the check "does this commitment fit?" and the write that follows it cannot be overtaken.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from services.funding.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class FundPool(Versioned, Base):
    """配套基金池: the money an issuer sets aside for the programme in a period."""

    __tablename__ = "fund_pools"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(100))  # e.g. "湖州市", "吴兴区"
    issuer_level: Mapped[str] = mapped_column(String(20))  # domain.programmes.IssuerLevel
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("budget_fen > 0", name="budget_positive"),)


class Programme(Versioned, Base):
    """资金项目: one instrument spending part of a pool, with a per-enterprise cap and eligibility rules as data."""

    __tablename__ = "programmes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fund_pools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    instrument: Mapped[str] = mapped_column(String(40), index=True)  # domain.programmes.Instrument
    mode: Mapped[str] = mapped_column(String(20))  # domain.programmes.AwardMode
    issuer: Mapped[str] = mapped_column(String(100))
    issuer_level: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)  # the pool's
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    per_enterprise_cap_fen: Mapped[int] = mapped_column(BigInteger)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    # [{"kind": "tier_held", "values": [...], "label": "...", "years": 1}, ...] (domain.eligibility.EligibilityRule)
    eligibility: Mapped[list[dict]] = mapped_column(JSON, default=list)  # type: ignore[type-arg]
    conflict_group: Mapped[str | None] = mapped_column(String(100))  # 从高不重复 (REFERENCE §13.4)
    source: Mapped[str | None] = mapped_column(Text)  # the policy text implemented
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("budget_fen > 0", name="budget_positive"),
        CheckConstraint("per_enterprise_cap_fen > 0 AND per_enterprise_cap_fen <= budget_fen", name="cap_within_budget"),
    )


class FundingRound(Versioned, Base):
    """批次: one call of a programme, and its ledger's running sums (module docstring)."""

    __tablename__ = "fund_rounds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)  # the pool's
    per_enterprise_cap_fen: Mapped[int | None] = mapped_column(BigInteger)  # None: the programme's cap
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    eligibility: Mapped[list[dict]] = mapped_column(JSON, default=list)  # type: ignore[type-arg]  # beyond the programme's
    # The one round that pays the public share of accepted challenges' bounties (揭榜挂帅, consumers.py).
    pays_challenge_bounties: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The ledger's sums (domain.ledger.Balance); the round's budget is ``allocated_fen``.
    allocated_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    committed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    disbursed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    released_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    clawed_back_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    voucher_issued_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    voucher_redeemed_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        # The invariant, once more in the database: reserved + paid never exceeds the budget.
        CheckConstraint("committed_fen + voucher_issued_fen - released_fen <= allocated_fen", name="within_budget"),
        Index("uq_fund_rounds_pays_challenge_bounties", "pays_challenge_bounties", unique=True,
              sqlite_where=text("pays_challenge_bounties"), postgresql_where=text("pays_challenge_bounties"),
              info={"conflict": ("pays_challenge_bounties", "another round already pays the challenge bounties")}),
    )


class DatedAmount(Base):
    """One amount an issuer pays for one item, from a date (REFERENCE §13: "store them as dated, per-issuer data,
    never as constants"; ``domain.programmes.DatedAmount``). A new year's figure is a new row, never an edit."""

    __tablename__ = "dated_amounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    issuer: Mapped[str] = mapped_column(String(100))
    item: Mapped[str] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_until: Mapped[date | None] = mapped_column(Date)
    ceiling: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(1), default="U")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("uq_dated_amounts_issuer", "issuer", "item", "effective_from", unique=True,
              info={"conflict": ("effective_from", "the issuer already has an amount for this item from that date")}),
    )
