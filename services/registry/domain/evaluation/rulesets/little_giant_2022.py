"""专精特新"小巨人"企业认定标准 2022: 工信部企业〔2022〕63号 Annex 3 (REFERENCE §1.4, [V]).

Six groups, all required (专、精、特、新、链、品). Still used for re-reviews of firms certified under it, e.g. the
2026 re-review of the 2023 batch (工信厅企业函〔2026〕117号, REFERENCE §0).
"""

from __future__ import annotations

from datetime import date

from services.registry.domain.evaluation.bands import Band, BandTable, Side
from services.registry.domain.evaluation.conditions import AllOf, AnyOf, AtLeast, ByBand, Check, Is, judgement
from services.registry.domain.evaluation.measures import (
    AnnualRatio,
    AnnualValue,
    AverageGrowthRate,
    HasRdInstitution,
    IpCount,
    MakerChinaTop,
    SumOverYears,
)
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets.common import (
    MIIT_2022_IP_APPLIED,
    MIIT_2026_SWITCH,
    MIIT_GENERAL_CONDITIONS,
    M,
    debt_ratio_at_most,
    equity_at_least,
    flag,
    main_business_share_at_least,
    niche_years,
    pct,
    rd_intensity_each_year,
    science_award,
    share_of_market,
)
from services.registry.domain.evaluation.rulesets.innovative_sme_2022 import BOUNDARY_DOUBT
from services.registry.domain.figures import AwardLevel, RdInstitutionLevel, Tier, wan

# R&D intensity by revenue band (REFERENCE §1.4 table, [V]). The texts read "1亿元以上", "5000万元—1亿元",
# "5000万元以下", so an edge value is ambiguous exactly like the scored tables: the boundary option decides.
RD_BY_REVENUE = BandTable(
    (
        Band(
            None,
            AllOf(
                "innovative.rd.small",
                "同时满足: 近2年新增股权融资 ≥ 8000万元；近2年研发费用总额 ≥ 3000万元；研发人员占职工总数 ≥ 50%",
                (
                    equity_at_least("innovative.rd.small.equity", 2, 8000),
                    Check(
                        "innovative.rd.small.rd_total", "近2年研发费用总额 ≥ 3000万元",
                        SumOverYears("rd_expense_fen", 2), AtLeast(wan(3000)),
                        confidence=M, doubt="Read as the two-year total; the text says only 研发费用总额 [M].",
                    ),
                    Check(
                        "innovative.rd.small.staff", "研发人员占企业职工总数比重 ≥ 50%",
                        AnnualRatio("r_and_d_staff", "employees"), AtLeast(pct(50)),
                    ),
                ),
            ),
            "上年度营业收入 5000万元以下",
        ),
        Band(wan(5000), rd_intensity_each_year("innovative.rd.medium", 2, 6), "上年度营业收入 5000万元—1亿元"),
        Band(wan(10000), rd_intensity_each_year("innovative.rd.large", 2, 3), "上年度营业收入 1亿元以上"),
    ),
    higher_side=Side.ABOVE,
)

