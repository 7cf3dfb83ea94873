"""专精特新中小企业认定标准 2022: 工信部企业〔2022〕63号 Annex 2 (REFERENCE §1.2, [V]).

Superseded for new applications on 2026-04-01; still the rule for certificates issued before then and for
re-reviews that ask for it (REFERENCE §0).
"""

from __future__ import annotations

from datetime import date

from services.registry.domain.evaluation.bands import at_least_table, at_most_table, pts
from services.registry.domain.evaluation.conditions import AllOf, AnyOf, AtLeast, Check, Is, ScorePasses, WhenOption
from services.registry.domain.evaluation.context import Unit
from services.registry.domain.evaluation.measures import (
    AnnualRatio,
    AnnualValue,
    AverageGrowthRate,
    HighestRdInstitutionLevel,
    HoldsValidCertification,
    InputField,
    IpTallyOf,
    MakerChinaTop,
    MeanOverYears,
    QualityManagementItems,
    YearsInNicheMarket,
)
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets.common import (
    MIIT_2022_IP,
    MIIT_2026_SWITCH,
    MIIT_GENERAL_CONDITIONS,
    C,
    M,
    U,
    equity_at_least,
    miit_ip_ladder,
    niche_years,
    ratio_at_least,
    revenue_at_least,
    science_award,
)
from services.registry.domain.evaluation.rulesets.innovative_sme_2022 import BOUNDARY_DOUBT
from services.registry.domain.evaluation.scoring import (
    Alternative,
    BandScale,
    Category,
    CategoryScale,
    DirectPointsScale,
    Indicator,
    Scoring,
    indicator,
)
from services.registry.domain.figures import (
    AwardLevel,
    CertificationKind,
    MainProductField2022,
    RdInstitutionLevel,
    Tier,
    wan,
)

LOCAL_FEATURE_DOUBT = (
    "特色化 (15 points) is set by each province with 1–3 indicators; Zhejiang's version was not found [U] "
    "(REFERENCE §1.2, §10.2). An officer scores it and records judgements.local_feature_score (0–15); without it "
    "the score has a 15-point gap and the outcome is NEEDS_REVIEW unless decided regardless."
)

