"""What scenarios knows of the registry's platforms (播种平台: parks, incubators), from its platform events: enough
for the flagship-park list (旗舰园区名单) and its editions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, utcnow


class PlatformProfile(Base):
    __tablename__ = "platform_profiles"

    platform_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    platform_type: Mapped[str] = mapped_column(String(40))
    district_code: Mapped[str] = mapped_column(String(6))
    functional_zone: Mapped[str | None] = mapped_column(String(40))
    operator_name: Mapped[str | None] = mapped_column(String(200))
    # Every year the platform is on the flagship list (the registry's own record of it).
    flagship_years: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The registry record version this row reflects: a replayed older event must not undo a newer one.
    registry_version: Mapped[int] = mapped_column(Integer, default=0)
    source_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
