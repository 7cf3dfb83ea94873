"""Innovation-voucher API models (创新券): a voucher round's terms, issuing a voucher to a firm, a provider's
redemption for a delivered booking, a revocation. Shares are exact decimals ("0.30"), money strict integer fen."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.funding.domain.vouchers import VoucherStatus
from services.funding.schemas.common import Strict_
from services.funding.schemas.resources import Kind
from shared.types import USCC, Line, PositiveFen, Text, decimal_between, integer_between

SizeClass = Literal["large", "medium", "small", "micro"]
Status = Literal[tuple(VoucherStatus)]  # type: ignore[valid-type]
Share = decimal_between(0, 1, 4, description="a fraction of the fee, e.g. \"0.30\"")
OptionalFen = Annotated[PositiveFen | None, Field(None)]


class CoverageRuleIn(Strict_):
    """The share of a booking's fee vouchers may pay, for some resource kinds and size classes (empty: any); a fee
    below ``full_below_fen`` is paid in full (玉环: 1万); rules are tried in order, the more specific first."""

    share: Share
    resource_kinds: Annotated[list[Kind], Field(max_length=5)] = []
    size_classes: Annotated[list[SizeClass], Field(max_length=4)] = []
    full_below_fen: OptionalFen = None
    max_per_booking_fen: OptionalFen = None
    source: Annotated[Text, Field(max_length=500)] = ""


class VoucherTermsIn(Strict_):
    """A voucher round's terms (REFERENCE §12.6 ``VoucherScheme``): dated per-issuer data, never constants."""

    face_value_fen: PositiveFen = Field(examples=[2_000_000])
    per_enterprise_annual_cap_fen: PositiveFen = Field(examples=[10_000_000])
    validity_days: integer_between(1, 3660) = Field(examples=[365])  # type: ignore[valid-type]
    allowed_kinds: Annotated[list[Kind], Field(min_length=1, max_length=5)]
    coverage: Annotated[list[CoverageRuleIn], Field(min_length=1, max_length=20)]


class CoverageRuleRead(BaseModel):
    share: Decimal
    resource_kinds: list[str]
    size_classes: list[str]
    full_below_fen: int | None
    max_per_booking_fen: int | None
    source: str


class VoucherTermsRead(BaseModel):
    round_id: uuid.UUID
    programme_id: uuid.UUID
    face_value_fen: int
    per_enterprise_annual_cap_fen: int
    validity_days: int
    allowed_kinds: list[str]
    coverage: list[CoverageRuleRead]
    updated_by: str
    updated_at: datetime
    version: int


class VoucherIssue(Strict_):
    """发放: a voucher of the round's terms to one firm (``face_value_fen``: less than the terms' face value)."""

    round_id: uuid.UUID
    enterprise_uscc: USCC
    face_value_fen: OptionalFen = None


class VoucherRevocation(Strict_):
    note: Annotated[Text, Field(min_length=1, max_length=2000)]


class RedemptionCreate(Strict_):
    """兑付: the provider claims payment from one of the vouchers the firm named for this delivered booking;
    ``amount_fen`` absent: as much as the voucher may pay."""

    voucher_id: uuid.UUID
    amount_fen: OptionalFen = None
    evidence: Annotated[Line, Field(min_length=1, max_length=500)] = Field(
        description="the provider's evidence of delivery: a service report's number, an invoice, a contract "
                    "(REFERENCE §12.6)", examples=["检测报告 HZJC-2026-01234；发票 33002612345678"])


class RedemptionRead(BaseModel):
    id: uuid.UUID
    voucher_id: uuid.UUID
    booking_id: uuid.UUID
    resource_id: uuid.UUID
    resource_kind: str
    provider_name: str
    enterprise_uscc: str
    amount_fen: int
    fee_fen: int
    service_date: date
    evidence: str = Field(description="the provider's evidence of delivery (empty: redeemed before it was required)")
    voucher_remaining_fen: int | None = None
    redeemed_by: str
    created_at: datetime


class VoucherRead(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    round_id: uuid.UUID
    enterprise_id: uuid.UUID
    enterprise_uscc: str
    face_value_fen: int
    redeemed_fen: int
    released_fen: int
    remaining_fen: int
    issued_on: date
    expires_on: date
    allowed_kinds: list[str]
    coverage: list[CoverageRuleRead]
    status: str
    note: str
    issued_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    redemptions: list[RedemptionRead] | None = Field(None, description="on a single voucher's read")
