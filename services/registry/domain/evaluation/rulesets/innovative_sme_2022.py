"""创新型中小企业评价标准: 工信部企业〔2022〕63号 Annex 1 (REFERENCE §1.1, [V]).

Still the evaluation rule under the 2026 measures until a merged 科技和创新型 standard appears (Article 30,
REFERENCE §0 [C]), so it has no end date.
"""

from __future__ import annotations

from datetime import date

from services.registry.domain.evaluation.bands import at_least_table, at_most_table, pts
from services.registry.domain.evaluation.conditions import AllOf, AnyOf, Check, Is, ScorePasses
from services.registry.domain.evaluation.measures import (
    AnnualRatio,
    GrowthRate,
    HoldsValidCertification,
    InputField,
    IpTallyOf,
)
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets.common import (
    MIIT_2022_IP,
    MIIT_GENERAL_CONDITIONS,
    PROVINCIAL_OR_NATIONAL,
    C,
    equity_at_least,
    miit_ip_ladder,
    recognised_rd_institution,
    science_award,
)
from services.registry.domain.evaluation.scoring import BandScale, Category, CategoryScale, Scoring, indicator
from services.registry.domain.figures import CertificationKind, Tier

BOUNDARY_DOUBT = (
    "Band edges read \"5%以上\", \"3%-5%\": Guangdong (粤工信融资函〔2026〕39号) gives an edge value the higher band [C]; "
    "EvaluationOptions.boundary switches it until Zhejiang confirms."
)

SCORING = Scoring(
    categories=(
        Category("innovation", "创新能力", 40, minimum=20),
        Category("growth", "成长性", 30, minimum=15),
        Category("specialisation", "专业化", 30, minimum=15),
    ),
    indicators=(
        indicator(
            "ip", "与主导产品相关的有效知识产权数量", "innovation", 20,
            IpTallyOf(MIIT_2022_IP), miit_ip_ladder(20, 15, 10, 5),
            confidence=C, doubt="Ⅰ类/Ⅱ类/高价值 definitions come from one Guangdong repo's copy of the 63号文 说明 [C].",
        ),
        indicator(
            "rd_ratio", "上年度研发费用总额占营业收入总额比重", "innovation", 20,
            AnnualRatio("rd_expense_fen", "operating_revenue_fen"),
            BandScale(at_least_table(
                ("5", 20, "5%以上"), ("3", 15, "3%–5%"), ("2", 10, "2%–3%"), ("1", 5, "1%–2%"), below=(0, "1%以下"),
                percent=True,
            )),
            doubt=BOUNDARY_DOUBT,
        ),
        indicator(
            "mbr_growth", "上年度主营业务收入增长率", "growth", 20,
            GrowthRate("main_business_revenue_fen"),
            BandScale(at_least_table(
                ("15", 20, "15%以上"), ("10", 15, "10%–15%"), ("5", 10, "5%–10%"), ("0", 5, "0–5%"), below=(0, "0%以下"),
                percent=True,
            )),
            doubt=BOUNDARY_DOUBT,
        ),
        indicator(
            "debt_ratio", "上年度资产负债率", "growth", 10,
            AnnualRatio("total_liabilities_fen", "total_assets_fen"),
            BandScale(at_most_table(("55", 10, "55%以下"), ("75", 5, "55%–75%"), above=(0, "75%以上"), percent=True)),
            doubt=BOUNDARY_DOUBT,
        ),
        indicator(
            "main_product_field", "主导产品所属领域", "specialisation", 10,
            InputField("judgements.main_product_in_strategic_emerging_industry"),
            CategoryScale(((True, pts(10), "属于《战略性新兴产业分类》"), (False, pts(5), "其他领域"))),
        ),
        indicator(
            "mbr_share", "上年度主营业务收入占营业收入比重", "specialisation", 20,
            AnnualRatio("main_business_revenue_fen", "operating_revenue_fen"),
            BandScale(at_least_table(
                ("70", 20, "70%以上"), ("60", 15, "60%–70%"), ("55", 10, "55%–60%"), ("50", 5, "50%–55%"),
                below=(0, "50%以下"), percent=True,
            )),
            doubt=BOUNDARY_DOUBT,
        ),
    ),
    pass_score=60,
    pass_label="评价得分 ≥ 60",
)

CONDITIONS = AllOf(
    "innovative_sme",
    "创新型中小企业评价",
    (
        MIIT_GENERAL_CONDITIONS,
        AnyOf(
            "qualify",
            "评价得分达到公告条件，或满足直通条件之一",
            (
                ScorePasses("score", "评价得分 ≥ 60，且创新能力 ≥ 20、成长性 ≥ 15、专业化 ≥ 15"),
                AnyOf(
                    "direct",
                    "直通条件 (满足任一)",
                    (
                        science_award("direct.award", "近三年内获得过国家级、省级科技奖励", PROVINCIAL_OR_NATIONAL, 3),
                        Check(
                            "direct.honours",
                            "获得高新技术企业、国家级技术创新示范企业、知识产权优势企业、知识产权示范企业等荣誉(且在有效期内)",
                            HoldsValidCertification((
                                CertificationKind.HNTE,
                                CertificationKind.NATIONAL_TECH_INNOVATION_DEMONSTRATION,
                                CertificationKind.IP_ADVANTAGE_ENTERPRISE,
                                CertificationKind.IP_DEMONSTRATION_ENTERPRISE,
                            )),
                            Is(True),
                        ),
                        recognised_rd_institution("direct.rd_institution"),
                        equity_at_least("direct.equity", 3, 500),
                    ),
                    direct_route=True,
                ),
            ),
        ),
    ),
)

RULE_SET = RuleSet(
    version="miit-2022-63",
    tier=Tier.INNOVATIVE_SME,
    title="创新型中小企业评价标准 (工信部企业〔2022〕63号 附件1)",
    effective_from=date(2022, 6, 1),
    effective_to=None,
    sources=(
        "工信部企业〔2022〕63号 附件1",
        "xkzc.xust.edu.cn/info/1099/1948.htm",
        "http://www.fugou.gov.cn/sitesources/fgx/upload/e993ee5bb9db00399e2d13cc4193f965/1700817874037.pdf",
    ),
    confidence=C,
    conditions=CONDITIONS,
    scoring=SCORING,
    doubts=(
        BOUNDARY_DOUBT,
        "Effective date 2022-06-01 is the 63号文 issue date as recalled [M].",
        "Kept in force under Article 30 of 工信部企业〔2026〕2号 (quoted second-hand) until a merged standard [C].",
        "General conditions (SME size, lists, incidents) are recalled from the measures, not in REFERENCE [M].",
    ),
)
