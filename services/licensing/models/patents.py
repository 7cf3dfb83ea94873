"""Patents (专利) of universities and institutes, and their open-licence declarations (开放许可声明)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.licensing.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class Patent(Versioned, Base):
    """One patent of a holder institution: its facts, its standing (legal, pledge, fees, co-owners' consent) and
    how it is offered. Every grant on it takes this row's lock first, so that two grants are checked one after the
    other (domain.licences.check_grant)."""

    __tablename__ = "patents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    institute_id: Mapped[str] = mapped_column(String(100), index=True)  # the holder's account (token institute_id)
    holder_name: Mapped[str] = mapped_column(String(200))
    application_number: Mapped[str] = mapped_column(String(20), unique=True, info={
        "conflict": ("application_number", "a patent with this application number is already entered")})
    patent_type: Mapped[str] = mapped_column(String(20))
    publication_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(300))
    abstract: Mapped[str] = mapped_column(Text)
    ipc_classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    inventors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{name, consented, consented_on}]: every co-owner, the holder among them.
    patentees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    legal_status: Mapped[str] = mapped_column(String(20))
    filed_on: Mapped[date | None] = mapped_column(Date)
    granted_on: Mapped[date | None] = mapped_column(Date)
    pledge_status: Mapped[str] = mapped_column(String(20), default="none")
    pledgee: Mapped[str | None] = mapped_column(String(200))
    pledgee_consented: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_status: Mapped[str] = mapped_column(String(20), default="paid")
    modes_offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    listing: Mapped[str] = mapped_column(String(20), default="unlisted", index=True)  # unlisted | listed | delisted
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Assigned away (a transfer, a converted trial, a registered equity contribution): to whom.
    transferred_to_uscc: Mapped[str | None] = mapped_column(String(18))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OpenLicenceDeclaration(Versioned, Base):
    """开放许可声明 (art. 50): the royalty's mode and standard and the term; one in force per patent at a time
    (checked under the patent's lock)."""

    __tablename__ = "open_licence_declarations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    institute_id: Mapped[str] = mapped_column(String(100), index=True)
    royalty_mode: Mapped[str] = mapped_column(String(30))
    lump_sum_fen: Mapped[int | None] = mapped_column(BigInteger)
    entry_fee_fen: Mapped[int | None] = mapped_column(BigInteger)
    royalty_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    royalty_basis: Mapped[str | None] = mapped_column(String(20))
    standard: Mapped[str] = mapped_column(Text)
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    evaluation_report_no: Mapped[str | None] = mapped_column(String(100))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
