"""Pools API models (种苗库 / 培育库): pool changes and history, entry assessments and criteria versions, quotas and
annual screenings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.registry.domain.pools import Pool
from shared.ids import validate_district
from shared.types import FEN_LIMIT, INT32_MAX, YEAR_MAX, Date, Fen, Line, Text, integer_between

ProgrammeYear = integer_between(2000, YEAR_MAX, examples=[2026])
Quota = integer_between(0, 100_000)
Fraction = Annotated[Decimal, Field(ge=0, le=1, description="a fraction: 0.05 = 5 %")]


def _district_keys(quotas: dict[str, int]) -> dict[str, int]:
    return {validate_district(code): n for code, n in quotas.items()}


# --- pool changes ------------------------------------------------------------------------------------------------


class PoolChangeCreate(BaseModel):
    """Move a firm: ``to_pool`` null takes it out of both pools. ``basis: rule`` applies the seedling-pool entry
    criteria (only for entering the seedling pool); ``basis: decision`` is an officer's decision and needs a
    reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    to_pool: Pool | None = Field(examples=["seedling_pool"])
    basis: Literal["rule", "decision"] = "decision"
    reason: Text | None = Field(default=None, max_length=2000, examples=["主导产品填补省内空白，专家组建议入库"])
    year: ProgrammeYear | None = Field(default=None, description="programme year of the change; default: this year")
    valuation_fen: Fen | None = Field(default=None, description="latest valuation, for the 好苗子 financing test")
    criteria_version: Line | None = Field(default=None, max_length=60,
                                         description="entry-criteria version; default: the one in force today")


class PoolChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    from_pool: str | None
    to_pool: str | None
    move: str
    year: int
    basis: str
    category: str | None
    reason: str
    criteria_version: str | None
    screening_run_id: uuid.UUID | None
    actor: str
    actor_role: str
    changed_at: datetime


class CheckRead(BaseModel):
    category: str
    criterion: str
    requirement: str
    actual: str | None
    met: bool | None
    missing: list[str]


class EntryAssessmentRead(BaseModel):
    """The seedling-pool entry rule applied to a firm's latest figures."""

    criteria_version: str
    outcome: Literal["eligible", "not_eligible", "needs_review"]
    categories: list[str]
    figures_year: int | None
    checks: list[CheckRead]
    missing: list[str]
    summary: str


class PoolChangeResult(PoolChangeRead):
    assessment: EntryAssessmentRead | None = None


# --- entry criteria ----------------------------------------------------------------------------------------------


class SeedCriteriaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_age_years: integer_between(1, 50)
    max_employees: integer_between(1, INT32_MAX)
    max_operating_revenue_fen: Fen | None
    min_rd_intensity: Fraction


class GoodSeedlingCriteriaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_rd_staff_share: Fraction
    min_rd_intensity: Fraction
    max_financing_fen: Fen
    max_valuation_fen: Fen


class EntryCriteriaBody(BaseModel):
    """A version of the seedling-pool entry rule; it applies from ``effective_from`` on."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$", examples=["huzhou-2026"])
    effective_from: Date
    seed: SeedCriteriaBody | None
    good_seedling: GoodSeedlingCriteriaBody | None
    source: Text = Field(default="", max_length=500)
    confidence: Literal["V", "C", "M", "U"] = "C"


class EntryCriteriaRead(EntryCriteriaBody):
    built_in: bool
    in_force: bool


# --- quotas ------------------------------------------------------------------------------------------------------


class QuotasBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quotas: Annotated[dict[str, Quota], AfterValidator(_district_keys)] = Field(
        description="seedlings each district may promote to 培育库: {district code: number}",
        examples=[{"330502": 20, "330503": 12}],
    )


class QuotasRead(BaseModel):
    year: int
    quotas: dict[str, int]
    screened: bool


# --- screenings --------------------------------------------------------------------------------------------------


class WeightsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rd_intensity: Decimal = Field(ge=0, le=100)
    revenue_growth: Decimal = Field(ge=0, le=100)
    ip_growth: Decimal = Field(ge=0, le=100)
    financing: Decimal = Field(ge=0, le=100)


class CapsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rd_intensity: Decimal = Field(gt=0, le=10)
    revenue_growth: Decimal = Field(gt=0, le=1000)
    ip_growth: integer_between(1, 10_000)
    financing_fen: integer_between(1, FEN_LIMIT, description="amount in fen (分)")


class ScreeningCreate(BaseModel):
    """Run a year's screening. Quotas given here replace that year's stored quotas; weights and caps default to
    the documented ones (services.registry.domain.pools)."""

    model_config = ConfigDict(extra="forbid")

    year: ProgrammeYear
    figures_year: ProgrammeYear | None = Field(default=None, description="financial year scored; default: year − 1")
    quotas: Annotated[dict[str, Quota], AfterValidator(_district_keys)] | None = None
    weights: WeightsBody | None = None
    caps: CapsBody | None = None


class DistrictScreeningRead(BaseModel):
    district_code: str
    quota: int
    ranked: int
    promoted: int


class ScreeningRead(BaseModel):
    id: uuid.UUID
    year: int
    figures_year: int
    parameters: dict[str, Any]
    candidates: int
    ranked: int
    promoted: int
    districts: list[DistrictScreeningRead]
    actor: str
    started_at: datetime
    finished_at: datetime | None
    already_run: bool | None = Field(default=None, description="in the answer to a run request: true when the year "
                                     "had been screened before, so nothing was changed")


class ScreeningResultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: uuid.UUID
    uscc: str
    name: str
    district_code: str
    rank: int
    score: Decimal
    measures: dict[str, Any]
    promoted: bool
