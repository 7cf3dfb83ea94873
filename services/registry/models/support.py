"""Support a firm received from the fund pool (配套基金池), as funding reported it (``fund.disbursed`` /
``fund.clawed_back``): one row per ledger movement, keyed by funding's ledger entry key so that a movement is
recorded once whatever the redeliveries."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base
from shared.db import UTCDateTime, new_id, utcnow


class SupportReceived(Base):
    """One movement of public money to (``disbursed``) or back from (``clawed_back``) a firm."""

    __tablename__ = "support_received"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enterprises.id"), index=True)
    entry_key: Mapped[str] = mapped_column(String(200), unique=True)  # funding's ledger entry key
    kind: Mapped[str] = mapped_column(String(20))  # disbursed | clawed_back
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    programme_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    programme_name: Mapped[str] = mapped_column(String(200))
    instrument: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(100))
    project_title: Mapped[str] = mapped_column(String(200))
    moved_on: Mapped[date] = mapped_column(Date)
    source_event_id: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("kind IN ('disbursed', 'clawed_back')", name="kind_known"),
    )
