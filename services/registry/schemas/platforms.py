"""Platform API models (播种平台): PlatformCreate / PlatformUpdate / PlatformRead, tenancies, flagship listings and
the investment-attraction map (招商地图) as GeoJSON (RFC 7946)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.registry.domain.platforms import EXIT_KINDS, PLATFORM_TYPES
from services.registry.schemas.enterprises import Cluster, DistrictCode, FunctionalZone, Tags
from shared.types import USCC, Date, Line, Name, Text, Year, integer_between, number_between

PlatformType = Literal["incubator", "science_park", "micro_park", "talent_park", "maker_space", "startup_base"]
assert set(PlatformType.__args__) == set(PLATFORM_TYPES)  # type: ignore[attr-defined]
ExitKind = Literal["graduated", "left"]
assert set(ExitKind.__args__) == set(EXIT_KINDS)  # type: ignore[attr-defined]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Positioning = Annotated[list[Cluster], Field(max_length=16, description='"4210" cluster codes the platform targets'),
                        AfterValidator(_unique)]
# WGS84, as GeoJSON requires (RFC 7946 §4); GCJ-02 or BD-09 coordinates from Chinese web maps must be converted first.
Longitude = number_between(-180, 180, description="WGS84 longitude in degrees", examples=[120.0865])
Latitude = number_between(-90, 90, description="WGS84 latitude in degrees", examples=[30.8672])
# A platform's name is unique as its name_key (models.platforms): 湖州科技城孵化器 and ＨＺ-湖州科技城孵化器 with a
# zero-width space are one name.
OrganisationName = Annotated[Name, Field(min_length=1, max_length=200)]
Address = Annotated[Line, Field(min_length=1, max_length=400)]
FloorArea = integer_between(0, 100_000_000, description="floor area in m²")
Capacity = integer_between(0, 100_000, description="how many tenant firms the platform can house")


class PlatformCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    platform_type: PlatformType
    name: OrganisationName = Field(examples=["湖州科技城创新孵化器"])
    operator_name: OrganisationName = Field(examples=["湖州科创园运营管理有限公司"])
    operator_uscc: USCC
    address: Address = Field(examples=["湖州市吴兴区西山漾路 1 号"])
    longitude: Longitude
    latitude: Latitude
    district_code: DistrictCode
    functional_zone: FunctionalZone | None = None
    positioning: Positioning = []
    floor_area_m2: FloorArea | None = None
    capacity: Capacity
    services_offered: Tags = []


class PlatformUpdate(BaseModel):
    """A partial update: only the fields sent change; ``null`` clears an optional field. Occupancy follows tenancies
    and flagship status follows the yearly lists: neither is set here."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    platform_type: PlatformType | None = None
    name: OrganisationName | None = None
    operator_name: OrganisationName | None = None
    operator_uscc: USCC | None = None
    address: Address | None = None
    longitude: Longitude | None = None
    latitude: Latitude | None = None
    district_code: DistrictCode | None = None
    functional_zone: FunctionalZone | None = None
    positioning: Positioning | None = None
    floor_area_m2: FloorArea | None = None
    capacity: Capacity | None = None
    services_offered: Tags | None = None


# Fields that may be changed but not cleared once set.
REQUIRED_FIELDS = frozenset({"platform_type", "name", "operator_name", "operator_uscc", "address", "longitude",
                             "latitude", "district_code", "positioning", "capacity", "services_offered"})
# What a park operator may not change on its own platform: the district decides which officers oversee it.
OFFICER_ONLY_FIELDS = frozenset({"district_code"})


class PlatformRead(BaseModel):
    id: uuid.UUID
    platform_type: str
    name: str
    operator_name: str
    operator_uscc: str
    address: str
    longitude: float
    latitude: float
    district_code: str
    district_name: str
    functional_zone: str | None
    positioning: list[str]
    floor_area_m2: int | None
    capacity: int
    occupied: int = Field(description="current tenants (counted from tenancies)")
    vacancy: int = Field(description="capacity minus current tenants")
    services_offered: list[str]
    flagship: bool = Field(description="on this year's flagship list")
    flagship_years: list[int]
    created_at: datetime
    updated_at: datetime
    version: int


PlatformSort = Literal["name", "-name", "created_at", "-created_at"]


# --- tenancies ----------------------------------------------------------------------------------------------------

class TenancyCreate(BaseModel):
    """An enterprise enters the platform (入驻). Name it by its registry id or by its USCC (exactly one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    enterprise_id: uuid.UUID | None = None
    uscc: USCC | None = None
    entered_on: Date

    @model_validator(mode="after")
    def _exactly_one_enterprise(self):  # type: ignore[no-untyped-def]
        if (self.enterprise_id is None) == (self.uscc is None):
            raise ValueError("name the enterprise by enterprise_id or by uscc, not both and not neither")
        return self


class TenancyExit(BaseModel):
    """The tenancy ends: graduation (毕业) or leaving (迁出)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    left_on: Date
    kind: ExitKind
    reason: Text = Field(min_length=1, max_length=2000, examples=["营收超过 2000 万元，迁入自有厂房"])


class TenancyRead(BaseModel):
    id: uuid.UUID
    platform_id: uuid.UUID
    enterprise_id: uuid.UUID
    enterprise_uscc: str
    enterprise_name: str
    entered_on: date
    left_on: date | None
    exit_kind: str | None
    exit_reason: str | None
    current: bool


TenancyStatus = Literal["current", "former", "all"]


# --- flagship lists -----------------------------------------------------------------------------------------------

class FlagshipListingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year: Year
    platform_id: uuid.UUID
    note: Text | None = Field(default=None, max_length=2000)


class FlagshipListingRead(BaseModel):
    year: int
    platform_id: uuid.UUID
    name: str
    platform_type: str
    district_code: str
    note: str | None
    listed_at: datetime
    listed_by: str


# --- the investment-attraction map (招商地图), GeoJSON (RFC 7946) ----------------------------------------------------

class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude], WGS84 (RFC 7946 §3.1.1)")


class MapFeatureProperties(BaseModel):
    name: str
    type: str
    district: str = Field(description="GB/T 2260 district code")
    district_name: str
    functional_zone: str | None
    address: str
    positioning: list[str]
    capacity: int
    occupied: int
    vacancy: int
    flagship: bool


class MapFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: MapFeatureProperties


class MapFeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[MapFeature]
