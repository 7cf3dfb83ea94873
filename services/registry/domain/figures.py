"""The evaluation engine's inputs: what an enterprise declares, what officers record, what experts judge.

Every value is optional where the real world lets it be unknown: ``None`` always means "not supplied", never
"zero" or "no". The engine reports such gaps as missing inputs instead of guessing (REFERENCE preamble: missing
data must not silently change an outcome). Lists (IP holdings, awards, standards …) are declarations: an empty
list means the firm declares none.

Conventions (DESIGN §4.6): money is integer fen (分); ratios and shares are ``Decimal`` fractions (0.05 = 5 %);
dates are ``datetime.date`` in Asia/Shanghai civil time.

All classes are frozen dataclasses so that a stored evaluation can be replayed from exactly the inputs it saw;
``services.registry.domain.plain`` turns them into JSON-ready dicts and back.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum

FEN_PER_WAN = 1_000_000
"""1 万元 = 10 000 元 = 1 000 000 分. The policy texts state every amount in 万元."""


def wan(amount: int | str | Decimal) -> int:
    """万元 → fen, exactly (``wan("0.5")`` is 500 000 fen). Strings avoid float rounding."""
    fen = Decimal(str(amount)) * FEN_PER_WAN
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} 万元 is not a whole number of fen")
    return int(fen)


class _CoercesValues:
    """Lets callers pass enum members and decimals as plain strings (``kind="utility_model"``,
    ``market_share="0.15"``): ``__post_init__`` converts them, so that rules can compare enum members by identity
    and an unknown value fails at construction. Floats are refused for decimals (DESIGN §4.6)."""

    def __post_init__(self) -> None:
        for name, target in _coercible_fields(type(self)).items():
            value = getattr(self, name)
            if value is None or isinstance(value, target):
                continue
            if target is Decimal:
                if isinstance(value, float | bool):
                    raise TypeError(f"{type(self).__name__}.{name}: give a Decimal or a string, not {value!r}")
                value = Decimal(str(value))
            else:
                value = target(value)
            object.__setattr__(self, name, value)


@functools.cache
def _coercible_fields(cls: type) -> dict[str, type]:
    hints = typing.get_type_hints(cls)
    found: dict[str, type] = {}
    for f in fields(cls):
        hint = hints[f.name]
        options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        targets = [o for o in options if isinstance(o, type) and (issubclass(o, Enum) or o is Decimal)]
        if len(targets) == 1:
            found[f.name] = targets[0]
    return found


# --------------------------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------------------------


class Tier(StrEnum):
    """Tiers the engine can evaluate or that a firm can hold (DESIGN §9 glossary)."""

    TECH_SME = "tech_sme"  # 科技型中小企业
    INNOVATIVE_SME = "innovative_sme"  # 创新型中小企业
    TECH_INNOVATIVE_SME = "tech_innovative_sme"  # 科技和创新型中小企业 (2026 merger; no own standard yet, REFERENCE §0)
    SRDI_SME = "srdi_sme"  # 专精特新中小企业
    LITTLE_GIANT = "little_giant"  # 专精特新"小巨人"
    HNTE = "hnte"  # 高新技术企业


class CertificationKind(StrEnum):
    """Statuses and honours that have a validity period and that rules ask to be "valid" (有效期内)."""

    TECH_SME = "tech_sme"
    INNOVATIVE_SME = "innovative_sme"
    TECH_INNOVATIVE_SME = "tech_innovative_sme"
    SRDI_SME = "srdi_sme"
    LITTLE_GIANT = "little_giant"
    HNTE = "hnte"  # 高新技术企业证书
    NATIONAL_TECH_INNOVATION_DEMONSTRATION = "national_tech_innovation_demonstration"  # 国家级技术创新示范企业
    IP_ADVANTAGE_ENTERPRISE = "ip_advantage_enterprise"  # 知识产权优势企业
    IP_DEMONSTRATION_ENTERPRISE = "ip_demonstration_enterprise"  # 知识产权示范企业


class IncidentKind(StrEnum):
    SAFETY = "safety"  # 重大安全事故 (incl. network and data security under the MIIT texts)
    QUALITY = "quality"  # 重大质量事故
    ENVIRONMENTAL = "environmental"  # 严重环境违法 / 环境污染事故
    RESEARCH_MISCONDUCT = "research_misconduct"  # 科研严重失信
    TAX_VIOLATION = "tax_violation"  # 偷漏税等违法违规


class IpKind(StrEnum):
    """Kinds of intellectual property; the Ⅰ类/Ⅱ类 split is rule-set data (REFERENCE §1.1, §2, §3), not a field."""

    INVENTION_PATENT = "invention_patent"  # 发明专利
    DEFENCE_PATENT = "defence_patent"  # 国防专利
    PLANT_VARIETY = "plant_variety"  # 植物新品种
    NATIONAL_CROP_VARIETY = "national_crop_variety"  # 国家级农作物品种
    NATIONAL_NEW_DRUG = "national_new_drug"  # 国家新药
    GRADE_ONE_PROTECTED_TCM = "grade_one_protected_tcm"  # 国家一级中药保护品种
    IC_LAYOUT_DESIGN = "ic_layout_design"  # 集成电路布图设计专有权
    SOFTWARE_COPYRIGHT = "software_copyright"  # 软件著作权
    UTILITY_MODEL = "utility_model"  # 实用新型专利
    DESIGN_PATENT = "design_patent"  # 外观设计专利
    TRADEMARK = "trademark"  # 商标: never Ⅰ/Ⅱ类 (REFERENCE §1.1)
    OTHER = "other"


class AcquisitionMethod(StrEnum):
    SELF_DEVELOPED = "self_developed"  # 自主研发
    TRANSFERRED_IN = "transferred_in"  # 受让 / 转入
    GIFTED = "gifted"  # 受赠
    MERGER = "merger"  # 并购
    # 被许可: the firm exploits it under a licence (exclusive, sole, ordinary or open) and does not own it. Whether
    # that counts is each rule set's IpPolicy.licences_count.
    LICENSED_IN = "licensed_in"


class AwardLevel(StrEnum):
    NATIONAL = "national"  # 国家级
    PROVINCIAL_MINISTERIAL = "provincial_ministerial"  # 省部级
    MUNICIPAL = "municipal"
    OTHER = "other"


class AwardCategory(StrEnum):
    NATURAL_SCIENCE = "natural_science"  # 自然科学奖
    TECHNOLOGICAL_INVENTION = "technological_invention"  # 技术发明奖
    SCIENCE_TECHNOLOGY_PROGRESS = "science_technology_progress"  # 科学技术进步奖
    DEFENCE_SCIENCE_TECHNOLOGY = "defence_science_technology"  # 国防科技奖
    OTHER = "other"


class RdInstitutionLevel(StrEnum):
    """Level of an R&D institution; ordered from highest to lowest in ``RD_INSTITUTION_RANK``."""

    NATIONAL = "national"  # 国家级
    PROVINCIAL_MINISTERIAL = "provincial_ministerial"  # 省(部)级
    MUNICIPAL = "municipal"  # 市级
    BELOW_MUNICIPAL = "below_municipal"  # 市级以下, including an unrecognised in-house institution


RD_INSTITUTION_RANK: Mapping[RdInstitutionLevel, int] = {
    RdInstitutionLevel.NATIONAL: 4,
    RdInstitutionLevel.PROVINCIAL_MINISTERIAL: 3,
    RdInstitutionLevel.MUNICIPAL: 2,
    RdInstitutionLevel.BELOW_MUNICIPAL: 1,
}


class StandardLevel(StrEnum):
    INTERNATIONAL = "international"
    NATIONAL = "national"
    INDUSTRY = "industry"  # 行业标准
    LOCAL = "local"
    GROUP = "group"  # 团体标准
    ENTERPRISE = "enterprise"


class StandardRole(StrEnum):
    LEAD = "lead"  # 主导 / 牵头制定
    PARTICIPANT = "participant"  # 参与制修订


class MainProductField2022(StrEnum):
    """专精特新 2022 indicator 主导产品所属领域 (REFERENCE §1.2): an officer's classification."""

    KEY_LINK_WITH_RESULTS = "key_link_with_results"  # 补短板/锻长板/填空白 取得实际成效: 5
    SIX_FOUNDATIONS_OR_TIME_HONOURED = "six_foundations_or_time_honoured"  # 工业"六基"/中华老字号/服务龙头: 3
    OTHER = "other"  # 0


