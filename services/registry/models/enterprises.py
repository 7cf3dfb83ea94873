"""Enterprise records (企业): the programme's book of record."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class Enterprise(Versioned, Base):
    """A firm in the programme, identified by its USCC (统一社会信用代码)."""

    __tablename__ = "enterprises"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    uscc: Mapped[str] = mapped_column(String(18), unique=True, info={
        "conflict": ("uscc", "an enterprise with this USCC is already registered")})
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(100))
    # Personal data: masked for roles that do not need it (see services.registry.service.enterprises).
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    established_on: Mapped[date | None] = mapped_column(Date)
    # GB/T 2260 code of the registration authority, read from USCC positions 3–8 (may be outside Huzhou).
    registration_division_code: Mapped[str] = mapped_column(String(6))
    # GB/T 2260 code of the Huzhou district or county that manages the firm.
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    # A functional zone is not a division (REFERENCE §8.1): 南太湖新区 firms carry a district code as well.
    functional_zone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(400))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    industry_code: Mapped[str | None] = mapped_column(String(5))
    sector: Mapped[str | None] = mapped_column(String(40), index=True)
    cluster: Mapped[str | None] = mapped_column(String(60), index=True)
    main_products: Mapped[str | None] = mapped_column(Text)
    product_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    technical_capabilities: Mapped[str | None] = mapped_column(Text)
    capability_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set and cleared only by tenancy (service/platforms.py), so that a record and the park's tenants agree.
    platform_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("platforms.id"), index=True)
    # Derived state kept on the record for filtering; owned by the figures and pools use cases.
    size_class: Mapped[str | None] = mapped_column(String(10), index=True)
    pool: Mapped[str | None] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_enterprises_name", "name"),
        Index("ix_enterprises_created_at_id", "created_at", "id"),
    )
