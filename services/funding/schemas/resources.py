"""Innovation-resource API models (创新要素供给池 catalogue): ResourceCreate / ResourceUpdate / ResourceRead, the
availability calendar as given (concrete windows, weekly opening hours over a date range, closures) and the
withdrawal. What a price, a window or a calendar must be is the domain's (``domain.resources``); these types refuse
what no rule could read."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.funding.domain.resources import PriceUnit, ProviderClass, ResourceKind
from shared.ids import validate_district
from shared.types import Date, Fen, Line, Moment, Name, Text, integer_between

Kind = Literal[tuple(ResourceKind)]  # type: ignore[valid-type]
Unit = Literal[tuple(PriceUnit)]  # type: ignore[valid-type]
ProviderKind = Literal[tuple(ProviderClass)]  # type: ignore[valid-type]
ResourceStatus = Literal["listed", "withdrawn"]
DistrictCode = Annotated[str, Field(examples=["330502"], description="GB/T 2260 code of a Huzhou district or county"),
                         AfterValidator(validate_district)]
LongText = Annotated[Text, Field(max_length=20000)]
LeadTime = integer_between(0, 24 * 90, description="hours")
Weekday = integer_between(0, 6, description="0 = Monday … 6 = Sunday")

# A year of weekly hours expands to a few hundred windows; these bound what one request may ask to store.
MAX_WINDOWS = 2000
MAX_CALENDAR_DAYS = 400


class WindowIn(BaseModel):
    """``[start, end)``: a time with its offset (``2026-12-07T08:30:00+08:00``)."""

    model_config = ConfigDict(extra="forbid")

    start: Moment
    end: Moment


class OpeningHoursIn(BaseModel):
    """Open on ``weekday`` from ``opens`` to ``closes``, civil time in Huzhou (Asia/Shanghai)."""

    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    opens: time = Field(examples=["08:30"])
    closes: time = Field(examples=["17:00"])


class WeeklyIn(BaseModel):
    """Weekly opening hours from ``first_day`` to ``last_day`` (inclusive), expanded into windows."""

    model_config = ConfigDict(extra="forbid")

    hours: Annotated[list[OpeningHoursIn], Field(min_length=1, max_length=50)]
    first_day: Date
    last_day: Date


class AvailabilityIn(BaseModel):
    """开放时间: concrete ``windows`` and/or ``weekly`` hours, less ``closures`` (maintenance, holidays). Touching and
    overlapping windows are merged: a booking may run across two adjacent windows, not across a gap."""

    model_config = ConfigDict(extra="forbid")

    windows: Annotated[list[WindowIn], Field(max_length=MAX_WINDOWS)] = []
    weekly: WeeklyIn | None = None
    closures: Annotated[list[WindowIn], Field(max_length=500)] = []


class ProviderIn(BaseModel):
    """The organisation that opens the resource, and the account that manages the listing: an institute's
    (``institute_id``), a park operator's platform (``platform_id``), or neither (an officer of the district)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[Name, Field(max_length=200)] = Field(examples=["湖州师范学院"])
    provider_class: ProviderKind
    institute_id: Annotated[Line, Field(min_length=1, max_length=100)] | None = None
    platform_id: uuid.UUID | None = None


class ResourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind
    name: Annotated[Name, Field(max_length=200)] = Field(examples=["场发射扫描电子显微镜"])
    description: LongText = ""
    provider: ProviderIn
    district_code: DistrictCode
    location: Annotated[Line, Field(min_length=1, max_length=300)] = Field(examples=["湖州市吴兴区二环东路759号"])
    unit: Unit
    unit_price_fen: Fen
    availability: AvailabilityIn
    terms: LongText = ""
    lead_time_hours: LeadTime | None = Field(None, description="how many hours ahead a booking must start (提前预约); "
                                                              "absent: the service's default, 24")


class ResourceUpdate(BaseModel):
    """A partial update: only the fields sent change. The owner (institute, platform) does not change; the calendar,
    when sent, replaces the old one whole."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[Name, Field(max_length=200)] | None = None
    description: LongText | None = None
    provider_name: Annotated[Name, Field(max_length=200)] | None = None
    provider_class: ProviderKind | None = None
    district_code: DistrictCode | None = None
    location: Annotated[Line, Field(min_length=1, max_length=300)] | None = None
    unit: Unit | None = None
    unit_price_fen: Fen | None = None
    availability: AvailabilityIn | None = None
    terms: LongText | None = None
    lead_time_hours: LeadTime | None = Field(None, description="null: back to the service's default")


class ResourceWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Annotated[Text, Field(min_length=1, max_length=2000)]


class WindowRead(BaseModel):
    start: datetime
    end: datetime


class ProviderRead(BaseModel):
    name: str
    provider_class: str
    institute_id: str | None
    platform_id: uuid.UUID | None


class ResourceRead(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    description: str
    provider: ProviderRead
    district_code: str
    location: str
    unit: str
    unit_price_fen: int
    availability: list[WindowRead] = Field(description="merged half-open windows [start, end), in UTC")
    opening_hours: dict | None = Field(description="the weekly hours the windows were expanded from, as given")  # type: ignore[type-arg]
    terms: str
    lead_time_hours: int | None = Field(description="as the provider set it; null: the service's default")
    status: str
    withdrawal_reason: str | None
    withdrawn_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class BusySlot(BaseModel):
    """A slot a live booking holds (who holds it is not shown)."""

    start: datetime
    end: datetime
