"""Innovation vouchers (创新券): the terms a voucher round issues them on, the vouchers, and their redemptions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.funding.models.base import Base
from shared.db import UTCDateTime, Versioned, new_id, utcnow


class VoucherTerms(Versioned, Base):
    """The voucher terms of one round of a voucher programme (domain.vouchers.VoucherTerms; REFERENCE §12.6
    ``VoucherScheme``): what each voucher carries, the firm's yearly cap, the validity, what it pays for and which
    share of a fee. Dated data an officer sets per round, never constants."""

    __tablename__ = "voucher_terms"

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fund_rounds.id"), primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    per_enterprise_annual_cap_fen: Mapped[int] = mapped_column(BigInteger)
    validity_days: Mapped[int] = mapped_column(Integer)
    allowed_kinds: Mapped[list[str]] = mapped_column(JSON)
    # [{share: "0.30", resource_kinds: [...], size_classes: [...], full_below_fen, max_per_booking_fen, source}]
    coverage: Mapped[list[dict]] = mapped_column(JSON)  # type: ignore[type-arg]
    updated_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("face_value_fen > 0", name="face_value_positive"),
        CheckConstraint("per_enterprise_annual_cap_fen > 0", name="cap_positive"),
        CheckConstraint("validity_days >= 1", name="validity_positive"),
    )


class Voucher(Versioned, Base):
    """One voucher of one firm. Its value is spent by redemptions (``redeemed_fen``) and returned to the round on
    expiry or revocation (``released_fen``); the database refuses a row whose spending passes its face value, a
    guard under the row lock every redemption takes."""

    __tablename__ = "vouchers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fund_rounds.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    # Where the firm was when the voucher was issued (the voucher reports count it there).
    enterprise_district_code: Mapped[str | None] = mapped_column(String(6), index=True)
    enterprise_sector: Mapped[str | None] = mapped_column(String(40))
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    redeemed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    released_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)  # inclusive
    # The round's terms as issued: later changes of the terms do not change a voucher already in a firm's hands.
    allowed_kinds: Mapped[list[str]] = mapped_column(JSON)
    coverage: Mapped[list[dict]] = mapped_column(JSON)  # type: ignore[type-arg]
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain VoucherStatus
    note: Mapped[str] = mapped_column(Text, default="")
    issued_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("face_value_fen > 0", name="face_value_positive"),
        CheckConstraint("redeemed_fen >= 0 AND released_fen >= 0", name="spent_not_negative"),
        CheckConstraint("redeemed_fen + released_fen <= face_value_fen", name="never_overspent"),
        CheckConstraint("issued_on <= expires_on", name="expires_after_issue"),
    )


class VoucherRedemption(Base):
    """One payment from a voucher for one delivered booking (兑付), claimed by the booking's provider."""

    __tablename__ = "voucher_redemptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    voucher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vouchers.id"), index=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resource_bookings.id"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    round_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    enterprise_uscc: Mapped[str] = mapped_column(String(18), index=True)
    enterprise_district_code: Mapped[str | None] = mapped_column(String(6))
    enterprise_sector: Mapped[str | None] = mapped_column(String(40))
    resource_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    resource_kind: Mapped[str] = mapped_column(String(20))
    provider_name: Mapped[str] = mapped_column(String(200))
    owner_institute_id: Mapped[str | None] = mapped_column(String(100), index=True)
    owner_platform_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)  # the resource's
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    service_date: Mapped[date] = mapped_column(Date)
    # The provider's evidence of delivery (a service report's number, an invoice, a contract reference: REFERENCE
    # §12.6); empty only on redemptions recorded before it was required (migration 0007).
    evidence: Mapped[str] = mapped_column(String(500), default="", server_default="")
    redeemed_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("voucher_id", "booking_id", name="uq_voucher_redemptions_voucher_booking",
                         info={"conflict": ("booking_id", "this booking was already paid with this voucher")}),
    )
