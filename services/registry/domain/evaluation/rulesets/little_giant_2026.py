"""专精特新"小巨人"企业认定标准 2026: 工信部企业〔2026〕2号 Annex 2 (REFERENCE §1.4, [C]).

Seven conditions, all required. A re-review (复核) does not assess revenue growth and accepts a development
score ≥ 60 in either of the last two years.
"""

from __future__ import annotations

from services.registry.domain.evaluation.conditions import AllOf, AnyOf, AtLeast, AtMost, Check, Is, judgement
from services.registry.domain.evaluation.context import Unit
from services.registry.domain.evaluation.measures import (
    AnnualValue,
    CompoundGrowthRate,
    HoldsValidCertification,
    ImportedDevelopmentScore,
    IpCount,
    SumOverYears,
)
from services.registry.domain.evaluation.model import Purpose
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets.common import (
    MIIT_2026_IP,
    MIIT_2026_SWITCH,
    MIIT_GENERAL_CONDITIONS,
    C,
    M,
    debt_ratio_at_most,
    main_business_share_at_least,
    niche_years,
    pct,
    rd_intensity_each_year,
    revenue_at_least,
    science_award,
    share_of_market,
)
from services.registry.domain.evaluation.rulesets.srdi_2026 import SOURCE_DOUBT
from services.registry.domain.figures import AwardCategory, AwardLevel, CertificationKind, Tier, wan

CONDITIONS = AllOf(
    "little_giant",
    "专精特新\"小巨人\"认定条件 (2026, 同时满足七项)",
    (
        MIIT_GENERAL_CONDITIONS,
        AllOf(
            "c1",
            "为有效期内的专精特新中小企业，且截至上年末从事特定细分市场 ≥ 3 年",
            (
                Check("c1.status", "持有有效的专精特新中小企业资格",
                      HoldsValidCertification((CertificationKind.SRDI_SME,)), Is(True)),
                niche_years("c1.niche", 3),
            ),
        ),
        AllOf(
            "c2",
            "经营规模、主营占比、成长性与资产负债率",
            (
                revenue_at_least("c2.revenue", 5000),
                main_business_share_at_least("c2.mbr_share", 90),
                Check(
                    "c2.growth", "近两年营业收入复合增长率 ≥ 5% (复核不考核)",
                    CompoundGrowthRate("operating_revenue_fen"), AtLeast(pct(5)),
                    not_assessed_for=(Purpose.RE_REVIEW,),
                    confidence=M, doubt="Compound rate over two years with 上上上年度 as the base [M].",
                ),
                debt_ratio_at_most("c2.debt", 75),
            ),
        ),
        AllOf(
            "c3",
            "近两年研发费用合计 ≥ 1200万元，且每年研发费用占营业收入比重 ≥ 3%",
            (
                Check("c3.total", "近两年研发费用合计 ≥ 1200万元", SumOverYears("rd_expense_fen", 2), AtLeast(wan(1200))),
                rd_intensity_each_year("c3.ratio", 2, 3),
            ),
        ),
        AnyOf(
            "c4",
            "拥有 ≥ 4 项与主导产品相关、实际应用并产生经济效益的Ⅰ类知识产权，或符合豁免情形",
            (
                Check(
                    "c4.ip", "与主导产品相关的Ⅰ类知识产权 ≥ 4 项 (非转入、权利人排名前三、已应用并产生效益)",
                    IpCount(MIIT_2026_IP), AtLeast(4),
                ),
                science_award(
                    "c4.exempt", "豁免: 近三年获得国家级科技奖励(自然科学奖、技术发明奖、科技进步奖或国防科技奖)且排名前三",
                    (AwardLevel.NATIONAL,), 3, max_rank=3,
                    categories=(
                        AwardCategory.NATURAL_SCIENCE,
                        AwardCategory.TECHNOLOGICAL_INVENTION,
                        AwardCategory.SCIENCE_TECHNOLOGY_PROGRESS,
                        AwardCategory.DEFENCE_SCIENCE_TECHNOLOGY,
                    ),
                ),
            ),
        ),
        AnyOf(
            "c5",
            "主导产品国内或国际细分市场占有率 ≥ 10%，或国内排名前三",
            (
                share_of_market("c5.share", 10),
                Check("c5.rank", "主导产品国内细分市场排名前三",
                      AnnualValue("domestic_market_rank", unit=Unit.COUNT), AtMost(3)),
            ),
        ),
        judgement(
            "c6",
            "主导产品属于\"六基\"领域，或属于传统产业转型升级、新兴产业、未来产业，并处于产业链关键环节",
            "main_product_in_key_fields_2026",
        ),
        Check(
            "c7", "专精特新发展评价得分 ≥ 60 (复核: 近两年任一年)",
            ImportedDevelopmentScore(), AtLeast(60),
            doubt="Imported from zjtx.miit.gov.cn (工信厅企业〔2024〕75号), never recomputed.",
        ),
    ),
    confidence=C,
    doubt=SOURCE_DOUBT,
)

RULE_SET = RuleSet(
    version="miit-2026-2",
    tier=Tier.LITTLE_GIANT,
    title="专精特新\"小巨人\"企业认定标准 (工信部企业〔2026〕2号 附件2)",
    effective_from=MIIT_2026_SWITCH,
    effective_to=None,
    sources=(
        "工信部企业〔2026〕2号 附件2",
        "sakuruamayday-ops/project-application-assistant current-policy-baseline-2026.md",
        "WeChat-miniprogram PRD / Guangdong policy-data file",
    ),
    confidence=M,
    conditions=CONDITIONS,
    doubts=(
        SOURCE_DOUBT,
        "Compound growth base year [M]; not assessed in a re-review (purpose=re_review).",
        "Which two years a re-review may use for the score is read as the evaluation year and the one before [M].",
        "General conditions (SME size, lists, incidents) are recalled from the measures, not in REFERENCE [M].",
    ),
)