class ExpertGrade(StrEnum):
    """HNTE expert grades A–E for 技术先进程度 and 核心支持作用 (REFERENCE §3)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class TechSmeRdOption(StrEnum):
    """科技型中小企业 研发投入: the firm picks one of two measures (REFERENCE §2)."""

    REVENUE = "revenue"  # (1) 研发费用 / 销售收入
    COST = "cost"  # (2) 研发费用 / 成本费用支出


class DigitalLadder(StrEnum):
    """Zhejiang's digital ladder (DESIGN §1). Informational; the SRDI 数字化水平 uses the numeric assessment level."""

    DIGITAL_WORKSHOP = "digital_workshop"
    SMART_FACTORY = "smart_factory"
    FUTURE_FACTORY = "future_factory"


# --------------------------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incident(_CoercesValues):
    """A serious incident or violation, dated so that each rule can apply its own look-back window."""

    kind: IncidentKind
    occurred_on: date
    description: str = ""


@dataclass(frozen=True)
class EnterpriseProfile:
    """Facts about the firm that are not tied to one financial year."""

    uscc: str | None = None
    name: str | None = None
    established_on: date | None = None
    industry_code: str | None = None  # GB/T 4754-2017, e.g. "C3981" (door letter + 2–4 digits)
    resident_in_mainland: bool | None = None  # 在中国境内(不含港澳台)注册的居民企业
    products_in_prohibited_category: bool | None = None  # 国家规定的禁止、限制和淘汰类
    on_abnormal_operation_list: bool | None = None  # 经营异常名录
    on_serious_dishonesty_list: bool | None = None  # 严重违法失信企业名单
    incidents: tuple[Incident, ...] | None = None  # None = not declared; () = declares none
    niche_market_since: date | None = None  # start of 从事特定细分市场


