"""Tier evaluations (评价) and certifications (认定): what the engine concluded, and the tiers a firm holds.

An evaluation is immutable once written: it keeps the exact inputs it saw and its full result, so that it can be
explained years later. A re-run writes a new evaluation that names the one it re-ran.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class Evaluation(Base):
    """One run of a tier's rule set on an enterprise's stored figures, IP and honours."""

    __tablename__ = "evaluations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(40))
    rule_set_id: Mapped[str] = mapped_column(String(80))
    purpose: Mapped[str] = mapped_column(String(20))  # application | re_review (复核)
    # The version a re-review asked for; None = the one in force on evaluation_date.
    requested_version: Mapped[str | None] = mapped_column(String(80))
    evaluation_date: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20), index=True)  # eligible | not_eligible | needs_review
    total_score: Mapped[int | None] = mapped_column(Integer)
    score_min: Mapped[int | None] = mapped_column(Integer)
    score_max: Mapped[int | None] = mapped_column(Integer)
    direct_route: Mapped[str | None] = mapped_column(String(80))
    # What the caller asked with, kept so that a re-run asks the same question: expert judgements and options.
    judgements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tech_sme_rd_option: Mapped[str | None] = mapped_column(String(20))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.plain.to_plain(EvaluationInputs)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.plain.to_plain(EvaluationResult)
    # SHA-256 of the question (inputs, date, version, purpose, options): a re-run whose digest is unchanged would
    # repeat this evaluation word for word, so it is skipped without running the engine.
    inputs_digest: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(20))  # request | rerun | bulk
    rerun_of: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_evaluations_enterprise_id_tier_created_at", "enterprise_id", "tier", "created_at"),)


class Certification(Versioned, Base):
    """A held tier (认定): an officer confirmed an evaluation into a certificate with a validity period.

    Status: active → expired (valid_until passed) | revoked (撤销) | superseded (renewed by a later certificate).
    """

    __tablename__ = "certifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(40))
    # The evaluation confirmed; None for a certificate issued outside the registry and recorded here (the
    # override_reason then says who issued it), e.g. a 专精特新 status granted before the programme began.
    evaluation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("evaluations.id"), index=True)
    certificate_no: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)  # inclusive
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Set when an officer confirmed a needs_review evaluation: why the open points were judged met.
    override_reason: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    ended_on: Mapped[date | None] = mapped_column(Date)  # expired, revoked or superseded on
    end_reason: Mapped[str | None] = mapped_column(Text)
    certified_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_certifications_enterprise_id_tier", "enterprise_id", "tier"),
        Index("ix_certifications_status_valid_until", "status", "valid_until"),
        # One active certification per firm and tier, and one certificate number per tier, whatever requests
        # race: the database decides, and the unit of work answers the loser 409 with these words.
        Index("uq_certifications_active_tier", "enterprise_id", "tier", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'"),
              info={"conflict": ("tier", "the enterprise's certification of this tier was changed by another request "
                                         "at the same moment; read its certifications and retry")}),
        UniqueConstraint("tier", "certificate_no", name="uq_certifications_tier_certificate_no",
                         info={"conflict": ("certificate_no", "this certificate number is already recorded for "
                                                              "the tier")}),
    )