SCORING = Scoring(
    categories=(
        Category("specialisation", "专业化", 25),
        Category("refinement", "精细化", 25),
        Category("feature", "特色化", 15),
        Category("innovation", "创新能力", 35),
    ),
    indicators=(
        indicator(
            "mbr_share", "上年度主营业务收入占营业收入比重", "specialisation", 5,
            AnnualRatio("main_business_revenue_fen", "operating_revenue_fen"),
            BandScale(at_least_table(("80", 5, "80%以上"), ("70", 3, "70%–80%"), ("60", 1, "60%–70%"),
                                     below=(0, "60%以下"), percent=True)),
            doubt=BOUNDARY_DOUBT,
        ),
        indicator(
            "mbr_avg_growth", "近2年主营业务收入平均增长率", "specialisation", 10,
            AverageGrowthRate("main_business_revenue_fen"),
            BandScale(at_least_table(("10", 10, "10%以上"), ("8", 8, "8%–10%"), ("6", 6, "6%–8%"), ("4", 4, "4%–6%"),
                                     ("0", 2, "0–4%"), below=(0, "0%以下"), percent=True)),
            confidence=M, doubt="Average = mean of the last two yearly growth rates [M]. " + BOUNDARY_DOUBT,
        ),
        indicator(
            "niche_years", "从事特定细分市场年限", "specialisation", 5,
            YearsInNicheMarket(),
            # "每满2年得1分，最高5分": full years, so the edges are fixed.
            BandScale(at_least_table(("10", 5, "满10年"), ("8", 4, "满8年"), ("6", 3, "满6年"), ("4", 2, "满4年"),
                                     ("2", 1, "满2年"), below=(0, "不满2年"), inclusive=True)),
        ),
        indicator(
            "main_product_field", "主导产品所属领域", "specialisation", 5,
            InputField("judgements.main_product_field_2022", unit=Unit.TEXT),
            CategoryScale((
                (MainProductField2022.KEY_LINK_WITH_RESULTS.value, pts(5),
                 "在产业链供应链关键环节及关键领域\"补短板\"\"锻长板\"\"填空白\"取得实际成效"),
                (MainProductField2022.SIX_FOUNDATIONS_OR_TIME_HONOURED.value, pts(3),
                 "属于工业\"六基\"领域、中华老字号名录或服务关键产业链重点龙头企业"),
                (MainProductField2022.OTHER.value, pts(0), "其他领域"),
            )),
        ),
        indicator(
            "digital_level", "数字化水平", "refinement", 5,
            AnnualValue("digital_maturity_level", unit=Unit.LEVEL),
            BandScale(at_least_table(("3", 5, "三级以上"), ("2", 3, "二级"), below=(0, "一级"), inclusive=True)),
        ),
        indicator(
            "quality", "质量管理水平 (每项3分，最高5分)", "refinement", 5,
            QualityManagementItems(),
            BandScale(at_least_table(("2", 5, "两项以上"), ("1", 3, "一项"), below=(0, "无"), inclusive=True)),
        ),
        indicator(
            "net_margin", "上年度净利润率", "refinement", 10,
            AnnualRatio("net_profit_fen", "operating_revenue_fen"),
            BandScale(at_least_table(("10", 10, "10%以上"), ("8", 8, "8%–10%"), ("6", 6, "6%–8%"), ("4", 4, "4%–6%"),
                                     ("2", 2, "2%–4%"), below=(0, "2%以下"), percent=True)),
            doubt=BOUNDARY_DOUBT,
        ),
        indicator(
            "debt_ratio", "上年度资产负债率", "refinement", 5,
            AnnualRatio("total_liabilities_fen", "total_assets_fen"),
            BandScale(at_most_table(("50", 5, "50%以下"), ("60", 3, "50%–60%"), ("70", 1, "60%–70%"),
                                    above=(0, "70%以上"), percent=True)),
            doubt=BOUNDARY_DOUBT,
        ),
        indicator(
            "local_feature", "地方特色指标 (由省级主管部门确定)", "feature", 15,
            InputField("judgements.local_feature_score", unit=Unit.SCORE),
            DirectPointsScale(15),
            confidence=U, doubt=LOCAL_FEATURE_DOUBT,
        ),
        indicator(
            "ip", "与主导产品相关的有效知识产权数量", "innovation", 10,
            IpTallyOf(MIIT_2022_IP), miit_ip_ladder(10, 8, 6, 2),
            confidence=C,
        ),
        Indicator(
            "rd_input", "上年度研发费用投入", "innovation", 10,
            (
                Alternative(
                    "amount", "研发费用总额", AnnualValue("rd_expense_fen"),
                    BandScale(at_least_table(
                        (wan(500), 10, "500万元以上"), (wan(400), 8, "400–500万元"), (wan(300), 6, "300–400万元"),
                        (wan(200), 4, "200–300万元"), (wan(100), 2, "100–200万元"), below=(0, "100万元以下"),
                    )),
                ),
                Alternative(
                    "ratio", "研发费用占营业收入比重", AnnualRatio("rd_expense_fen", "operating_revenue_fen"),
                    BandScale(at_least_table(
                        ("10", 10, "10%以上"), ("8", 8, "8%–10%"), ("6", 6, "6%–8%"), ("4", 4, "4%–6%"),
                        ("3", 2, "3%–4%"), below=(0, "3%以下"), percent=True,
                    )),
                ),
            ),
            doubt="Amount OR ratio: the better of the two counts. " + BOUNDARY_DOUBT,
        ),
        indicator(
            "rd_staff", "上年度研发人员占比", "innovation", 5,
            AnnualRatio("r_and_d_staff", "employees"),
            BandScale(at_least_table(("20", 5, "20%以上"), ("10", 3, "10%–20%"), ("5", 1, "5%–10%"),
                                     below=(0, "5%以下"), percent=True)),
            doubt=BOUNDARY_DOUBT,
        ),
        indicator(
            "rd_institution", "建立研发机构级别", "innovation", 10,
            HighestRdInstitutionLevel(),
            CategoryScale((
                (RdInstitutionLevel.NATIONAL.value, pts(10), "国家级"),
                (RdInstitutionLevel.PROVINCIAL_MINISTERIAL.value, pts(8), "省级"),
                (RdInstitutionLevel.MUNICIPAL.value, pts(4), "市级"),
                (RdInstitutionLevel.BELOW_MUNICIPAL.value, pts(2), "市级以下"),
                ("none", pts(0), "未建立研发机构"),
            )),
        ),
    ),
    pass_score=60,
    pass_label="评价得分 ≥ 60",
)

