"""Expressions of interest (意向): a firm tells a scenario's publisher it can answer the need."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, new_id, utcnow


class ScenarioInterest(Base):
    """One firm's interest in one scenario: one row per firm and scenario (the key makes a repeat a no-op)."""

    __tablename__ = "scenario_interests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    scenario_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scenarios.id"))
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    # What the firm offers (能力说明), in its own words; no personal data is asked for.
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("scenario_id", "enterprise_uscc", info={"conflict": (
            "enterprise_uscc", "this enterprise already expressed interest in this scenario")}),
    )
