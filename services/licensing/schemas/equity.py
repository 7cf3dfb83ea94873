"""Equity contribution API models (作价入股)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.licensing.domain.equity import PricingMethod, ValuationMethod
from services.licensing.schemas.common import Reference, Share
from shared.types import USCC, Date, Fen


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContributionCreate(_Body):
    valuation_method: Literal[tuple(ValuationMethod)]  # type: ignore[valid-type]
    appraisal_report_no: Reference
    appraisal_amount_fen: Fen
    target_uscc: USCC = Field(description="the company, as the registry knows it")
    share_ratio: Share = Field(description="the shares the contribution buys, as a fraction (≤ 1)")
    pricing_method: Literal[tuple(PricingMethod)]  # type: ignore[valid-type]
    publicity_start: Date | None = None
    publicity_end: Date | None = None
    inventors_share: Share = Field(description="the inventor team's part of the equity (default minimum 0.5)")
    reward_agreement_ref: Reference | None = Field(None, description="the agreement that sets a lower inventors' "
                                                                     "share")
    trial_licence_id: uuid.UUID | None = Field(None, description="the converted trial this contribution completes")


class Registration(_Body):
    registration_no: Reference
    registered_on: Date


class ContributionRead(BaseModel):
    id: uuid.UUID
    patent_id: uuid.UUID
    institute_id: str
    target_uscc: str
    valuation_method: str
    appraisal_report_no: str
    appraisal_amount_fen: int
    share_ratio: Decimal
    pricing_method: str
    publicity_start: date | None
    publicity_end: date | None
    inventors_share: Decimal
    inventors_equity_fen: int
    reward_agreement_ref: str | None
    trial_licence_id: uuid.UUID | None
    status: str
    registration_no: str | None
    registered_on: date | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
