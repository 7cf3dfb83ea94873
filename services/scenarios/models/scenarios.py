"""Scenarios (产业链场景应用清单 entries): one row per entry, its lifecycle state and its closing outcome."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class Scenario(Versioned, Base):
    """One scenario of the list: what the publisher needs, and how far it got (domain.scenarios.ScenarioStatus)."""

    __tablename__ = "scenarios"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # The publisher: a firm by its USCC, or a government department by its name (domain.values.Publisher).
    publisher_kind: Mapped[str] = mapped_column(String(20))
    publisher_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    publisher_department: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    industry_chain: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(40))
    sector: Mapped[str] = mapped_column(String(40), index=True)
    cluster: Mapped[str | None] = mapped_column(String(40))
    capability_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    deliverable: Mapped[str] = mapped_column(Text)
    budget_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    budget_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    functional_zone: Mapped[str | None] = mapped_column(String(40))
    deadline: Mapped[date] = mapped_column(Date)
    # Personal data: shown to those who work the case, masked for everyone else.
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Who answered the need: the firm that runs the trial (named when the pilot starts, from the firms that
    # expressed interest), and so the firm behind the closing outcome.
    supplier_uscc: Mapped[str | None] = mapped_column(String(18))
    outcome: Mapped[str | None] = mapped_column(String(20))
    closing_reason: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("budget_min_fen IS NULL OR budget_max_fen IS NULL OR budget_min_fen <= budget_max_fen",
                        name="budget_range_ordered"),
        CheckConstraint("(publisher_uscc IS NULL) <> (publisher_department IS NULL)", name="one_publisher"),
    )
