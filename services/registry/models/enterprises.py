"""Registry ORM rows. Relations are ``lazy="raise"``: every query states what it loads."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.bus.tables import bus_tables
from shared.db import UTCDateTime, new_id, new_metadata, utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()


bus = bus_tables(Base.metadata)


class Enterprise(Base):
    """A firm in the programme (企业), identified by its USCC (统一社会信用代码)."""

    __tablename__ = "enterprises"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # GB/T 2260 code of the Huzhou district or county the firm is managed in.
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(5))
    established_on: Mapped[date | None] = mapped_column(Date)
    main_products: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic concurrency: the ETag of the record; bumped by every update.
    version: Mapped[int] = mapped_column(Integer, default=1)