# --------------------------------------------------------------------------------------------------------------
# Annual figures
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnualFigures(_CoercesValues):
    """One financial year's figures (calendar year = Chinese accounting year)."""

    year: int
    employees: int | None = None  # 职工总数 / 从业人员
    r_and_d_staff: int | None = None  # 研发人员
    tech_staff: int | None = None  # 科技人员 (tech SME: ≥ 6 months; HNTE: ≥ 183 days in the year)
    operating_revenue_fen: int | None = None  # 营业收入 (also used as 销售收入)
    main_business_revenue_fen: int | None = None  # 主营业务收入
    total_income_fen: int | None = None  # 总收入 (HNTE §3.6 denominator: 营业收入 + 营业外收入 …)
    rd_expense_fen: int | None = None  # 研发费用总额
    rd_expense_domestic_fen: int | None = None  # 境内研发费用 (HNTE ≥ 60 %)
    total_cost_expense_fen: int | None = None  # 成本费用支出总额 (tech SME option 2)
    total_assets_fen: int | None = None  # 资产总额 (year end)
    total_liabilities_fen: int | None = None  # 负债总额 (year end)
    net_profit_fen: int | None = None  # 净利润
    high_tech_product_revenue_fen: int | None = None  # 高新技术产品(服务)收入
    equity_financing_fen: int | None = None  # 新增股权融资, qualified institutional investors' paid-in amount
    market_share: Decimal | None = None  # 主导产品 细分市场占有率 (fraction)
    domestic_market_rank: int | None = None  # 主导产品 国内细分市场排名 (1 = first)
    digital_maturity_level: int | None = None  # 中小企业数字化水平评测 level (1–4)
    tech_results_converted: int | None = None  # 科技成果转化数 in the year (HNTE §3)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.market_share is not None and not (Decimal(0) <= self.market_share <= Decimal(1)):
            raise ValueError(f"market_share must be a fraction in [0, 1], got {self.market_share}")


# --------------------------------------------------------------------------------------------------------------
# Intellectual property
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpHolding(_CoercesValues):
    """One piece of IP. Its class (Ⅰ/Ⅱ) and whether it counts are decided per rule set from these facts."""

    ref: str  # patent number, registration number …: names the holding in explanations
    kind: IpKind
    acquisition: AcquisitionMethod | None = None
    related_to_main_product: bool | None = None  # 与主导产品相关 / 对主要产品发挥核心支持作用
    in_force: bool = True  # 有效
    granted_on: date | None = None  # grant / registration date; "years maintained" are computed from it
    transferred_in_on: date | None = None  # date the transfer to this firm was registered
    high_value: bool | None = None  # any §1.1 high-value ground other than age: foreign family, foreign income,
    # high pledge financing, 国家科学技术奖 / 中国专利奖 (age > 10 years is computed from granted_on)
    rights_holder_rank: int | None = None  # rank among co-holders (2026 measures: top 3)
    applied_with_economic_benefit: bool | None = None  # 实际应用并已产生经济效益
    disputed: bool = False  # tech SME counts only IP "无争议"


# --------------------------------------------------------------------------------------------------------------
# Honours and qualifications
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certification(_CoercesValues):
    """A status with a validity period: a held tier, an HNTE certificate, an IP-advantage honour …"""

    kind: CertificationKind
    valid_from: date
    valid_until: date | None = None  # inclusive; None = no stated end
    number: str | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class RdInstitution(_CoercesValues):
    name: str
    level: RdInstitutionLevel
    recognised: bool = False  # 经认定 (by the government body of that level)
    recognised_on: date | None = None


