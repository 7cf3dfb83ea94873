"""API models for what an enterprise reports and holds: annual figures (年报), IP holdings (知识产权), honours and
qualifications (荣誉资质) and compliance declarations (合规声明). Money is integer fen (分)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.registry.domain.evaluation.ip import CLASS_I_KINDS, CLASS_II_KINDS
from services.registry.domain.figures import (
    AcquisitionMethod,
    AwardCategory,
    AwardLevel,
    CertificationKind,
    DigitalLadder,
    IncidentKind,
    IpKind,
    RdInstitutionLevel,
    StandardLevel,
    StandardRole,
)
from shared.clock import programme_today
from shared.ids import InvalidIdentifier, parse_patent_application_number
from shared.types import YEAR_MAX, Date, Fen, Line, Name, SignedFen, Text, integer_between

People = integer_between(0, 10_000_000)


# The figures that may not exceed another of the same year: the field it is checked against, and how the fault
# is worded.
_CEILINGS: dict[str, tuple[str, str]] = {
    "rd_staff": ("employees", "{field} ({value}) exceeds employees ({limit})"),
    "tech_staff": ("employees", "{field} ({value}) exceeds employees ({limit})"),
    "main_business_revenue_fen": (
        "operating_revenue_fen", "main business revenue ({value} fen) exceeds operating revenue ({limit} fen)"),
    "rd_expense_domestic_fen": (
        "rd_expense_fen", "domestic R&D expense ({value} fen) exceeds total R&D expense ({limit} fen)"),
}


class AnnualFiguresWrite(BaseModel):
    """One year's figures (年报), replacing what was stored for that year: an omitted field is "not reported".

    Refused (422, naming the field): negative values, R&D or tech staff above employees, main-business revenue
    above operating revenue, domestic R&D above total R&D, a market share outside [0, 1]. Accepted but flagged:
    R&D expense above operating revenue (``flags``)."""

    model_config = ConfigDict(extra="forbid")

    employees: People | None = Field(default=None, description="职工总数 / 从业人员")
    rd_staff: People | None = Field(default=None, description="研发人员")
    tech_staff: People | None = Field(default=None, description="科技人员 (HNTE / 科技型中小企业 definitions)")
    operating_revenue_fen: Fen | None = Field(default=None, description="营业收入 (also 销售收入)")
    main_business_revenue_fen: Fen | None = Field(default=None, description="主营业务收入")
    total_income_fen: Fen | None = Field(default=None, description="总收入 (HNTE high-tech revenue share)")
    rd_expense_fen: Fen | None = Field(default=None, description="研发费用总额")
    rd_expense_domestic_fen: Fen | None = Field(default=None, description="境内研发费用")
    total_cost_expense_fen: Fen | None = Field(default=None, description="成本费用支出总额")
    total_assets_fen: Fen | None = Field(default=None, description="资产总额 (year end)")
    total_liabilities_fen: Fen | None = Field(default=None, description="负债总额 (year end)")
    net_profit_fen: SignedFen | None = Field(default=None, description="净利润")
    high_tech_product_revenue_fen: Fen | None = Field(default=None, description="高新技术产品(服务)收入")
    equity_financing_fen: Fen | None = Field(
        default=None, description="新增股权融资 paid in by qualified institutional investors in the year")
    market_share: Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)] | None = Field(
        default=None, description="主导产品 细分市场占有率 as a fraction (0.12 = 12%)", examples=["0.12"])
    domestic_market_rank: integer_between(1, 100_000) | None = Field(
        default=None, description="主导产品 国内细分市场排名 (1 = first)")
    digital_maturity_level: integer_between(1, 4) | None = Field(
        default=None, description="中小企业数字化水平评测 level 1–4")
    tech_results_converted: integer_between(0, 100_000) | None = Field(
        default=None, description="科技成果转化数 in the year")

    # Each cross-field check is a field validator on the later field, so the problem names the field at fault
    # and every fault of the body is reported at once.
    @field_validator(*_CEILINGS)
    @classmethod
    def _within_ceiling(cls, value: int | None, info: ValidationInfo) -> int | None:
        ceiling, fault = _CEILINGS[str(info.field_name)]
        limit = info.data.get(ceiling)
        if value is not None and limit is not None and value > limit:
            raise ValueError(fault.format(field=info.field_name, value=value, limit=limit))
        return value


# The figures of one year: the write model's fields, which are the table's columns (the API and the import).
FIGURE_FIELDS = tuple(AnnualFiguresWrite.model_fields)


class AnnualFiguresRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: uuid.UUID
    year: int
    employees: int | None
    rd_staff: int | None
    tech_staff: int | None
    operating_revenue_fen: int | None
    main_business_revenue_fen: int | None
    total_income_fen: int | None
    rd_expense_fen: int | None
    rd_expense_domestic_fen: int | None
    total_cost_expense_fen: int | None
    total_assets_fen: int | None
    total_liabilities_fen: int | None
    net_profit_fen: int | None
    high_tech_product_revenue_fen: int | None
    equity_financing_fen: int | None
    market_share: Decimal | None
    domestic_market_rank: int | None
    digital_maturity_level: int | None
    tech_results_converted: int | None
    flags: list[str] = Field(description="warnings accepted with the figures, e.g. rd_expense_above_revenue")
    source: str
    reported_at: datetime
    updated_at: datetime
    version: int


# --------------------------------------------------------------------------------------------------------------
# IP holdings
# --------------------------------------------------------------------------------------------------------------

# Patent kinds whose reference is a CNIPA application number / 专利号, and the type digits each may carry (§5.1).
PATENT_TYPE_DIGITS: dict[IpKind, frozenset[str]] = {
    IpKind.INVENTION_PATENT: frozenset({"1", "8"}),
    IpKind.UTILITY_MODEL: frozenset({"2", "9"}),
    IpKind.DESIGN_PATENT: frozenset({"3"}),
}


def _not_in_future(value: date | None, name: str) -> date | None:
    if value is not None and value > programme_today():
        raise ValueError(f"{name} is in the future")
    return value


class IpHoldingWrite(BaseModel):
    """One piece of IP (知识产权). Ⅰ类/Ⅱ类 are derived from ``kind`` per rule set (REFERENCE §1.1). A patent's
    reference must be a valid CNIPA application number or 专利号 whose type digit matches the kind; it is stored
    as the 专利号 (ZL…)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: IpKind
    reference: Line = Field(min_length=1, max_length=100, examples=["ZL202110182616.5", "2021SR0123456"])
    title: Line | None = Field(default=None, max_length=300)
    acquisition: AcquisitionMethod | None = Field(default=None, description="自主研发 or 受让/受赠/并购")
    acquired_on: Date | None = Field(default=None, description="date the transfer to this firm was registered")
    granted_on: Date | None = Field(default=None, description="grant / registration date")
    high_value: bool | None = Field(
        default=None, description="高价值 on a ground other than age (foreign family, pledge financing, 中国专利奖 …)")
    related_to_main_product: bool | None = Field(default=None, description="与主导产品相关")
    in_force: bool = True
    rights_holder_rank: integer_between(1, 100) | None = Field(
        default=None, description="rank among co-holders (1 = first)")
    applied_with_economic_benefit: bool | None = Field(default=None, description="实际应用并已产生经济效益")
    disputed: bool = False

    @field_validator("reference")
    @classmethod
    def _patent_number(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        allowed = PATENT_TYPE_DIGITS.get(kind) if kind is not None else None
        if allowed is None:
            return value
        try:
            number = parse_patent_application_number(value)
        except InvalidIdentifier as exc:
            raise ValueError(f"not a valid patent number: {exc.reason}") from None
        if number.type_code not in allowed:
            raise ValueError(f"patent type digit {number.type_code} ({number.type_name}) does not match kind {kind.value}")
        return number.patent_number

    @field_validator("acquired_on", "granted_on")
    @classmethod
    def _past_dates(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _not_in_future(value, str(info.field_name))


def ip_class(kind: str) -> str | None:
    """Ⅰ类 / Ⅱ类 as 63号文 defines the kinds (REFERENCE §1.1); each rule set adds its own age and transfer tests."""
    try:
        parsed = IpKind(kind)
    except ValueError:
        return None
    if parsed in CLASS_I_KINDS:
        return "I"
    if parsed in CLASS_II_KINDS:
        return "II"
    return None


class IpHoldingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    kind: str
    ip_class: str | None = Field(description="I (Ⅰ类) or II (Ⅱ类) by kind per REFERENCE §1.1; null for neither")
    reference: str
    title: str | None
    acquisition: str | None
    acquired_on: date | None
    granted_on: date | None
    high_value: bool | None
    related_to_main_product: bool | None
    in_force: bool
    rights_holder_rank: int | None
    applied_with_economic_benefit: bool | None
    disputed: bool
    created_at: datetime
    updated_at: datetime
    version: int


# --------------------------------------------------------------------------------------------------------------
# Honours and qualifications
# --------------------------------------------------------------------------------------------------------------

# 核实 of an honour: see models.figures.Honour.verification.
HonourVerification = Literal["declared", "verified", "rejected"]

HonourKind = Literal[
    "certification",  # 资质证书 with validity: 高新技术企业证书, 知识产权优势/示范企业, 国家级技术创新示范企业
    "rd_institution",  # 研发机构 (企业技术中心, 工程中心 …) with its level
    "science_award",  # 科学技术奖励 with level, category, rank and year
    "standard",  # 主导/参与制修订的标准
    "maker_china",  # "创客中国"中小企业创新创业大赛 national placing
    "quality_certification",  # ISO 9001 等质量管理体系认证
    "product_certification",  # 发达国家或地区产品认证
    "quality_award",  # 质量奖 (省级以上 counts for 专精特新)
    "own_brand",  # 自主品牌
    "digital_ladder",  # 数字化车间 / 智能工厂 / 未来工厂
    "development_score",  # 专精特新发展(质量)评价得分, imported per year (工信厅企业〔2024〕75号)
]

# Held tiers are certified through /certifications; here only the honours other bodies grant.
HonourCertificationKind = Literal[
    "hnte", "national_tech_innovation_demonstration", "ip_advantage_enterprise", "ip_demonstration_enterprise"
]
assert all(CertificationKind(k) for k in HonourCertificationKind.__args__)  # type: ignore[attr-defined]

_LEVELS: dict[str, tuple[str, ...]] = {
    "rd_institution": tuple(level.value for level in RdInstitutionLevel),
    "science_award": tuple(level.value for level in AwardLevel),
    "quality_award": tuple(level.value for level in AwardLevel),
    "standard": tuple(level.value for level in StandardLevel),
}

# Per kind: the attributes it requires and those it may carry (kind, name, number, evidence always allowed).
HONOUR_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "certification": (frozenset({"certification_kind", "number", "valid_from"}), frozenset({"valid_until"})),
    "rd_institution": (frozenset({"name", "level"}), frozenset({"recognised", "valid_from", "valid_until"})),
    "science_award": (frozenset({"name", "level", "year"}), frozenset({"category", "rank"})),
    "standard": (frozenset({"number", "level", "role", "year"}), frozenset()),
    "maker_china": (frozenset({"year", "national_top"}), frozenset()),
    "quality_certification": (frozenset({"valid_from"}), frozenset({"valid_until"})),
    "product_certification": (frozenset({"valid_from"}), frozenset({"valid_until"})),
    "quality_award": (frozenset({"name", "level", "year"}), frozenset()),
    "own_brand": (frozenset({"name"}), frozenset()),
    "digital_ladder": (frozenset({"stage", "year"}), frozenset({"valid_from", "valid_until"})),
    "development_score": (frozenset({"year", "score"}), frozenset()),
}
_ALWAYS = frozenset({"kind", "name", "number", "evidence"})

# Observed HNTE certificate numbers: GR + 4-digit year + 2-digit province + 6-digit serial (REFERENCE §3 [U]).
HNTE_NUMBER = re.compile(r"^GR\d{4}\d{2}\d{6}$")


def hnte_number_warnings(number: str | None) -> list[str]:
    """A warning, never a refusal: the GR format is inferred from examples only (REFERENCE §3, [U])."""
    if number and not HNTE_NUMBER.match(number):
        return [f"hnte_certificate_number_unusual: {number!r} does not follow the observed GR+year+province+serial "
                "format (e.g. GR202133001044); kept as entered"]
    return []


class HonourWrite(BaseModel):
    """An honour or qualification. ``kind`` says which attributes apply (see HONOUR_FIELDS in the description of
    each kind); an attribute that does not apply to the kind is refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: HonourKind
    certification_kind: HonourCertificationKind | None = None
    name: Name | None = Field(default=None, max_length=300)
    number: Line | None = Field(default=None, max_length=100, description="certificate number, standard code …")
    level: Line | None = Field(default=None, max_length=40,
                              description="rd_institution: national|provincial_ministerial|municipal|below_municipal; "
                              "science_award/quality_award: national|provincial_ministerial|municipal|other; "
                              "standard: international|national|industry|local|group|enterprise")
    category: AwardCategory | None = None
    rank: integer_between(1, 100) | None = Field(default=None, description="获奖单位排名 (1 = first)")
    role: StandardRole | None = None
    year: integer_between(1949, YEAR_MAX) | None = None
    national_top: Literal[50, 500] | None = Field(default=None, description="创客中国 national list: 500强 or 50强")
    stage: DigitalLadder | None = None
    score: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] | None = None
    recognised: bool | None = Field(default=None, description="R&D institution 经认定 by the government of its level")
    valid_from: Date | None = None
    valid_until: Date | None = Field(default=None, description="inclusive")
    evidence: Text | None = Field(default=None, max_length=2000)


def honour_faults(body: HonourWrite) -> list[tuple[str, str]]:
    """Every (field, reason) that makes ``body`` wrong for its kind; empty when it is right."""
    required, optional = HONOUR_FIELDS[body.kind]
    given = {name for name, value in body.model_dump().items() if value is not None}
    faults = [(name, f"required for kind {body.kind}") for name in sorted(required - given)]
    faults += [(name, f"does not apply to kind {body.kind}") for name in sorted(given - required - optional - _ALWAYS)]
    levels = _LEVELS.get(body.kind)
    if levels and body.level is not None and body.level not in levels:
        faults.append(("level", f"must be one of {', '.join(levels)} for kind {body.kind}"))
    if body.valid_from and body.valid_until and body.valid_until < body.valid_from:
        faults.append(("valid_until", "is before valid_from"))
    today = programme_today()
    if body.year is not None and body.year > today.year:
        faults.append(("year", "is in the future"))
    if body.valid_from is not None and body.valid_from > today:
        faults.append(("valid_from", "is in the future"))
    return faults


class HonourRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    kind: str
    certification_kind: str | None
    name: str | None
    number: str | None
    level: str | None
    category: str | None
    rank: int | None
    role: str | None
    year: int | None
    national_top: int | None
    stage: str | None
    score: Decimal | None
    recognised: bool | None
    valid_from: date | None
    valid_until: date | None
    evidence: str | None
    warnings: list[str]
    verification: HonourVerification = Field(
        description="declared: the firm's own entry, not counted in statistics and evaluations until an officer "
        "of its district verifies it; verified (an officer's or admin's entry is verified at once); rejected")
    verified_by: str | None = Field(description="who verified or rejected it")
    verified_at: datetime | None
    verification_note: str | None = Field(description="the reason given with a rejection, or a note")
    created_at: datetime
    updated_at: datetime
    version: int


class HonourVerificationCreate(BaseModel):
    """An officer's decision on an honour as it stands (its ETag in If-Match): verified, it counts in statistics
    and evaluations; rejected, it does not. A rejection says why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["verified", "rejected"]
    note: Text | None = Field(default=None, max_length=2000, validate_default=True,
                              description="required with a rejection: what the evidence lacks")

    @field_validator("note")
    @classmethod
    def _reason_for_rejection(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision") == "rejected" and not value:
            raise ValueError("a rejection needs a note saying why")
        return value


# --------------------------------------------------------------------------------------------------------------
# Compliance declarations
# --------------------------------------------------------------------------------------------------------------


class IncidentDeclared(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: IncidentKind
    occurred_on: Date
    description: Text = Field(default="", max_length=2000)


class DeclarationsWrite(BaseModel):
    """The declarations every tier's general conditions read. ``null`` = not declared (the evaluation then needs
    review); ``incidents: []`` declares none."""

    model_config = ConfigDict(extra="forbid")

    resident_in_mainland: bool | None = Field(default=None, description="在中国境内(不含港澳台)注册的居民企业")
    products_in_prohibited_category: bool | None = Field(default=None, description="产品属于禁止、限制和淘汰类")
    on_abnormal_operation_list: bool | None = Field(default=None, description="列入经营异常名录")
    on_serious_dishonesty_list: bool | None = Field(default=None, description="列入严重违法失信企业名单")
    niche_market_since: Date | None = Field(default=None, description="从事特定细分市场 since")
    incidents: list[IncidentDeclared] | None = Field(default=None, max_length=200,
                                                     description="重大安全/质量/环境事故 and violations, dated")

    @field_validator("niche_market_since")
    @classmethod
    def _past(cls, value: date | None) -> date | None:
        return _not_in_future(value, "niche_market_since")


class DeclarationsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: uuid.UUID
    resident_in_mainland: bool | None
    products_in_prohibited_category: bool | None
    on_abnormal_operation_list: bool | None
    on_serious_dishonesty_list: bool | None
    niche_market_since: date | None
    incidents: list[dict[str, Any]] | None
    updated_at: datetime
    version: int
