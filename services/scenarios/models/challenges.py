"""Challenges (揭榜挂帅): one row per challenge (榜单), its terms, its stage, and how it ended."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class Challenge(Versioned, Base):
    """A challenge: the problem, its quantified indicators, the bounty and who pays it, who may apply, the IP
    terms, how many teams may be appointed (赛马), and its stage (domain.challenges.ChallengeStage)."""

    __tablename__ = "challenges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # The issuer (发榜方): a firm by its USCC, or a department by its name (domain.values.Publisher).
    issuer_kind: Mapped[str] = mapped_column(String(20))
    issuer_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    issuer_department: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    background: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(String(40), index=True)
    cluster: Mapped[str | None] = mapped_column(String(40))
    industry_chain: Mapped[str | None] = mapped_column(String(200))
    capability_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    # [{name, target (a decimal as text), unit, verification, comparison, method}] (domain TechnicalIndicator)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    bounty_total_fen: Mapped[int] = mapped_column(BigInteger)
    bounty_issuer_fen: Mapped[int] = mapped_column(BigInteger)
    bounty_public_fen: Mapped[int] = mapped_column(BigInteger)
    funding_class: Mapped[str] = mapped_column(String(40))
    duration_months: Mapped[int] = mapped_column(Integer)
    application_deadline: Mapped[date] = mapped_column(Date)
    ip_ownership: Mapped[str] = mapped_column(String(20))
    ip_note: Mapped[str | None] = mapped_column(Text)
    # {min_tier, also_accepted_tiers, areas, sectors, clusters, size_classes, pools} (domain Eligibility); absent
    # keys are no restriction.
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_teams: Mapped[int] = mapped_column(Integer)  # 1: a single winner; more: 赛马
    allow_consortium: Mapped[bool] = mapped_column(Boolean)
    # The expert review's criteria: [{key, name, weight, max_score, min_score}] (domain ReviewTemplate)
    review_criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # The reason the last step that needs one gave (returned to drafting, cancelled, failed acceptance).
    status_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("bounty_issuer_fen + bounty_public_fen = bounty_total_fen", name="bounty_split_adds_up"),
        CheckConstraint("(issuer_uscc IS NULL) <> (issuer_department IS NULL)", name="one_issuer"),
        CheckConstraint("max_teams >= 1", name="at_least_one_team"),
    )
