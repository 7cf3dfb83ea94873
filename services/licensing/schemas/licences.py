"""Licence API models: negotiated grants (transfer, exclusive, sole, ordinary), the open licence obtained by notice +
payment, trials (先用后转) and their conversion, payments, termination."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.licensing.domain.licences import NEGOTIATED
from services.licensing.domain.trials import ConversionMode
from services.licensing.schemas.common import Reference, TerritoryIn
from shared.types import USCC, Date, Fen, Text


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PaymentIn(_Body):
    amount_fen: Fen
    paid_on: Date
    reference: Reference | None = Field(None, description="the bank transfer's reference")


class GrantCreate(_Body):
    """A licence or transfer the holder grants by contract; it holds from ``term_start``."""

    kind: Literal[tuple(k.value for k in NEGOTIATED)]  # type: ignore[valid-type]
    licensee_uscc: USCC
    territory: TerritoryIn = ["CN"]
    term_start: Date
    term_end: Date | None = None
    fee_fen: Fen | None = Field(None, description="the agreed fee or price")
    contract_no: Reference | None = None


class NoticeCreate(_Body):
    """书面通知 (art. 51): a firm tells the holder it will exploit the patent under the open licence; with the payment
    (if already made) the licence takes effect at once."""

    licensee_uscc: USCC | None = Field(None, description="an enterprise's own token decides it")
    notice_on: Date
    payment: PaymentIn | None = None


class TrialCreate(_Body):
    """先用后转: the free trial and the conversion agreed up front."""

    licensee_uscc: USCC
    conversion_mode: Literal[tuple(ConversionMode)]  # type: ignore[valid-type]
    trial_start: Date
    trial_end: Date
    price_fen: Fen | None = None
    price_formula: Annotated[Text, Field(min_length=1, max_length=2000)] | None = None
    insurance_policy_no: Reference | None = None
    territory: TerritoryIn = ["CN"]
    contract_no: Reference | None = None


class ConversionCreate(_Body):
    """有偿转化: the payment that converts the trial, on or before its last day."""

    amount_fen: Fen
    paid_on: Date
    reference: Reference | None = None
    contract_no: Reference | None = None


class PaymentCreate(PaymentIn):
    kind: Literal["upfront", "royalty"] = "upfront"
    period_start: Date | None = None
    period_end: Date | None = None
    basis_fen: Fen | None = Field(None, description="a royalty's basis for its period (net sales or profit)")


class Termination(_Body):
    terminated_on: Date
    reason: Annotated[Text, Field(min_length=1, max_length=2000)]


class PaymentRead(BaseModel):
    id: uuid.UUID
    licence_id: uuid.UUID
    kind: str
    amount_fen: int
    paid_on: date
    reference: str | None
    period_start: date | None
    period_end: date | None
    basis_fen: int | None
    recorded_by: str
    created_at: datetime
    licence_status: str = Field(description="the licence's status after this payment (an open licence takes effect "
                                            "once notice and payment both hold)")
    licence_effective_on: date | None


class LicenceRead(BaseModel):
    id: uuid.UUID
    patent_id: uuid.UUID
    institute_id: str
    licensee_uscc: str
    kind: str
    status: str
    territory: list[str]
    term_start: date
    term_end: date | None
    contract_no: str | None
    declaration_id: uuid.UUID | None
    fee_fen: int | None
    due_fen: int
    paid_fen: int
    notice_on: date | None
    effective_on: date | None
    conversion_mode: str | None
    price_fen: int | None
    price_formula: str | None
    insurance_policy_no: str | None
    reminded_on: date | None
    converted_on: date | None
    lapsed_on: date | None
    terminated_on: date | None
    termination_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class InstalmentRead(BaseModel):
    due_on: date
    kind: str
    amount_fen: int | None
    rate: str | None
    period_start: date | None
    period_end: date | None
    status: str = Field(description="paid, outstanding (due and not paid) or upcoming")
    paid_fen: int
