"""科技型中小企业评价办法: 国科发政〔2017〕115号; 工作指引 国科火字〔2022〕67号 (REFERENCE §2, [V]).

Unchanged in 2026 and kept in use by Article 30 of the 2026 measures until a merged 科技和创新型 standard exists.
The score table's bands are written with "含" (inclusive lower bound), so its edges are fixed, not optional.
"""

from __future__ import annotations

from datetime import date

from services.registry.domain.evaluation.bands import at_least_table
from services.registry.domain.evaluation.conditions import (
    AllOf,
    AnyOf,
    AtLeast,
    AtMost,
    Check,
    IndicatorPoints,
    Is,
    ScorePasses,
)
from services.registry.domain.evaluation.context import Unit
from services.registry.domain.evaluation.measures import (
    AnnualRatio,
    AnnualValue,
    HasStandardWork,
    HoldsValidCertification,
    IncidentFree,
    IpTallyOf,
)
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets.common import (
    TECH_SME_IP,
    C,
    flag,
    recognised_rd_institution,
    rung,
    science_award,
)
from services.registry.domain.evaluation.scoring import (
    Alternative,
    BandScale,
    Category,
    Indicator,
    IpLadderScale,
    Scoring,
    indicator,
)
from services.registry.domain.figures import (
    AwardLevel,
    CertificationKind,
    IncidentKind,
    StandardLevel,
    Tier,
    wan,
)

SCORING = Scoring(
    categories=(
        Category("tech_staff", "科技人员", 20),
        Category("rd_input", "研发投入", 50),
        Category("results", "科技成果", 30),
    ),
    indicators=(
        indicator(
            "tech_staff", "科技人员数占企业职工总数的比例", "tech_staff", 20,
            AnnualRatio("tech_staff", "employees"),
            BandScale(at_least_table(
                ("30", 20, "30%(含)以上"), ("25", 16, "25%(含)–30%"), ("20", 12, "20%(含)–25%"),
                ("15", 8, "15%(含)–20%"), ("10", 4, "10%(含)–15%"), below=(0, "10%以下"),
                inclusive=True, percent=True,
            )),
        ),
        Indicator(
            "rd_input", "研发投入 (企业从两项中选择一项)", "rd_input", 50,
            (
                Alternative(
                    "revenue", "研发费用总额占销售收入总额的比例", AnnualRatio("rd_expense_fen", "operating_revenue_fen"),
                    BandScale(at_least_table(
                        ("6", 50, "6%(含)以上"), ("5", 40, "5%(含)–6%"), ("4", 30, "4%(含)–5%"), ("3", 20, "3%(含)–4%"),
                        ("2", 10, "2%(含)–3%"), below=(0, "2%以下"), inclusive=True, percent=True,
                    )),
                ),
                Alternative(
                    "cost", "研发费用总额占成本费用支出总额的比例", AnnualRatio("rd_expense_fen", "total_cost_expense_fen"),
                    BandScale(at_least_table(
                        ("30", 50, "30%(含)以上"), ("25", 40, "25%(含)–30%"), ("20", 30, "20%(含)–25%"),
                        ("15", 20, "15%(含)–20%"), ("10", 10, "10%(含)–15%"), below=(0, "10%以下"),
                        inclusive=True, percent=True,
                    )),
                ),
            ),
            chosen_by="tech_sme_rd_option",
            doubt="The firm picks one option; when none is declared the engine counts the better one.",
        ),
        indicator(
            "ip", "拥有在有效期内的与主要产品(或服务)相关的知识产权类别和数量 (知识产权应没有争议或纠纷)", "results", 30,
            IpTallyOf(TECH_SME_IP),
            IpLadderScale((
                rung("class_i", 1, 30, "1项及以上Ⅰ类知识产权"),
                rung("class_ii", 4, 24, "4项及以上Ⅱ类知识产权"),
                rung("class_ii", 3, 18, "3项Ⅱ类知识产权"),
                rung("class_ii", 2, 12, "2项Ⅱ类知识产权"),
                rung("class_ii", 1, 6, "1项Ⅱ类知识产权"),
            ), none_label="没有知识产权"),
        ),
    ),
    pass_score=60,
    pass_label="综合评价得分 ≥ 60",
)

