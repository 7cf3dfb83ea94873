"""Matching's copy of the published scenarios (产业链场景应用清单), from ``seedbed.scenarios.scenario`` events."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.matching.models.base import Base
from shared.db import UTCDateTime, utcnow


class ScenarioRecord(Base):
    """A scenario as the list shows it: what matching indexes (no contact: personal data never travels)."""

    __tablename__ = "scenarios"

    scenario_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    publisher_kind: Mapped[str] = mapped_column(String(20))
    publisher_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    publisher_department: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(40))
    cluster: Mapped[str | None] = mapped_column(String(60))
    industry_chain: Mapped[str | None] = mapped_column(String(200))
    capability_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    deliverable: Mapped[str | None] = mapped_column(Text)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    functional_zone: Mapped[str | None] = mapped_column(String(40))
    budget_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    budget_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    deadline: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))
    # The firm that ran the trial (from scenario.closed): with a successful outcome, a deal of that firm's.
    supplier_uscc: Mapped[str | None] = mapped_column(String(18))
    # The scenarios service's record version: a replayed older event must not undo a newer one.
    source_version: Mapped[int] = mapped_column(Integer, default=0)
    source_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