@dataclass(frozen=True)
class ScienceAward(_CoercesValues):
    name: str
    level: AwardLevel
    year: int
    category: AwardCategory = AwardCategory.OTHER
    rank: int | None = None  # 获奖单位排名 of this firm (1 = first)


@dataclass(frozen=True)
class StandardWork(_CoercesValues):
    code: str  # e.g. "GB/T 12345-2024"
    level: StandardLevel
    role: StandardRole
    year: int


@dataclass(frozen=True)
class MakerChinaPlacing:
    """"创客中国"中小企业创新创业大赛, enterprise group: the smallest national list entered (50 implies 500)."""

    year: int
    national_top: int  # 500 or 50


@dataclass(frozen=True)
class Honours(_CoercesValues):
    certifications: tuple[Certification, ...] = ()
    rd_institutions: tuple[RdInstitution, ...] = ()
    science_awards: tuple[ScienceAward, ...] = ()
    standards: tuple[StandardWork, ...] = ()
    maker_china_placings: tuple[MakerChinaPlacing, ...] = ()
    quality_management_certified: bool | None = None  # ISO 9001 等管理体系认证
    developed_market_product_certified: bool | None = None  # 发达国家或地区产品认证 (little giant 2022)
    provincial_quality_award: bool | None = None  # 省级以上质量奖
    own_brand: bool | None = None  # 自主品牌
    digital_ladder: DigitalLadder | None = None


# --------------------------------------------------------------------------------------------------------------
# Expert-judged inputs and imported scores
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertJudgements(_CoercesValues):
    """Qualitative findings that only an officer or an expert panel can make. The engine never invents them:
    an absent judgement makes the dependent condition "unknown" and the outcome NEEDS_REVIEW."""

    main_product_in_strategic_emerging_industry: bool | None = None  # 创新型 ind. 5 《战略性新兴产业分类》
    main_product_field_2022: MainProductField2022 | None = None  # 专精特新 2022 主导产品所属领域
    local_feature_score: int | None = None  # 专精特新 2022 特色化 0–15; Zhejiang's indicators unknown [U]
    core_business_information_systems: bool | None = None  # 小巨人 2022 精细化: 核心业务信息系统支撑
    industry_chain_key_link: bool | None = None  # 小巨人 2022 产业链配套: 补短板/锻长板/填空白
    main_product_in_key_fields_2022: bool | None = None  # 小巨人 2022 主导产品所属领域 [M]
    main_product_in_key_fields_2026: bool | None = None  # 小巨人 2026 condition 6 (六基 / 关键环节)
    market_position_recognised: bool | None = None  # 专精特新 2026 condition 5 (no numeric threshold)
    core_technology_in_supported_fields: bool | None = None  # HNTE 3 《国家重点支持的高新技术领域》
    hnte_technology_advancement_grade: ExpertGrade | None = None  # HNTE 技术的先进程度
    hnte_core_support_grade: ExpertGrade | None = None  # HNTE 对主要产品核心支持作用
    hnte_points: Mapping[str, int] = field(default_factory=dict)
    """Exact points an expert panel gave for HNTE sub-items, keyed by indicator code; each must lie inside the
    band the engine computed for that sub-item (REFERENCE §3 gives ranges such as 7–8)."""


@dataclass(frozen=True)
class ImportedScore(_CoercesValues):
    """专精特新发展(质量)评价得分 (工信厅企业〔2024〕75号), computed on zjtx.miit.gov.cn: stored, never recomputed
    (REFERENCE §1.3)."""

    year: int
    score: Decimal
    evidence: str | None = None


# --------------------------------------------------------------------------------------------------------------
# The whole input
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationInputs(_CoercesValues):
    profile: EnterpriseProfile = EnterpriseProfile()
    annual: tuple[AnnualFigures, ...] = ()
    ip_holdings: tuple[IpHolding, ...] = ()
    honours: Honours = Honours()
    judgements: ExpertJudgements = ExpertJudgements()
    imported_scores: tuple[ImportedScore, ...] = ()
    tech_sme_rd_option: TechSmeRdOption | None = None  # None: the engine takes the option that scores better

    def __post_init__(self) -> None:
        super().__post_init__()
        years = [figures.year for figures in self.annual]
        if len(years) != len(set(years)):
            raise ValueError(f"annual figures repeat a year: {sorted(years)}")
        score_years = [score.year for score in self.imported_scores]
        if len(score_years) != len(set(score_years)):
            raise ValueError(f"imported scores repeat a year: {sorted(score_years)}")

    def figures_for(self, year: int) -> AnnualFigures | None:
        return next((figures for figures in self.annual if figures.year == year), None)

    def imported_score_for(self, year: int) -> ImportedScore | None:
        return next((score for score in self.imported_scores if score.year == year), None)
