"""Enterprise API models: EnterpriseCreate / EnterpriseUpdate / EnterpriseRead, and the shared field validators."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.classification import CLUSTERS, SECTORS
from shared.ids import FUNCTIONAL_ZONES, validate_district
from shared.types import USCC, Date, Line, LineRules, Name, Text, has_visible_character, number_between

# GB/T 4754-2017: a door letter and up to four digits (e.g. C, C39, C398, C3981).
_INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")


def _industry_code(value: str) -> str:
    value = value.strip().upper()
    if not _INDUSTRY_CODE.match(value):
        raise ValueError("industry code must be a GB/T 4754-2017 code such as C3981")
    return value


def _one_of(vocabulary: dict[str, str] | object, what: str):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        if value not in vocabulary:  # type: ignore[operator]
            raise ValueError(f"unknown {what} {value!r}; one of: {', '.join(vocabulary)}")  # type: ignore[call-overload]
        return value

    return AfterValidator(check)


def _tags(values: list[str]) -> list[str]:
    # Tags are a set in meaning: trimmed, de-duplicated, order of first appearance kept; a tag that shows nothing
    # (blank, or zero-width characters only) is dropped like an empty one.
    seen: dict[str, None] = {}
    for v in values:
        v = v.strip()
        if has_visible_character(v):
            seen.setdefault(v, None)
    return list(seen)


# shared.ids raises InvalidIdentifier (a ValueError) whose message is the reason; pydantic reports it as is.
DistrictCode = Annotated[str, Field(examples=["330502"], description="GB/T 2260 code of a Huzhou district or county"),
                         AfterValidator(validate_district)]
IndustryCode = Annotated[str, Field(examples=["C3981"], description="GB/T 4754-2017 industry code"),
                         AfterValidator(_industry_code)]
Sector = Annotated[str, Field(description="四业: " + ", ".join(SECTORS)), _one_of(SECTORS, "sector")]
Cluster = Annotated[str, Field(description='"4210" cluster: ' + ", ".join(CLUSTERS)), _one_of(CLUSTERS, "cluster")]
FunctionalZone = Annotated[str, Field(description="functional zone: " + ", ".join(FUNCTIONAL_ZONES)),
                           _one_of(FUNCTIONAL_ZONES, "functional zone")]
Tags = Annotated[list[Annotated[Line, Field(max_length=40)]], Field(max_length=30), AfterValidator(_tags)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9\- ]{5,19}$", examples=["13857212345", "0572-2345678"])]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200), LineRules]


class _EnterpriseFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    short_name: Name | None = Field(default=None, max_length=100)
    legal_representative: Name | None = Field(default=None, max_length=100)
    contact_name: Name | None = Field(default=None, max_length=100)
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    established_on: Date | None = None
    functional_zone: FunctionalZone | None = None
    address: Line | None = Field(default=None, max_length=400)
    longitude: number_between(-180, 180) | None = None
    latitude: number_between(-90, 90) | None = None
    industry_code: IndustryCode | None = None
    sector: Sector | None = None
    cluster: Cluster | None = None
    main_products: Text | None = Field(default=None, max_length=4000)
    technical_capabilities: Text | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _established_not_in_future(self):  # type: ignore[no-untyped-def]
        if self.established_on and self.established_on > date.today():
            raise ValueError("established_on is in the future")
        return self


class EnterpriseCreate(_EnterpriseFields):
    uscc: USCC
    name: Name = Field(min_length=1, max_length=200, examples=["湖州示例智能装备有限公司"])
    district_code: DistrictCode
    product_tags: Tags = []
    capability_tags: Tags = []


class EnterpriseUpdate(_EnterpriseFields):
    """A partial update: only the fields sent change; ``null`` clears an optional field. The USCC never changes."""

    name: Name | None = Field(default=None, min_length=1, max_length=200)
    district_code: DistrictCode | None = None
    product_tags: Tags | None = None
    capability_tags: Tags | None = None


# What an enterprise may change in its own record; the rest is the officers' to keep.
SELF_SERVICE_FIELDS = frozenset({
    "short_name", "contact_name", "contact_phone", "contact_email", "address", "longitude", "latitude",
    "main_products", "product_tags", "technical_capabilities", "capability_tags",
})
# Fields that may not be cleared once set.
REQUIRED_FIELDS = frozenset({"name", "district_code", "product_tags", "capability_tags"})


class EnterpriseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    uscc: str
    name: str
    short_name: str | None
    legal_representative: str | None = Field(description="masked (张**) for roles that do not need it")
    contact_name: str | None
    contact_phone: str | None = Field(description="masked (138****5678) for roles that do not need it")
    contact_email: str | None
    personal_data_masked: bool = False
    established_on: date | None
    registration_division_code: str
    district_code: str
    functional_zone: str | None
    address: str | None
    longitude: float | None
    latitude: float | None
    industry_code: str | None
    sector: str | None
    cluster: str | None
    main_products: str | None
    product_tags: list[str]
    technical_capabilities: str | None
    capability_tags: list[str]
    platform_id: uuid.UUID | None = Field(description="the park the firm is a tenant of; set by tenancy (/v1/platforms)")
    size_class: str | None
    pool: str | None
    created_at: datetime
    updated_at: datetime
    version: int


EnterpriseSort = Literal["name", "-name", "created_at", "-created_at", "uscc", "-uscc"]


class AuditEntryRead(BaseModel):
    occurred_at: datetime
    actor: str
    actor_role: str
    action: str
    changes: dict[str, object]
    request_id: str | None
