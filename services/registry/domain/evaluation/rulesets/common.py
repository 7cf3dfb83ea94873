"""Building blocks shared by several rule sets: IP policies, general conditions, and condition/table builders.

Everything here is data or a one-line constructor of data; the rule-set modules compose them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from services.registry.domain.evaluation.bands import PointRange, pts
from services.registry.domain.evaluation.conditions import AllOf, AtLeast, AtMost, Check, Excludes, Is
from services.registry.domain.evaluation.context import Unit
from services.registry.domain.evaluation.ip import IpPolicy
from services.registry.domain.evaluation.measures import (
    AnnualRatio,
    AnnualValue,
    HasRdInstitution,
    HasScienceAward,
    IncidentFree,
    InputField,
    SizeClassOf,
    SumOverYears,
    YearsInNicheMarket,
)
from services.registry.domain.evaluation.model import Confidence
from services.registry.domain.evaluation.scoring import IpLadderScale, IpRung
from services.registry.domain.figures import AwardCategory, AwardLevel, IncidentKind, IpKind, RdInstitutionLevel, wan
from services.registry.domain.size_class import SizeClass

V, C, M, U = Confidence.VERIFIED, Confidence.CORROBORATED, Confidence.RECALLED, Confidence.UNCERTAIN


def pct(percent: str | int) -> Decimal:
    """"3" → Decimal("0.03"): ratios are fractions in code and per cent in the texts."""
    return Decimal(str(percent)) / 100


YEAR_LABEL = {0: "上年度", 1: "上上年度", 2: "上上上年度"}

# MIIT's 2022 criteria (工信部企业〔2022〕63号) give way to the 2026 measures (工信部企业〔2026〕2号) from this day.
MIIT_2026_SWITCH = date(2026, 4, 1)

# ------------------------------------------------------------------------------------------------ IP policies

MIIT_2022_IP = IpPolicy(
    name="miit-2022-63",
    # §1.1: Ⅱ类 = 软件著作权, and 实用新型/外观设计 maintained more than 2 years after grant.
    class_ii_years_after_grant=((IpKind.UTILITY_MODEL, 2), (IpKind.DESIGN_PATENT, 2)),
    recent_transfer_excluded_years=1,  # §1.1: transferred in less than 1 year earlier does not count
    notes=("63号文 说明 as carried by a Guangdong policy-data repo [C]",),
)
MIIT_2022_IP_APPLIED = replace(
    MIIT_2022_IP, name="miit-2022-63 applied", require_applied_with_benefit=True
)  # 小巨人 2022: "actually applied and generating economic benefit"
MIIT_2026_IP = IpPolicy(
    name="miit-2026-2",
    class_ii_kinds=frozenset(),  # the 2026 conditions count Ⅰ类 only
    transfers_excluded=True,  # §1.3 common rules: Ⅰ类 excludes IP acquired by transfer
    max_rights_holder_rank=3,  # §1.3: applicant among the top 3 rights holders
    require_applied_with_benefit=True,
    notes=("2026 common rules, two third-party repos [C]",),
)
# §2 counts IP the firm owns ("拥有", "without dispute"); §3 asks for ownership (所有权) got by self-development,
# transfer, gift or merger: neither counts a licence held.
TECH_SME_IP = IpPolicy(name="most-2017-115", exclude_disputed=True, licences_count=False)
HNTE_IP = IpPolicy(name="most-2016-32", licences_count=False)


def miit_ip_ladder(high_value: int, self_developed: int, class_i: int, class_ii: int) -> IpLadderScale:
    """The 63号文 IP indicator (创新型 20/15/10/5, 专精特新 10/8/6/2): A 高价值Ⅰ类 · B 自主研发Ⅰ类 · C Ⅰ类 · D Ⅱ类."""
    return IpLadderScale(
        (
            IpRung("class_i_high_value", 1, pts(high_value), "Ⅰ类高价值知识产权 ≥ 1 项"),
            IpRung("class_i_self_developed", 1, pts(self_developed), "自主研发Ⅰ类知识产权 ≥ 1 项"),
            IpRung("class_i", 1, pts(class_i), "Ⅰ类知识产权 ≥ 1 项"),
            IpRung("class_ii", 1, pts(class_ii), "Ⅱ类知识产权 ≥ 1 项"),
        )
    )


def rung(key: str, at_least: int, award: PointRange | int, label: str) -> IpRung:
    return IpRung(key, at_least, award if isinstance(award, PointRange) else pts(award), label)


# ------------------------------------------------------------------------------------------------ conditions

ALL_SERIOUS_INCIDENTS = (IncidentKind.SAFETY, IncidentKind.QUALITY, IncidentKind.ENVIRONMENTAL, IncidentKind.TAX_VIOLATION)

MIIT_GENERAL_CONDITIONS = AllOf(
    "general",
    "基本条件: 中小企业；未列入经营异常名录或严重失信主体名单；产品(服务)不属于禁止、限制或淘汰类；近三年无重大事故及违法违规",
    (
        Check("general.sme", "符合中小企业划型标准 (非大型企业)", SizeClassOf(), Excludes(SizeClass.LARGE)),
        Check(
            "general.not_abnormal", "未列入经营异常名录",
            InputField("profile.on_abnormal_operation_list"), Is(False),
        ),
        Check(
            "general.not_dishonest", "未列入严重失信主体名单",
            InputField("profile.on_serious_dishonesty_list"), Is(False),
        ),
        Check(
            "general.products_allowed", "提供的产品(服务)不属于国家禁止、限制或淘汰类",
            InputField("profile.products_in_prohibited_category"), Is(False),
        ),
        Check(
            "general.no_incidents", "近三年未发生重大安全(含网络安全、数据安全)、质量、环境污染等事故以及偷漏税等违法违规行为",
            IncidentFree(ALL_SERIOUS_INCIDENTS, calendar_years=3), Is(True),
        ),
    ),
    confidence=M,
    doubt="The MIIT measures' general provisions are recalled, not quoted in REFERENCE; the SME test uses the 2017 "
    "statistical size table (REFERENCE §11, [M]).",
)


def niche_years(code: str, years: int, **meta) -> Check:
    return Check(code, f"截至上年末从事特定细分市场 ≥ {years} 年", YearsInNicheMarket(), AtLeast(years), **meta)


def revenue_at_least(code: str, amount_wan: int) -> Check:
    return Check(code, f"上年度营业收入 ≥ {amount_wan}万元", AnnualValue("operating_revenue_fen"), AtLeast(wan(amount_wan)))


def equity_at_least(code: str, years: int, amount_wan: int) -> Check:
    return Check(
        code,
        f"近{years}年新增股权融资总额(合格机构投资者实缴额) ≥ {amount_wan}万元",
        SumOverYears("equity_financing_fen", years),
        AtLeast(wan(amount_wan)),
    )


def main_business_share_at_least(code: str, percent: int) -> Check:
    return Check(
        code,
        f"上年度主营业务收入占营业收入比重 ≥ {percent}%",
        AnnualRatio("main_business_revenue_fen", "operating_revenue_fen"),
        AtLeast(pct(percent)),
    )


def debt_ratio_at_most(code: str, percent: int) -> Check:
    return Check(
        code, f"上年末资产负债率 ≤ {percent}%", AnnualRatio("total_liabilities_fen", "total_assets_fen"), AtMost(pct(percent))
    )


def rd_intensity_each_year(code: str, years: int, percent: int | str) -> AllOf:
    return AllOf(
        code,
        f"近{years}年每年研发费用占营业收入比重 ≥ {percent}%",
        tuple(
            Check(
                f"{code}.y{offset}",
                f"{YEAR_LABEL[offset]}研发费用占营业收入比重 ≥ {percent}%",
                AnnualRatio("rd_expense_fen", "operating_revenue_fen", offset),
                AtLeast(pct(percent)),
            )
            for offset in range(years)
        ),
    )


def rd_expense_each_year(code: str, years: int, amount_wan: int) -> AllOf:
    return AllOf(
        code,
        f"近{years}年每年研发费用 ≥ {amount_wan}万元",
        tuple(
            Check(
                f"{code}.y{offset}",
                f"{YEAR_LABEL[offset]}研发费用 ≥ {amount_wan}万元",
                AnnualValue("rd_expense_fen", offset),
                AtLeast(wan(amount_wan)),
            )
            for offset in range(years)
        ),
    )


def science_award(
    code: str,
    label: str,
    levels: tuple[AwardLevel, ...],
    within_years: int,
    max_rank: int | None = None,
    categories: tuple[AwardCategory, ...] | None = None,
) -> Check:
    return Check(code, label, HasScienceAward(levels, within_years, max_rank, categories), Is(True))


PROVINCIAL_OR_NATIONAL = (AwardLevel.NATIONAL, AwardLevel.PROVINCIAL_MINISTERIAL)


def recognised_rd_institution(code: str) -> Check:
    return Check(
        code, "拥有经认定的省部级以上研发机构", HasRdInstitution(RdInstitutionLevel.PROVINCIAL_MINISTERIAL), Is(True)
    )


def flag(code: str, label: str, path: str, expected: bool = True, **meta) -> Check:
    return Check(code, label, InputField(path), Is(expected), **meta)


def ratio_at_least(code: str, label: str, numerator: str, denominator: str, percent: int | str, offset: int = 0) -> Check:
    return Check(code, label, AnnualRatio(numerator, denominator, offset), AtLeast(pct(percent)))


def share_of_market(code: str, percent: int) -> Check:
    return Check(
        code, f"主导产品细分市场占有率 ≥ {percent}%", AnnualValue("market_share", unit=Unit.RATIO), AtLeast(pct(percent))
    )
