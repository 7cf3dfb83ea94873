"""Matching's copy of the patents listed for licensing, from ``seedbed.licensing.patent`` events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.matching.models.base import Base
from shared.db import UTCDateTime, utcnow


class PatentRecord(Base):
    """A university's or institute's patent: what it covers, and whether it is listed (挂牌) now."""

    __tablename__ = "patents"

    patent_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    patent_number: Mapped[str] = mapped_column(String(40))
    patent_type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    abstract: Mapped[str] = mapped_column(Text)
    ipc_classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    holder_institute_id: Mapped[str] = mapped_column(String(100))
    holder_name: Mapped[str] = mapped_column(String(200))
    legal_status: Mapped[str] = mapped_column(String(40))
    modes_offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    open_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version: Mapped[int] = mapped_column(Integer, default=0)
    source_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
