"""Invitations (邀约): a firm matching recommended for a scenario or a challenge, invited to answer it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class Invitation(Versioned, Base):
    """One firm invited to one demand (a scenario or a challenge, by ``demand_kind`` and ``demand_id``), with the
    reasons matching gave, and the firm's answer (domain.invitations). One row per demand and firm: a
    recommendation received again records nothing new."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    demand_kind: Mapped[str] = mapped_column(String(20))
    # A scenario's or a challenge's id (UUIDs: the two never collide); no foreign key, it names either table.
    demand_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    title: Mapped[str] = mapped_column(String(200))  # the demand's, as the firm's list shows it
    # The demand's district: the officers who work the demand see its invitations.
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Matching's reasons (match.recommended): its score, the words and tags that matched, each signal's share.
    score: Mapped[float] = mapped_column(Float)
    matched_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    matched_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    contributions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recommended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_event_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    # The answer: a decline's code and words; an accepted scenario invitation's interest (意向) row.
    decline_code: Mapped[str | None] = mapped_column(String(40))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    interest_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scenario_interests.id"))
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("demand_id", "enterprise_uscc", info={"conflict": (
            "enterprise_uscc", "this firm is already invited to this demand")}),
        CheckConstraint("(status = 'declined') = (decline_code IS NOT NULL)", name="declined_with_a_code"),
    )
