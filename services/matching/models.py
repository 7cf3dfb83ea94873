"""Matching ORM rows: read models kept from other services' events (never their tables)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String, Text, Uuid
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
    short_name: Mapped[str | None] = mapped_column(String(100))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    functional_zone: Mapped[str | None] = mapped_column(String(40))
    industry_code: Mapped[str | None] = mapped_column(String(5))
    sector: Mapped[str | None] = mapped_column(String(40))
    cluster: Mapped[str | None] = mapped_column(String(60))
    established_on: Mapped[date | None] = mapped_column(Date)
    main_products: Mapped[str | None] = mapped_column(Text)
    product_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    technical_capabilities: Mapped[str | None] = mapped_column(Text)
    capability_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    platform_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    size_class: Mapped[str | None] = mapped_column(String(10))
    pool: Mapped[str | None] = mapped_column(String(20))
    held_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The registry record version this row reflects: a replayed older profile event must not undo a newer one.
    registry_version: Mapped[int] = mapped_column(Integer, default=0)
    source_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
