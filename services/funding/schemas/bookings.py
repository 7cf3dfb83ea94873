"""Booking API models: a firm books one resource for ``[starts_at, ends_at)``; the provider delivers it, or the firm,
the provider or an officer cancels it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.funding.domain.resources import BookingAction, BookingStatus
from shared.types import USCC, Moment, Text, integer_between

Quantity = integer_between(1, 100_000, description="items, for a resource priced per item; 1 otherwise")
Status = Literal[tuple(BookingStatus)]  # type: ignore[valid-type]
Action = Literal[tuple(BookingAction)]  # type: ignore[valid-type]


class BookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    starts_at: Moment = Field(examples=["2026-12-08T09:00:00+08:00"])
    ends_at: Moment = Field(examples=["2026-12-08T11:00:00+08:00"])
    quantity: Quantity = 1
    purpose: Annotated[Text, Field(max_length=2000)] = ""
    voucher_ids: Annotated[list[uuid.UUID], Field(max_length=10, description="the firm's own vouchers the provider "
                                                                               "may redeem for this booking")] = []
    enterprise_uscc: USCC | None = Field(None, description="an admin books for a firm; a firm books for itself")


class BookingTransition(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: Action
    reason: Annotated[Text, Field(max_length=2000)] | None = None


class BookingRead(BaseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    resource_kind: str
    provider_name: str
    district_code: str
    enterprise_uscc: str
    starts_at: datetime
    ends_at: datetime
    quantity: int
    fee_fen: int
    voucher_ids: list[uuid.UUID]
    vouchers_paid_fen: int = Field(description="what vouchers have paid of the fee so far")
    status: str
    purpose: str
    cancellation_reason: str | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
