"""Registry API request and response models."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.ids import validate_district, validate_uscc

# GB/T 4754-2017: a door letter and up to four digits (e.g. C, C39, C398, C3981).
_INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")


def _industry_code(value: str) -> str:
    value = value.strip().upper()
    if not _INDUSTRY_CODE.match(value):
        raise ValueError("industry code must be a GB/T 4754-2017 code such as C3981")
    return value


def _reason(fn):  # type: ignore[no-untyped-def]
    # shared.ids raises InvalidIdentifier (a ValueError) whose message is the reason; pydantic reports it as is.
    return AfterValidator(fn)


USCC = Annotated[str, Field(min_length=1, max_length=40, examples=["91330100716105852F"]), _reason(validate_uscc)]
DistrictCode = Annotated[str, Field(examples=["330502"], description="GB/T 2260 code of a Huzhou district or county"),
                         _reason(validate_district)]
IndustryCode = Annotated[str, Field(examples=["C3981"]), _reason(_industry_code)]


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: USCC
    name: str = Field(min_length=1, max_length=200, examples=["湖州示例智能装备有限公司"])
    district_code: DistrictCode
    industry_code: IndustryCode | None = None
    established_on: date | None = None
    main_products: str | None = Field(default=None, max_length=4000)


class EnterpriseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    uscc: str
    name: str
    district_code: str
    industry_code: str | None
    established_on: date | None
    main_products: str | None
    created_at: datetime
    updated_at: datetime
    version: int