DIRECT_ROUTES = AnyOf(
    "t5.direct",
    "直接确认条件 (符合第六条(一)—(四)且满足任一)",
    (
        Check("t5.direct.hnte", "有效期内高新技术企业资格证书",
              HoldsValidCertification((CertificationKind.HNTE,)), Is(True)),
        science_award("t5.direct.award", "近五年内获得过国家级科技奖励，并在获奖单位中排在前三名",
                      (AwardLevel.NATIONAL,), 5, max_rank=3),
        recognised_rd_institution("t5.direct.rd_institution"),
        Check("t5.direct.standard", "近五年内主导制定过国际标准、国家标准或行业标准",
              HasStandardWork((StandardLevel.INTERNATIONAL, StandardLevel.NATIONAL, StandardLevel.INDUSTRY),
                              within_years=5), Is(True)),
    ),
    direct_route=True,
    confidence=C,
    doubt="第八条 direct confirmation per the repos [C].",
)

CONDITIONS = AllOf(
    "tech_sme",
    "科技型中小企业条件 (第六条)",
    (
        flag("t1", "在中国境内(不包括港、澳、台地区)注册的居民企业", "profile.resident_in_mainland"),
        AllOf(
            "t2",
            "职工总数不超过500人、年销售收入不超过2亿元、资产总额不超过2亿元",
            (
                Check("t2.employees", "职工总数 ≤ 500人", AnnualValue("employees", unit=Unit.PEOPLE), AtMost(500)),
                Check("t2.revenue", "年销售收入 ≤ 2亿元", AnnualValue("operating_revenue_fen"), AtMost(wan(20000))),
                Check("t2.assets", "资产总额 ≤ 2亿元", AnnualValue("total_assets_fen"), AtMost(wan(20000))),
            ),
        ),
        flag("t3", "企业提供的产品和服务不属于国家规定的禁止、限制和淘汰类", "profile.products_in_prohibited_category",
             expected=False),
        AllOf(
            "t4",
            "上一年及当年内未发生重大安全、重大质量事故和严重环境违法、科研严重失信行为，且未列入经营异常名录和严重违法失信企业名单",
            (
                Check(
                    "t4.incidents", "上一年及当年内未发生重大安全、重大质量事故和严重环境违法、科研严重失信行为",
                    IncidentFree(
                        (IncidentKind.SAFETY, IncidentKind.QUALITY, IncidentKind.ENVIRONMENTAL,
                         IncidentKind.RESEARCH_MISCONDUCT),
                        calendar_years=1,
                    ),
                    Is(True),
                ),
                flag("t4.abnormal", "未列入经营异常名录", "profile.on_abnormal_operation_list", expected=False),
                flag("t4.dishonest", "未列入严重违法失信企业名单", "profile.on_serious_dishonesty_list", expected=False),
            ),
        ),
        AnyOf(
            "t5",
            "综合评价得分 ≥ 60 且科技人员指标得分不为0；或符合直接确认条件",
            (
                AllOf(
                    "t5.score",
                    "综合评价得分 ≥ 60 分，且科技人员指标得分不得为0分",
                    (
                        ScorePasses("t5.score.pass", "综合评价得分 ≥ 60"),
                        IndicatorPoints("t5.score.tech_staff", "科技人员指标得分不为0 (科技人员占比 ≥ 10%)",
                                        "tech_staff", AtLeast(1)),
                    ),
                ),
                DIRECT_ROUTES,
            ),
        ),
    ),
)

RULE_SET = RuleSet(
    version="most-2017-115",
    tier=Tier.TECH_SME,
    title="科技型中小企业评价办法 (国科发政〔2017〕115号)",
    effective_from=date(2017, 5, 3),
    effective_to=None,
    sources=(
        "https://www.most.gov.cn/xxgk/xinxifenlei/fdzdgknr/fgzc/gfxwj/gfxwj2017/201705/t20170510_132709.html",
        "工作指引 国科火字〔2022〕67号",
        "matteomarkusbok.com, wq0csk.cn, 0414w.cn mirrors",
    ),
    confidence=C,
    conditions=CONDITIONS,
    scoring=SCORING,
    doubts=(
        "Effective date 2017-05-03 is the issue date as recalled [M].",
        "Direct confirmation routes (第八条) per the repos [C].",
        "No 2025/2026 revision found; the merged 科技和创新型 standard was not found [U] (REFERENCE §2).",
        "\"近五年\" windows are read as calendar years from evaluation year − 5 [M].",
    ),
)
