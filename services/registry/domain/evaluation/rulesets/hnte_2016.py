"""高新技术企业认定管理办法: 国科发火〔2016〕32号; 工作指引 国科发火〔2016〕195号 (REFERENCE §3, [V]).

The engine computes what the figures decide (R&D ratios, staff, revenue shares, age, growth rates, the IP
count band) and takes the expert-judged parts as inputs: the A–E grades, and exact points inside each band
(``judgements.hnte_points``). Until experts pin them, the score is a range; the outcome is decided only when
the whole range is on one side of the pass mark (> 70, i.e. ≥ 71).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.registry.domain.evaluation.bands import Band, BandTable, Side, at_least_table, pts
from services.registry.domain.evaluation.conditions import (
    AllOf,
    AtLeast,
    ByBand,
    Check,
    Is,
    ScorePasses,
    judgement,
)
from services.registry.domain.evaluation.context import Unit
from services.registry.domain.evaluation.measures import (
    AnnualRatio,
    AnnualValue,
    DaysSinceEstablished,
    HasStandardWork,
    HnteGrowthRate,
    IncidentFree,
    InputField,
    IpAcquisitionProfile,
    IpCount,
    IpTallyOf,
    MeanOverYears,
    NoMeasure,
    PooledRatio,
)
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets.common import HNTE_IP, M, U, V, pct, rung
from services.registry.domain.evaluation.scoring import (
    BandScale,
    Category,
    CategoryScale,
    ExpertScale,
    IpLadderScale,
    Scoring,
    indicator,
)
from services.registry.domain.figures import ExpertGrade, IncidentKind, StandardLevel, StandardRole, Tier, wan

GRADE_POINTS = CategoryScale((
    (ExpertGrade.A.value, pts(7, 8), "A"),
    (ExpertGrade.B.value, pts(5, 6), "B"),
    (ExpertGrade.C.value, pts(3, 4), "C"),
    (ExpertGrade.D.value, pts(1, 2), "D"),
    (ExpertGrade.E.value, pts(0), "E"),
))

# 企业成长性: "≥ 35%: 9–10 · ≥ 25%: 7–8 · ≥ 15%: 5–6 · ≥ 5%: 3–4 · > 0: 1–2 · ≤ 0: 0" — every edge is fixed by the text.
GROWTH_BANDS = BandScale(BandTable((
    Band(None, pts(0), "≤ 0"),
    Band(Decimal(0), pts(1, 2), "> 0", floor_inclusive=False),
    Band(pct(5), pts(3, 4), "≥ 5%", floor_inclusive=True),
    Band(pct(15), pts(5, 6), "≥ 15%", floor_inclusive=True),
    Band(pct(25), pts(7, 8), "≥ 25%", floor_inclusive=True),
    Band(pct(35), pts(9, 10), "≥ 35%", floor_inclusive=True),
)))

# The growth rates' special cases (工作指引 国科发火〔2016〕195号, 企业成长性: "第一年末净资产或销售收入为0的，按后两年
# 计算；第二年末净资产或销售收入为0的，按0分计算"): the guide speaks of ZERO only. A negative value is not that case
# and does not switch to the two-year formula; over a negative base the ratio means nothing (net assets shrinking
# from −500万 to −100万 are "growth" to the plain formula), so a negative value in any of the three years scores
# the rate 0 and sends the evaluation to manual review, where the expert panel may pin other points [U].
GROWTH_DOUBT = ("Negative net assets or sales in any of the three years: the rate is scored 0 for manual review "
                "(工作指引 国科发火〔2016〕195号 switches to the last two years only when the first year's value is 0; "
                "a negative value is not that case) [U]. Two-year operation rule [U]: "
                "EvaluationOptions.hnte_two_year_growth.")

SCORING = Scoring(
    categories=(
        Category("ip", "知识产权", 30, cap=30),
        Category("conversion", "科技成果转化能力", 30),
        Category("management", "研究开发组织管理水平", 20),
        Category("growth", "企业成长性", 20),
    ),
    indicators=(
        indicator(
            "tech_advancement", "技术的先进程度", "ip", 8,
            InputField("judgements.hnte_technology_advancement_grade", unit=Unit.TEXT), GRADE_POINTS,
            expert_points=True,
        ),
        indicator(
            "core_support", "对主要产品(服务)在技术上发挥核心支持作用", "ip", 8,
            InputField("judgements.hnte_core_support_grade", unit=Unit.TEXT), GRADE_POINTS,
            expert_points=True,
        ),
        indicator(
            "ip_quantity", "知识产权数量", "ip", 8,
            IpTallyOf(HNTE_IP),
            IpLadderScale((
                rung("class_i", 1, pts(7, 8), "1项及以上Ⅰ类"),
                rung("class_ii", 5, pts(5, 6), "5项及以上Ⅱ类"),
                rung("class_ii", 3, pts(3, 4), "3–4项Ⅱ类"),
                rung("class_ii", 1, pts(1, 2), "1–2项Ⅱ类"),
            ), none_label="0项"),
            expert_points=True,
        ),
        indicator(
            "ip_acquisition", "知识产权获得方式", "ip", 6,
            IpAcquisitionProfile(HNTE_IP),
            CategoryScale((
                ("self_developed", pts(1, 6), "有自主研发"),
                ("acquired_only", pts(1, 3), "仅有受让、受赠和并购等"),
                ("none", pts(0), "无知识产权"),
            )),
            expert_points=True,
        ),
        indicator(
            "standards_bonus", "企业参与编制国家标准、行业标准、检测方法、技术规范的情况 (加分项)", "ip", 2,
            HasStandardWork((StandardLevel.NATIONAL, StandardLevel.INDUSTRY),
                            roles=(StandardRole.LEAD, StandardRole.PARTICIPANT)),
            CategoryScale(((True, pts(1, 2), "是"), (False, pts(0), "否"))),
            expert_points=True, confidence=M,
            doubt="Derived from the declared standards (national/industry, any role); test methods and technical "
            "specifications are not modelled separately.",
        ),
        indicator(
            "conversion", "近3年科技成果转化的年平均数", "conversion", 30,
            MeanOverYears("tech_results_converted", 3, operating_years_only=True, unit=Unit.COUNT),
            BandScale(at_least_table(
                ("5", pts(25, 30), "5项以上"), ("4", pts(19, 24), "4项以上"), ("3", pts(13, 18), "3项以上"),
                ("2", pts(7, 12), "2项以上"), ("1", pts(1, 6), "1项以上"), below=(0, "0项"), inclusive=True,
            )),
            expert_points=True, confidence=M,
            doubt="An average below 1 (e.g. 2 results over 3 years) is read as the 0 band [M].",
        ),
        indicator("rd_management_system", "制定了企业研究开发的组织管理制度，建立了研发投入核算体系，编制了研发费用辅助账",
                  "management", 6, NoMeasure(), ExpertScale(6), expert_points=True),
        indicator("rd_institution_cooperation", "设立了内部科学技术研究开发机构并具备相应的科研条件，与国内外研究开发机构开展多种形式产学研合作",
                  "management", 6, NoMeasure(), ExpertScale(6), expert_points=True),
        indicator("conversion_incentives", "建立了科技成果转化的组织实施与激励奖励制度，建立开放式的创新创业平台",
                  "management", 4, NoMeasure(), ExpertScale(4), expert_points=True),
        indicator("talent_system", "建立了科技人员的培养进修、职工技能培训、优秀人才引进，以及人才绩效评价奖励制度",
                  "management", 4, NoMeasure(), ExpertScale(4), expert_points=True),
        indicator("net_asset_growth", "净资产增长率", "growth", 10, HnteGrowthRate("net_assets"), GROWTH_BANDS,
                  expert_points=True, confidence=U, doubt=GROWTH_DOUBT),
        indicator("sales_growth", "销售收入增长率", "growth", 10, HnteGrowthRate("sales"), GROWTH_BANDS,
                  expert_points=True, confidence=U, doubt=GROWTH_DOUBT),
    ),
    pass_score=71,
    pass_label="企业创新能力评价得分 > 70 (各项均为整数分，即 ≥ 71)",
)

# 第十一条(五): minimum R&D ratio by the latest year's sales revenue; edges fixed by "≤ 5000万", "5000万 < x ≤ 2亿".
RD_RATIO_BY_REVENUE = BandTable(
    tuple(
        Band(
            floor,
            Check(
                "h5.rd_ratio.required", f"近三个会计年度研发费用总额占同期销售收入总额比例 ≥ {percent}%",
                PooledRatio("rd_expense_fen", "operating_revenue_fen", 3, operating_years_only=True),
                AtLeast(pct(percent)),
            ),
            label,
            floor_inclusive=None if floor is None else False,
        )
        for floor, percent, label in (
            (None, 5, "最近一年销售收入 ≤ 5000万元"),
            (Decimal(wan(5000)), 4, "5000万元 < 最近一年销售收入 ≤ 2亿元"),
            (Decimal(wan(20000)), 3, "最近一年销售收入 > 2亿元"),
        )
    ),
    higher_side=Side.ABOVE,
)

CONDITIONS = AllOf(
    "hnte",
    "高新技术企业认定条件 (第十一条，同时满足八项)",
    (
        Check("h1", "企业申请认定时须注册成立一年以上 (≥ 365 天)", DaysSinceEstablished(), AtLeast(365)),
        Check(
            "h2", "通过自主研发、受让、受赠、并购等方式，获得对其主要产品(服务)在技术上发挥核心支持作用的知识产权的所有权",
            IpCount(HNTE_IP, "any_class"), AtLeast(1),
        ),
        judgement("h3", "对企业主要产品(服务)发挥核心支持作用的技术属于《国家重点支持的高新技术领域》规定的范围",
                  "core_technology_in_supported_fields"),
        Check("h4", "从事研发和相关技术创新活动的科技人员占企业当年职工总数的比例 ≥ 10%",
              AnnualRatio("tech_staff", "employees"), AtLeast(pct(10))),
        AllOf(
            "h5",
            "近三个会计年度研究开发费用总额占同期销售收入总额的比例符合要求，且境内研发费用占比 ≥ 60%",
            (
                ByBand("h5.rd_ratio", "研发费用比例 (按最近一年销售收入分档)",
                       AnnualValue("operating_revenue_fen"), RD_RATIO_BY_REVENUE),
                Check(
                    "h5.domestic", "在中国境内发生的研究开发费用总额占全部研究开发费用总额的比例 ≥ 60%",
                    PooledRatio("rd_expense_domestic_fen", "rd_expense_fen", 3, operating_years_only=True),
                    AtLeast(pct(60)),
                ),
            ),
        ),
        Check("h6", "近一年高新技术产品(服务)收入占企业同期总收入的比例 ≥ 60%",
              AnnualRatio("high_tech_product_revenue_fen", "total_income_fen"), AtLeast(pct(60))),
        ScorePasses("h7", "企业创新能力评价应达到相应要求 (> 70 分)"),
        Check(
            "h8", "企业申请认定前一年内未发生重大安全、重大质量事故或严重环境违法行为",
            IncidentFree((IncidentKind.SAFETY, IncidentKind.QUALITY, IncidentKind.ENVIRONMENTAL), days=365), Is(True),
        ),
    ),
    confidence=V,
)

RULE_SET = RuleSet(
    version="most-2016-32",
    tier=Tier.HNTE,
    title="高新技术企业认定管理办法 (国科发火〔2016〕32号) 及工作指引 (国科发火〔2016〕195号)",
    effective_from=date(2016, 1, 1),
    effective_to=None,
    sources=(
        "https://www.most.gov.cn/xxgk/xinxifenlei/fdzdgknr/fgzc/gfxwj/gfxwj2016/201602/t20160205_123998.html",
        "https://www.most.gov.cn/xxgk/xinxifenlei/fdzdgknr/fgzc/gfxwj/gfxwj2016/201606/t20160629_126169.html",
    ),
    confidence=U,
    conditions=CONDITIONS,
    scoring=SCORING,
    doubts=(
        "Growth score for a firm with two years of operation [U]: EvaluationOptions.hnte_two_year_growth.",
        "Growth rates: a negative net-asset or sales value in any of the three years is not the 工作指引's zero case "
        "(国科发火〔2016〕195号: first-year 0 → the last two years, second-year 0 → 0 points); the ratio is "
        "meaningless over it, so the rate scores 0 and the evaluation lists it for manual review [U].",
        "Expert-judged parts (grades, points within bands, 管理水平) are inputs; absent → score range → NEEDS_REVIEW "
        "unless the range is decided.",
        "h6 uses total_income_fen (总收入), not operating revenue; h2 counts IP flagged related_to_main_product.",
        "Effective 2016-01-01 as recalled [M]; certificate validity 3 years [M].",
    ),
)
