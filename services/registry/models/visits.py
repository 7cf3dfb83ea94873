"""Guidance visits (跟踪辅导) and the follow-ups they leave."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base
from shared.db import UTCDateTime, new_id, utcnow


class GuidanceVisit(Base):
    """An officer's visit to an enterprise (跟踪辅导走访): topics discussed, problems raised, follow-ups agreed."""

    __tablename__ = "guidance_visits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"))
    visited_on: Mapped[date] = mapped_column(Date)
    # The visiting officer's identity (the token subject): follow-ups are listed per officer by it.
    officer: Mapped[str] = mapped_column(String(200), index=True)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    problems_raised: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    # For officers only: never shown to the enterprise visited.
    internal_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_guidance_visits_enterprise_id", "enterprise_id", "visited_on"),)


class VisitFollowUp(Base):
    """Something a visit left to do (跟进事项): who does it, by when, and whether it is done."""

    __tablename__ = "visit_follow_ups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("guidance_visits.id", ondelete="CASCADE"), index=True)
    # Order within the visit, as the officer listed them.
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    # Who must act: a person, a department (区经信局) or the enterprise itself; free text on purpose.
    owner: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # The open list is read by status in due order (overdue first).
    __table_args__ = (Index("ix_visit_follow_ups_status", "status", "due_on"),)
