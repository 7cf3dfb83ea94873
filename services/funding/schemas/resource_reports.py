"""Usage and voucher reports of the innovation-resource pool, per provider, district (the firm's) or sector (the
firm's), or per resource kind / round, over a span of civil dates (Asia/Shanghai)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

UsageDimension = Literal["provider", "district", "sector", "kind"]
VoucherDimension = Literal["provider", "district", "sector", "round"]
ReportFormat = Literal["json", "xlsx"]


class UsageRow(BaseModel):
    key: str | None = Field(description="the provider's name, the district code, the sector or the resource kind; "
                                        "null: not known (a firm funding has no profile of)")
    label: str
    bookings: int = Field(description="live bookings (booked or delivered) starting in the span")
    delivered: int
    cancelled: int
    hours: int = Field(description="booked time of the live bookings, in whole hours (rounded down)")
    fee_fen: int = Field(description="fees of the live bookings")
    voucher_paid_fen: int = Field(description="what vouchers paid of those fees")
    firms: int = Field(description="distinct firms with a live booking")


class UsageReport(BaseModel):
    by: str
    first_day: date | None
    last_day: date | None
    rows: list[UsageRow]
    total: UsageRow


class VoucherRow(BaseModel):
    key: str | None
    label: str
    vouchers_issued: int = Field(description="vouchers issued in the span (none per provider: a voucher names none)")
    issued_fen: int
    released_fen: int = Field(description="returned to the rounds by revocation or expiry, of those vouchers")
    redemptions: int = Field(description="redemptions for services delivered in the span")
    redeemed_fen: int
    firms: int = Field(description="distinct firms whose vouchers were redeemed")


class RedemptionLine(BaseModel):
    """One redemption in the span, with the provider's evidence of delivery (the detail an audit asks for)."""

    service_date: date
    voucher_id: uuid.UUID
    booking_id: uuid.UUID
    enterprise_uscc: str
    provider_name: str
    resource_kind: str
    amount_fen: int
    evidence: str


class VoucherReport(BaseModel):
    by: str
    first_day: date | None
    last_day: date | None
    rows: list[VoucherRow]
    total: VoucherRow
    redemptions: list[RedemptionLine] = Field(description="each redemption counted, oldest service first")
