"""API models for tier evaluations (评价) and certifications (认定)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain.evaluation import Boundary, HnteTwoYearGrowth, Purpose
from services.registry.domain.figures import ExpertGrade, MainProductField2022, TechSmeRdOption, Tier
from shared.types import YEAR_MAX, Date, Line, Text, integer_between

EvaluableTier = Literal["tech_sme", "innovative_sme", "srdi_sme", "little_giant", "hnte"]
assert all(Tier(t) for t in EvaluableTier.__args__)  # type: ignore[attr-defined]


class ExpertInputs(BaseModel):
    """Judgements only an officer or an expert panel can make (domain.figures.ExpertJudgements). The engine never
    invents them: one that a rule needs and that is absent makes the outcome needs_review."""

    model_config = ConfigDict(extra="forbid")

    main_product_in_strategic_emerging_industry: bool | None = Field(
        default=None, description="创新型: 主导产品属于《战略性新兴产业分类》")
    main_product_field_2022: MainProductField2022 | None = Field(default=None, description="专精特新 2022 主导产品所属领域")
    local_feature_score: integer_between(0, 15) | None = Field(
        default=None, description="专精特新 2022 特色化 (0–15; Zhejiang's indicators unknown [U])")
    core_business_information_systems: bool | None = Field(default=None, description="小巨人 2022 核心业务信息系统支撑")
    industry_chain_key_link: bool | None = Field(default=None, description="小巨人 2022 产业链配套 补短板/锻长板/填空白")
    main_product_in_key_fields_2022: bool | None = Field(default=None, description="小巨人 2022 主导产品所属领域")
    main_product_in_key_fields_2026: bool | None = Field(default=None, description="小巨人 2026 六基 / 关键环节")
    market_position_recognised: bool | None = Field(default=None, description="专精特新 2026 细分市场占有率较为靠前")
    core_technology_in_supported_fields: bool | None = Field(
        default=None, description="HNTE 核心技术属于《国家重点支持的高新技术领域》")
    hnte_technology_advancement_grade: ExpertGrade | None = Field(default=None, description="HNTE 技术的先进程度 A–E")
    hnte_core_support_grade: ExpertGrade | None = Field(default=None, description="HNTE 核心支持作用 A–E")
    hnte_points: dict[Annotated[Line, Field(max_length=40)], integer_between(0, 30)] = Field(
        default_factory=dict, description="exact points an HNTE panel gave per sub-item code, within the engine's band")


class EvaluationOptionsIn(BaseModel):
    """The uncertain choices REFERENCE keeps configurable; defaults as the engine's."""

    model_config = ConfigDict(extra="forbid")

    boundary: Boundary = Field(default=Boundary.HIGHER, description="band taken by a value exactly on an ambiguous edge")
    hnte_two_year_growth: HnteTwoYearGrowth = HnteTwoYearGrowth.TWO_YEAR_RATIO
    srdi_2022_requires_innovative_status: bool = False
    latest_year: integer_between(1990, YEAR_MAX) | None = Field(
        default=None, description="the 上年度 whose figures are read; default: the year before evaluation_date")


class EvaluationCreate(BaseModel):
    """Run the tier's rule set on the enterprise's stored figures, IP, honours and declarations."""

    model_config = ConfigDict(extra="forbid")

    tier: EvaluableTier
    evaluation_date: Date | None = Field(default=None, description="default: today (Asia/Shanghai); picks the rule "
                                         "version in force unless rule_version is given")
    rule_version: Line | None = Field(default=None, max_length=80, examples=["miit-2022-63"],
                                     description="a re-review (复核) may ask for the version the certificate was "
                                     "issued under")
    purpose: Purpose = Field(default=Purpose.APPLICATION, description="application, or re_review (复核)")
    expert_inputs: ExpertInputs = Field(default_factory=ExpertInputs)
    tech_sme_rd_option: TechSmeRdOption | None = Field(
        default=None, description="科技型 研发投入 option the firm chose; default: the one that scores better")
    options: EvaluationOptionsIn = Field(default_factory=EvaluationOptionsIn)


class EvaluationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    tier: str
    rule_set_id: str
    purpose: str
    requested_version: str | None
    evaluation_date: date
    outcome: Literal["eligible", "not_eligible", "needs_review"]
    total_score: int | None
    score_min: int | None
    score_max: int | None
    direct_route: str | None
    trigger: str = Field(description="request, rerun (figures/IP/honours changed) or bulk (annual job)")
    rerun_of: uuid.UUID | None
    created_by: str
    created_at: datetime


class EvaluationRead(EvaluationSummary):
    """The whole evaluation: the result with every indicator, band, condition and missing input, and the exact
    inputs it was computed from, so that it can be explained later."""

    judgements: dict[str, Any]
    options: dict[str, Any]
    tech_sme_rd_option: str | None
    result: dict[str, Any]
    inputs: dict[str, Any]


HeldTier = Literal["tech_sme", "innovative_sme", "tech_innovative_sme", "srdi_sme", "little_giant", "hnte"]
assert all(Tier(t) for t in HeldTier.__args__)  # type: ignore[attr-defined]


class CertificationCreate(BaseModel):
    """Confirm an evaluation into a held tier (认定). An eligible evaluation is confirmed as is; a needs_review one
    only with ``override_reason`` (why the open points were judged met).

    A certificate issued outside the registry (before the programme, or a tier such as 科技和创新型 that has no
    rule set yet) is recorded without ``evaluation_id``: then ``tier`` and ``override_reason`` (who issued it, on
    what basis) are required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    evaluation_id: uuid.UUID | None = None
    tier: HeldTier | None = Field(default=None, description="only for a certificate recorded without an evaluation")
    certificate_no: Line = Field(min_length=1, max_length=100, examples=["GR202533001044"])
    valid_from: Date | None = Field(default=None, description="default: today (Asia/Shanghai)")
    valid_until: Date | None = Field(default=None, description="inclusive; default: valid_from + the tier's validity "
                                     "(3 years, REFERENCE §1.1/§3) − 1 day")
    override_reason: Text | None = Field(default=None, min_length=1, max_length=2000)


class RevocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=1, max_length=2000, description="why the tier is withdrawn (撤销)")


class CertificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    tier: str
    evaluation_id: uuid.UUID | None
    certificate_no: str
    valid_from: date
    valid_until: date
    status: Literal["active", "expired", "revoked", "superseded"]
    override_reason: str | None
    warnings: list[str]
    ended_on: date | None
    end_reason: str | None
    certified_by: str
    created_at: datetime
    updated_at: datetime
    version: int
