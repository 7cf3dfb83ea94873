"""What an enterprise reports and holds, the evaluation engine's raw material: annual figures (年报), IP holdings
(知识产权), honours and qualifications (荣誉资质) and its compliance declarations (合规声明).

Money is integer fen (分); ratios are Decimal fractions, never floats. ``None`` always means "not supplied": the
engine reports such gaps as missing inputs instead of guessing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class AnnualFigures(Versioned, Base):
    """One enterprise's figures for one financial year (年报)."""

    __tablename__ = "annual_figures"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    employees: Mapped[int | None] = mapped_column(Integer)
    rd_staff: Mapped[int | None] = mapped_column(Integer)
    # 科技人员 (HNTE / 科技型 definitions) may differ from R&D staff.
    tech_staff: Mapped[int | None] = mapped_column(Integer)
    operating_revenue_fen: Mapped[int | None] = mapped_column(BigInteger)
    main_business_revenue_fen: Mapped[int | None] = mapped_column(BigInteger)
    # 总收入 (营业收入 + 营业外收入 …): the HNTE high-tech revenue share's denominator.
    total_income_fen: Mapped[int | None] = mapped_column(BigInteger)
    rd_expense_fen: Mapped[int | None] = mapped_column(BigInteger)
    rd_expense_domestic_fen: Mapped[int | None] = mapped_column(BigInteger)
    total_cost_expense_fen: Mapped[int | None] = mapped_column(BigInteger)
    total_assets_fen: Mapped[int | None] = mapped_column(BigInteger)
    total_liabilities_fen: Mapped[int | None] = mapped_column(BigInteger)
    net_profit_fen: Mapped[int | None] = mapped_column(BigInteger)
    high_tech_product_revenue_fen: Mapped[int | None] = mapped_column(BigInteger)
    # New equity financing paid in by qualified institutional investors during the year.
    equity_financing_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Share of the main product's national market segment, as a fraction (0.12 = 12%).
    market_share: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    # 国内细分市场排名 of the main product (1 = first): the 2026 小巨人 "domestic top 3" route.
    domestic_market_rank: Mapped[int | None] = mapped_column(Integer)
    # Digital maturity level (数字化水平 1–4, per the SRDI 2022 indicator).
    digital_maturity_level: Mapped[int | None] = mapped_column(Integer)
    # 科技成果转化数 in the year (HNTE 科技成果转化能力).
    tech_results_converted: Mapped[int | None] = mapped_column(Integer)
    # Warnings accepted with the figures (e.g. R&D expense above revenue): kept so an officer can follow up.
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    source: Mapped[str] = mapped_column(String(20), default="api")  # api | import

    __table_args__ = (UniqueConstraint("enterprise_id", "year", name="uq_annual_figures_enterprise_id_year", info={
        "conflict": ("year", "figures for this year were just reported by someone else; read them and retry")}),)


class IpHolding(Versioned, Base):
    """One piece of intellectual property (知识产权). Its class (Ⅰ类/Ⅱ类, REFERENCE §1.1) is decided per rule set
    from these facts, so it is derived, never stored."""

    __tablename__ = "ip_holdings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Patent number (normalised to 专利号 ZL…), registration number …: names the holding in explanations.
    reference: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(300))
    acquisition: Mapped[str | None] = mapped_column(String(20))  # self_developed | transferred_in | gifted | merger
    acquired_on: Mapped[date | None] = mapped_column(Date)  # transfer registered to this firm
    granted_on: Mapped[date | None] = mapped_column(Date)
    high_value: Mapped[bool | None] = mapped_column(Boolean)
    related_to_main_product: Mapped[bool | None] = mapped_column(Boolean)
    in_force: Mapped[bool] = mapped_column(Boolean, default=True)
    rights_holder_rank: Mapped[int | None] = mapped_column(Integer)
    applied_with_economic_benefit: Mapped[bool | None] = mapped_column(Boolean)
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("enterprise_id", "reference", name="uq_ip_holdings_enterprise_id_reference"),
        Index("ix_ip_holdings_enterprise_id_created_at", "enterprise_id", "created_at"),
    )


# An honour's verification (核实): a firm's own entry is declared until an officer verifies or rejects it.
DECLARED, VERIFIED, REJECTED = "declared", "verified", "rejected"


class Honour(Versioned, Base):
    """An honour or qualification (荣誉资质) with its validity. One table for every kind, because the engine reads
    them together; ``kind`` says which of the nullable attributes apply (see schemas.figures.HONOUR_FIELDS)."""

    __tablename__ = "honours"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    certification_kind: Mapped[str | None] = mapped_column(String(60))  # kind=certification: hnte, ip_advantage…
    name: Mapped[str | None] = mapped_column(String(300))
    number: Mapped[str | None] = mapped_column(String(100))  # certificate number, standard code, trademark number
    level: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(60))  # science award category
    rank: Mapped[int | None] = mapped_column(Integer)  # 获奖单位排名
    role: Mapped[str | None] = mapped_column(String(20))  # standard: lead | participant
    year: Mapped[int | None] = mapped_column(Integer)
    national_top: Mapped[int | None] = mapped_column(Integer)  # 创客中国: 500 or 50
    stage: Mapped[str | None] = mapped_column(String(40))  # digital ladder: digital_workshop | smart_factory | future_factory
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # 专精特新发展评价得分, imported, never recomputed
    recognised: Mapped[bool | None] = mapped_column(Boolean)  # R&D institution 经认定
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # inclusive
    evidence: Mapped[str | None] = mapped_column(Text)
    # Accepted-with-a-warning findings (e.g. an HNTE number outside the observed GR format, REFERENCE §3 [U]).
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 核实: what a firm declares about itself counts in statistics and evaluations only once an officer of its
    # district has verified it (declared → verified | rejected); an officer's or admin's own entry is verified at
    # once. Who decided, when, and why (a rejection's reason). The database default is the state that counts for
    # nothing, so that a row written without a decision fails closed.
    verification: Mapped[str] = mapped_column(String(20), server_default=DECLARED)
    verified_by: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EnterpriseDeclarations(Versioned, Base):
    """The enterprise's compliance declarations (合规声明) that every tier's general conditions read: residence,
    product catalogue, abnormal-operation and dishonesty lists, incidents, and since when it serves its niche."""

    __tablename__ = "enterprise_declarations"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    resident_in_mainland: Mapped[bool | None] = mapped_column(Boolean)
    products_in_prohibited_category: Mapped[bool | None] = mapped_column(Boolean)
    on_abnormal_operation_list: Mapped[bool | None] = mapped_column(Boolean)
    on_serious_dishonesty_list: Mapped[bool | None] = mapped_column(Boolean)
    niche_market_since: Mapped[date | None] = mapped_column(Date)
    # None = not declared; [] = declares none. Items: {kind, occurred_on, description}.
    incidents: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
