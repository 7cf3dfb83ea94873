"""Yearly list editions (清单 published in numbered batches, 第N批): each a snapshot of a list as it stood when an
officer published it. The rows are written once and never updated: a later change to a scenario or a park shows in
the next edition, and in its differences from this one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.scenarios.models.base import Base
from shared.db import UTCDateTime, new_id, utcnow


class ListEdition(Base):
    __tablename__ = "list_editions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # domain.editions.ListKind
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # 第N批 of the year, from 1, without gaps
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # The entries as they stood (domain.editions: one dict per entry, with its "id"), and how they differ from the
    # edition before (added, removed, changed), both fixed at publication.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    item_count: Mapped[int] = mapped_column(Integer)
    differences: Mapped[dict[str, Any]] = mapped_column(JSON)
    previous_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "year", "number", info={"conflict": (
            "number", "an edition with this number was already published for this list and year")}),
        CheckConstraint("number >= 1", name="number_positive"),
    )
