"""The innovation-resource catalogue (创新要素供给池): instruments, facilities, testing services, data sets and compute
opened to firms, one row per bookable unit (``domain.resources.Resource``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.funding.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class InnovationResource(Versioned, Base):
    """One bookable unit of the catalogue, its provider, price, calendar and terms.

    The provider is the organisation that opens it (an institute, a lab, a platform, a data or compute centre); who
    may manage the row is recorded as its owner: an institute account (``owner_institute_id``), a park operator's
    platform (``owner_platform_id``), or neither (listed by an officer of ``district_code``)."""

    __tablename__ = "innovation_resources"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # domain ResourceKind
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    provider_name: Mapped[str] = mapped_column(String(200), index=True)
    provider_class: Mapped[str] = mapped_column(String(30))  # domain ProviderClass
    owner_institute_id: Mapped[str | None] = mapped_column(String(100), index=True)
    owner_platform_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    location: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(10))  # domain PriceUnit
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    # The calendar as concrete half-open windows [[start, end], …] in UTC ISO text, merged and sorted; and the weekly
    # opening hours they were expanded from, when the provider gave them (shown back as given).
    availability: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    opening_hours: Mapped[dict | None] = mapped_column(JSON)  # type: ignore[type-arg]
    terms: Mapped[str] = mapped_column(Text, default="")
    # How many hours ahead a booking must start (the provider's 提前预约); None: the service's default
    # (settings.booking_lead_time_hours).
    lead_time_hours: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)  # listed / withdrawn
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("unit_price_fen >= 0", name="unit_price_not_negative"),
        CheckConstraint("owner_institute_id IS NULL OR owner_platform_id IS NULL", name="one_owner"),
    )
