"""Feedback on matches: one current mark per (marker, demand, firm) (domain/feedback.py says how it ranks)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.matching.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class MatchFeedback(Versioned, Base):
    """A marker's current mark on a match (a demand and a firm): useful, not useful, contacted or deal."""

    __tablename__ = "match_feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    demand_kind: Mapped[str] = mapped_column(String(20))
    demand_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    # Who marked: the token's subject (an officer) or the enterprise's USCC; kept here, never sent in events.
    marker: Mapped[str] = mapped_column(String(200))
    marker_role: Mapped[str] = mapped_column(String(20))
    relation: Mapped[str] = mapped_column(String(20))
    mark: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    __table_args__ = (
        UniqueConstraint("marker", "demand_kind", "demand_id", "uscc", name="uq_match_feedback_marker_match",
                         info={"conflict": ("mark", "this marker has already marked this match")}),
    )
