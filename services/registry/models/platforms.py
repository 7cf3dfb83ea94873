"""Platforms (播种平台), their tenancies (入驻/毕业) and the yearly flagship lists (旗舰园区名单)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, validates

from services.registry.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow
from shared.types import NAME_KEY_MAX_LENGTH, name_key


class Platform(Versioned, Base):
    """A park, incubator or other space that houses programme firms (播种平台)."""

    __tablename__ = "platforms"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    platform_type: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Unique: a second registration of the same park is a mistake, reported as 409 with the existing record. Compared
    # as shared.types.name_key, kept with every change of the name (below): full-width letters, letter case, spaces
    # and zero-width characters do not make another name.
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_MAX_LENGTH), unique=True,
                                          info={"conflict": ("name", "a platform of this name is already registered")})
    operator_name: Mapped[str] = mapped_column(String(200))
    operator_uscc: Mapped[str] = mapped_column(String(18), index=True)
    address: Mapped[str] = mapped_column(String(400))
    # WGS84 (what GeoJSON requires), not the GCJ-02 that Chinese web maps display: clients convert for display.
    longitude: Mapped[float] = mapped_column(Float)
    latitude: Mapped[float] = mapped_column(Float)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    functional_zone: Mapped[str | None] = mapped_column(String(40))
    # "4210" cluster codes (shared.classification.CLUSTERS) the platform is positioned for.
    positioning: Mapped[list[str]] = mapped_column(JSON, default=list)
    floor_area_m2: Mapped[int | None] = mapped_column(Integer)
    # How many tenant firms the platform can house; occupancy is counted from tenancies (see ``occupied``).
    capacity: Mapped[int] = mapped_column(Integer)
    services_offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)

    @validates("name")
    def _keep_name_key(self, _: str, name: str) -> str:
        self.name_key = name_key(name)
        return name


class PlatformTenancy(Base):
    """One stay of an enterprise in a platform: entry (入驻) and, once over, graduation (毕业) or leaving (迁出)."""

    __tablename__ = "platform_tenancies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    platform_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("platforms.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("enterprises.id", ondelete="CASCADE"))
    entered_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    exit_kind: Mapped[str | None] = mapped_column(String(20))  # graduated | left
    exit_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # A firm sits in one platform at a time (enterprises.platform_id is a single column): at most one current
        # tenancy per enterprise, enforced by the database against concurrent entries.
        Index("ix_platform_tenancies_enterprise_id", "enterprise_id", unique=True,
              postgresql_where=text("left_on IS NULL"), sqlite_where=text("left_on IS NULL"),
              info={"conflict": ("enterprise_id", "the enterprise just entered another platform")}),
        CheckConstraint("left_on IS NULL OR left_on >= entered_on", name="left_after_entry"),
    )


# Occupancy is derived, never stored: a counter beside the tenancies could drift from them. It is loaded with the
# platform; a flush of the platform row does not change it (expire_on_flush=False, so that reading it after an
# update needs no lazy load), and the tenancy use cases refresh it after adding or ending a tenancy.
Platform.occupied = column_property(  # type: ignore[attr-defined]
    select(func.count(PlatformTenancy.id))
    .where(PlatformTenancy.platform_id == Platform.id, PlatformTenancy.left_on.is_(None))
    .correlate_except(PlatformTenancy)
    .scalar_subquery(),
    expire_on_flush=False,
)


class FlagshipListing(Base):
    """A platform's place on one year's flagship list (旗舰园区名单)."""

    __tablename__ = "platform_flagship_listings"

    year: Mapped[int] = mapped_column(Integer)
    platform_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("platforms.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    listed_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        PrimaryKeyConstraint("year", "platform_id",
                             info={"conflict": ("platform_id", "the platform is already on that year's flagship list")}),
    )
