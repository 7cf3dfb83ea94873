"""Licences and transfers of patents, and the payments made under them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.licensing.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class Licence(Versioned, Base):
    """One licence or transfer (domain.licences.LicenceKind) of a patent to a firm, in a territory for a term. An
    open licence (kind ``open``) takes effect when notice and payment both hold; a trial (``trial``, 先用后转) carries
    the conversion agreed up front."""

    __tablename__ = "licences"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    institute_id: Mapped[str] = mapped_column(String(100), index=True)  # the holder's, for its scope
    licensee_uscc: Mapped[str] = mapped_column(String(18), index=True)
    # The licensee's district as the enterprise read model had it at the grant: an officer's scope.
    licensee_district: Mapped[str | None] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    territory: Mapped[list[str]] = mapped_column(JSON, default=list)
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    contract_no: Mapped[str | None] = mapped_column(String(100))
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("open_licence_declarations.id"))
    fee_fen: Mapped[int | None] = mapped_column(BigInteger)  # the agreed fee or price (negotiated grants)
    due_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # what must be paid before the licence takes effect
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    notice_on: Mapped[date | None] = mapped_column(Date)  # open licence: the written notice (书面通知)
    effective_on: Mapped[date | None] = mapped_column(Date)
    # 先用后转
    conversion_mode: Mapped[str | None] = mapped_column(String(20))
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_formula: Mapped[str | None] = mapped_column(Text)
    insurance_policy_no: Mapped[str | None] = mapped_column(String(100))
    reminded_on: Mapped[date | None] = mapped_column(Date)
    converted_on: Mapped[date | None] = mapped_column(Date)
    lapsed_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Payment(Base):
    """A payment under a licence (up-front fee, running royalty, conversion price): never changed once recorded."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    licence_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("licences.id", ondelete="CASCADE"), index=True)
    institute_id: Mapped[str] = mapped_column(String(100), index=True)
    licensee_uscc: Mapped[str] = mapped_column(String(18))
    kind: Mapped[str] = mapped_column(String(20))  # upfront | royalty | conversion
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    reference: Mapped[str | None] = mapped_column(String(100))  # the bank transfer's reference
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    basis_fen: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
