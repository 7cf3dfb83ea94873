"""Equity contributions (作价入股) of patents to companies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.licensing.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class EquityContribution(Versioned, Base):
    __tablename__ = "equity_contributions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    institute_id: Mapped[str] = mapped_column(String(100), index=True)
    target_uscc: Mapped[str] = mapped_column(String(18), index=True)
    valuation_method: Mapped[str] = mapped_column(String(20))
    appraisal_report_no: Mapped[str] = mapped_column(String(100))
    appraisal_amount_fen: Mapped[int] = mapped_column(BigInteger)
    share_ratio: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    pricing_method: Mapped[str] = mapped_column(String(20))
    publicity_start: Mapped[date | None] = mapped_column(Date)
    publicity_end: Mapped[date | None] = mapped_column(Date)
    inventors_share: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    reward_agreement_ref: Mapped[str | None] = mapped_column(String(200))
    trial_licence_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("licences.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    registration_no: Mapped[str | None] = mapped_column(String(100))
    registered_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