CONDITIONS = AllOf(
    "srdi_sme",
    "专精特新中小企业认定条件 (同时满足)",
    (
        MIIT_GENERAL_CONDITIONS,
        WhenOption(
            "c0",
            "有效期内的创新型中小企业 (是否为前置条件未确认)",
            "srdi_2022_requires_innovative_status",
            Check(
                "c0.status", "持有有效的创新型中小企业资格",
                HoldsValidCertification((CertificationKind.INNOVATIVE_SME,)), Is(True),
            ),
            confidence=U,
            doubt="REFERENCE §1.2: whether the 2022 measures required 创新型 status is not confirmed [U].",
        ),
        niche_years("c1", 2),
        AllOf(
            "c2",
            "上年度研发费用总额 ≥ 100万元，且占营业收入总额比重 ≥ 3%",
            (
                Check("c2.amount", "上年度研发费用总额 ≥ 100万元", AnnualValue("rd_expense_fen"), AtLeast(wan(100))),
                ratio_at_least("c2.ratio", "上年度研发费用总额占营业收入总额比重 ≥ 3%",
                               "rd_expense_fen", "operating_revenue_fen", 3),
            ),
        ),
        AnyOf(
            "c3",
            "上年度营业收入 ≥ 1000万元，或近2年新增股权融资总额(合格机构投资者实缴额) ≥ 2000万元",
            (revenue_at_least("c3.revenue", 1000), equity_at_least("c3.equity", 2, 2000)),
        ),
        AnyOf(
            "c4",
            "评价得分 ≥ 60，或满足直通条件之一",
            (
                ScorePasses("score", "评价得分 ≥ 60"),
                AnyOf(
                    "direct",
                    "直通条件 (满足任一)",
                    (
                        AnyOf(
                            "direct.a",
                            "近三年获得过省级科技奖励并在获奖单位中排名前三，或国家级科技奖励并排名前五",
                            (
                                science_award("direct.a.provincial", "省级科技奖励，获奖单位排名前三",
                                              (AwardLevel.PROVINCIAL_MINISTERIAL,), 3, max_rank=3),
                                science_award("direct.a.national", "国家级科技奖励，获奖单位排名前五",
                                              (AwardLevel.NATIONAL,), 3, max_rank=5),
                            ),
                        ),
                        Check("direct.b", "近两年研发费用总额均值 ≥ 1000万元",
                              MeanOverYears("rd_expense_fen", 2), AtLeast(wan(1000))),
                        equity_at_least("direct.c", 2, 6000),
                        Check("direct.d", "近三年进入\"创客中国\"中小企业创新创业大赛全国500强企业组名单",
                              MakerChinaTop(500, 3), Is(True)),
                    ),
                    direct_route=True,
                ),
            ),
        ),
    ),
)

RULE_SET = RuleSet(
    version="miit-2022-63",
    tier=Tier.SRDI_SME,
    title="专精特新中小企业认定标准 (工信部企业〔2022〕63号 附件2)",
    effective_from=date(2022, 6, 1),
    effective_to=MIIT_2026_SWITCH,
    sources=("工信部企业〔2022〕63号 附件2", "xkzc.xust.edu.cn/info/1099/1948.htm", "025house / delacour / kassnews mirrors"),
    confidence=U,
    conditions=CONDITIONS,
    scoring=SCORING,
    doubts=(
        LOCAL_FEATURE_DOUBT,
        BOUNDARY_DOUBT,
        "Whether 创新型 status was a prerequisite is [U]: EvaluationOptions.srdi_2022_requires_innovative_status.",
        "Certificate validity 3 years [M].",
        "\"近N年\" windows for awards and contests are read as calendar years from evaluation year − N [M].",
    ),
)
