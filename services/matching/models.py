"""Matching ORM rows: read models kept from other services' events (never their tables)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.bus.tables import bus_tables
from shared.db import UTCDateTime, new_metadata, utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()


bus = bus_tables(Base.metadata)


class EnterpriseProfile(Base):
    """What matching knows of an enterprise, from ``seedbed.registry.enterprise`` events."""

    __tablename__ = "enterprise_profiles"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(5))
    established_on: Mapped[date | None] = mapped_column(Date)
    main_products: Mapped[str | None] = mapped_column(Text)
    # The time of the registry event this row reflects: lets a handler ignore an older event arriving late.
    source_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
