"""Matching's copy of the challenges (揭榜挂帅), from ``seedbed.scenarios.challenge`` events."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.matching.models.base import Base
from shared.db import UTCDateTime, utcnow


class ChallengeRecord(Base):
    """A challenge as published: the problem, its indicators, who may apply, and the teams appointed to it (the
    programme's own outcome: an appointment counts as a deal in the feedback signal)."""

    __tablename__ = "challenges"

    challenge_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    background: Mapped[str] = mapped_column(Text)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))
    issuer_kind: Mapped[str] = mapped_column(String(20))
    issuer_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    issuer_department: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(40))
    cluster: Mapped[str | None] = mapped_column(String(60))
    industry_chain: Mapped[str | None] = mapped_column(String(200))
    capability_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    application_deadline: Mapped[date] = mapped_column(Date)
    # USCCs of the appointed teams' leads and partners (挂帅).
    appointed_usccs: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_version: Mapped[int] = mapped_column(Integer, default=0)
    source_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
