"""Programme statistics API models (see services.registry.service.statistics for what each number means)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

Share = Decimal | None  # a 4-decimal fraction (0.1234 = 12.34 %); null when the whole is 0

Dimension = Literal["tier", "pool", "district", "sector", "size_class"]


class ProgressYear(BaseModel):
    year: int
    registered: int = Field(description="firms registered in the year (Asia/Shanghai)")
    cumulative: int
    share_of_target: Share


class ProgressRead(BaseModel):
    """Progress toward the programme's firm target (播种计划: more than 3,000 firms, 2025–2027)."""

    target: int
    first_year: int
    last_year: int
    registered: int
    share_of_target: Share
    remaining: int
    years: list[ProgressYear]


class CountGroup(BaseModel):
    key: str | None = Field(description="the dimension's value; null counts the firms without one")
    count: int


class CountsRead(BaseModel):
    by: Dimension
    total: int = Field(description="firms in the caller's scope")
    groups: list[CountGroup]


class FunnelStage(BaseModel):
    stage: str
    tiers: list[str] = Field(description="tiers that place a firm at this stage")
    reached: int = Field(description="firms holding this stage's tier or a higher stage's")
    holding: int = Field(description="firms holding this stage's tier itself")
    share_of_previous: Share
    share_of_registered: Share


class HnteRead(BaseModel):
    holding: int
    share_of_registered: Share


class FunnelRead(BaseModel):
    registered: int
    stages: list[FunnelStage]
    hnte: HnteRead


class DigitalStage(BaseModel):
    stage: Literal["digital_workshop", "smart_factory", "future_factory"]
    highest: int = Field(description="above-scale firms whose highest digital-ladder stage is this one")
    at_least: int = Field(description="above-scale firms at this stage or higher")
    coverage: Share


class DigitalCoverageRead(BaseModel):
    year: int | None = Field(description="the financial year used; null when no figures are reported yet")
    min_revenue_fen: int
    industry_doors: list[str]
    above_scale: int
    covered: int = Field(description="above-scale firms on any digital-ladder stage")
    coverage: Share
    stages: list[DigitalStage]
