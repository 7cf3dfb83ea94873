"""Applications to a challenge (揭榜申报) and the milestones of the teams appointed (挂帅)."""

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
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class ChallengeApplication(Versioned, Base):
    """One enterprise's application to one challenge, alone or leading a consortium; its status
    (domain.applications.ApplicationStatus), the structured reason when it is not chosen, and its award when it is."""

    __tablename__ = "challenge_applications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id"), index=True)
    # The challenge's district, copied: officers of that district read and decide the applications.
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    lead_uscc: Mapped[str] = mapped_column(String(18), index=True)
    lead_name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    technical_route: Mapped[str] = mapped_column(Text)
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    requested_fen: Mapped[int] = mapped_column(BigInteger)
    # [{uscc, name, role, responsibility}] (domain Partner)
    partners: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{name, role, organisation_uscc, title}] (domain TeamMember). Personal data: masked for other readers.
    team: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    commitment_signed: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Why it was turned away (domain DeclineCode and its sentence), by whom and when.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_text: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When appointed (挂帅): its part of the bounty, and the reason for passing over a higher-ranked application.
    award_fen: Mapped[int | None] = mapped_column(BigInteger)
    appointed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_reason: Mapped[str | None] = mapped_column(Text)
    # The acceptance (验收) of an appointed team: passed or failed.
    acceptance: Mapped[str | None] = mapped_column(String(20))
    submitted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("challenge_id", "lead_uscc", name="one_application_per_lead",
                         info={"conflict": ("lead_uscc", "this enterprise has already applied to this challenge")}),
    )


class Milestone(Versioned, Base):
    """One milestone of an appointed team's plan (里程碑考核): when it is due, the indicators it assesses, its
    tranche of the team's award, and its decision (domain.challenges.MilestoneStatus)."""

    __tablename__ = "challenge_milestones"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenge_applications.id"), index=True)
    district_code: Mapped[str] = mapped_column(String(6))
    lead_uscc: Mapped[str] = mapped_column(String(18), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    tranche_share: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    tranche_fen: Mapped[int] = mapped_column(BigInteger)
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("application_id", "seq", name="one_milestone_per_seq",
                         info={"conflict": ("seq", "this team already has a milestone with this number")}),
    )