CONDITIONS = AllOf(
    "little_giant",
    "专精特新\"小巨人\"认定条件 (专、精、特、新、链、品 同时满足)",
    (
        MIIT_GENERAL_CONDITIONS,
        AllOf(
            "specialised",
            "专业化指标",
            (
                niche_years("specialised.niche", 3),
                main_business_share_at_least("specialised.mbr_share", 70),
                Check(
                    "specialised.growth", "近2年主营业务收入平均增长率 ≥ 5%",
                    AverageGrowthRate("main_business_revenue_fen"), AtLeast(pct(5)),
                    confidence=M, doubt="Average = mean of the last two yearly growth rates [M].",
                ),
            ),
        ),
        AllOf(
            "refined",
            "精细化指标",
            (
                judgement(
                    "refined.it_systems", "研发设计、生产制造、供应链管理等至少1项核心业务采用信息系统支撑",
                    "core_business_information_systems",
                ),
                AnyOf(
                    "refined.certification",
                    "取得相关管理体系认证，或产品通过发达国家和地区产品认证",
                    (
                        flag("refined.certification.management", "管理体系认证", "honours.quality_management_certified"),
                        flag("refined.certification.product", "发达国家和地区产品认证",
                             "honours.developed_market_product_certified"),
                    ),
                ),
                debt_ratio_at_most("refined.debt", 70),
            ),
        ),
        AllOf(
            "distinctive",
            "特色化指标",
            (
                share_of_market("distinctive.market_share", 10),
                flag("distinctive.own_brand", "拥有直接面向市场并具有竞争优势的自主品牌", "honours.own_brand"),
            ),
        ),
        AnyOf(
            "innovative",
            "创新能力指标: 满足一般性条件或创新直通条件",
            (
                AllOf(
                    "innovative.general",
                    "一般性条件 (同时满足三项)",
                    (
                        ByBand("innovative.rd", "研发投入 (按上年度营业收入分档)",
                               AnnualValue("operating_revenue_fen"), RD_BY_REVENUE, doubt=BOUNDARY_DOUBT),
                        Check(
                            "innovative.rd_institution",
                            "自建或与高等院校、科研机构联合建立研发机构 (技术研究院、企业技术中心、企业工程中心、院士专家工作站、博士后工作站等)",
                            HasRdInstitution(RdInstitutionLevel.BELOW_MUNICIPAL, recognised_only=False), Is(True),
                        ),
                        Check(
                            "innovative.ip", "拥有 ≥ 2 项与主导产品相关的Ⅰ类知识产权，且实际应用并已产生经济效益",
                            IpCount(MIIT_2022_IP_APPLIED), AtLeast(2),
                        ),
                    ),
                ),
                AnyOf(
                    "innovative.direct",
                    "创新直通条件 (满足任一)",
                    (
                        science_award("innovative.direct.award", "近三年获得国家级科技奖励，且在获奖单位中排名前三",
                                      (AwardLevel.NATIONAL,), 3, max_rank=3),
                        Check("innovative.direct.maker_china", "近三年进入\"创客中国\"中小企业创新创业大赛全国50强企业组名单",
                              MakerChinaTop(50, 3), Is(True)),
                    ),
                    direct_route=True,
                ),
            ),
        ),
        judgement(
            "chain", "产业链配套指标: 位于产业链关键环节，围绕重点产业链发挥\"补短板\"\"锻长板\"\"填空白\"等重要作用",
            "industry_chain_key_link",
        ),
        judgement(
            "field",
            "主导产品所属领域: 制造业核心基础零部件/元器件、关键软件、先进基础工艺、关键基础材料；制造强国战略十大重点产业领域；网络强国建设重点领域",
            "main_product_in_key_fields_2022",
            confidence=M, doubt="The first field's wording is recalled [M] (REFERENCE §1.4).",
        ),
    ),
)

RULE_SET = RuleSet(
    version="miit-2022-63",
    tier=Tier.LITTLE_GIANT,
    title="专精特新\"小巨人\"企业认定标准 (工信部企业〔2022〕63号 附件3)",
    effective_from=date(2022, 6, 1),
    effective_to=MIIT_2026_SWITCH,
    sources=("工信部企业〔2022〕63号 附件3", "bjwsht.cn, 268862.cn, qdjlsl.com, maxca.cn mirrors"),
    confidence=M,
    conditions=CONDITIONS,
    doubts=(
        BOUNDARY_DOUBT,
        "R&D total for firms under 5000万元 read as the two-year total [M].",
        "主导产品所属领域 wording recalled [M]; judged by an officer.",
        "General conditions (SME size, lists, incidents) are recalled from the measures, not in REFERENCE [M].",
        "Used for 2026 re-reviews of the 2023 batch (工信厅企业函〔2026〕117号) [C]: pass version=\"miit-2022-63\".",
    ),
)
