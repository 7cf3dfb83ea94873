"""专精特新中小企业认定标准 2026: 工信部企业〔2026〕2号 Annex 1 (REFERENCE §1.3, [C]).

Six conditions, all required; no scored table and no direct routes (abolished for new applications). The
development score is imported from MIIT's platform, never computed here.
"""

from __future__ import annotations

from services.registry.domain.evaluation.conditions import AllOf, AnyOf, AtLeast, Check, Is, judgement
from services.registry.domain.evaluation.measures import HoldsValidCertification, ImportedDevelopmentScore, IpCount
from services.registry.domain.evaluation.ruleset import RuleSet
from services.registry.domain.evaluation.rulesets.common import (
    MIIT_2026_IP,
    MIIT_2026_SWITCH,
    MIIT_GENERAL_CONDITIONS,
    PROVINCIAL_OR_NATIONAL,
    C,
    U,
    debt_ratio_at_most,
    equity_at_least,
    main_business_share_at_least,
    niche_years,
    rd_expense_each_year,
    rd_intensity_each_year,
    recognised_rd_institution,
    revenue_at_least,
    science_award,
)
from services.registry.domain.figures import Tier

SOURCE_DOUBT = (
    "The official text of 工信部企业〔2026〕2号 was not read; the six conditions rest on two consistent third-party "
    "repos [C] (REFERENCE §1.3, §10.1)."
)

CONDITIONS = AllOf(
    "srdi_sme",
    "专精特新中小企业认定条件 (2026, 同时满足六项)",
    (
        MIIT_GENERAL_CONDITIONS,
        AllOf(
            "c1",
            "为有效期内的科技和创新型中小企业，且截至上年末从事特定细分市场 ≥ 3 年",
            (
                Check(
                    "c1.status", "持有有效的科技和创新型中小企业资格",
                    HoldsValidCertification(kinds_option="tech_innovative_status_kinds"), Is(True),
                    confidence=U,
                    doubt="Which held statuses count as 科技和创新型 before a merged standard exists is not confirmed "
                    "[U]: EvaluationOptions.tech_innovative_status_kinds (default: the merged status, 创新型 or 科技型).",
                ),
                niche_years("c1.niche", 3),
            ),
        ),
        AllOf(
            "c2",
            "经营规模、主营占比与资产负债率",
            (
                AnyOf(
                    "c2.scale",
                    "上年度营业收入 ≥ 1500万元，或近两年新增合格机构投资者实缴股权投资合计 ≥ 2000万元",
                    (revenue_at_least("c2.scale.revenue", 1500), equity_at_least("c2.scale.equity", 2, 2000)),
                ),
                main_business_share_at_least("c2.mbr_share", 80),
                debt_ratio_at_most("c2.debt", 80),
            ),
        ),
        AllOf(
            "c3",
            "近两年研发费用每年 ≥ 100万元，且每年研发费用占营业收入比重 ≥ 3%",
            (rd_expense_each_year("c3.amount", 2, 100), rd_intensity_each_year("c3.ratio", 2, 3)),
        ),
        AnyOf(
            "c4",
            "拥有 ≥ 1 项与主导产品相关、实际应用并产生经济效益的Ⅰ类知识产权，或符合豁免情形",
            (
                Check(
                    "c4.ip", "与主导产品相关的Ⅰ类知识产权 ≥ 1 项 (非转入、权利人排名前三、已应用并产生效益)",
                    IpCount(MIIT_2026_IP), AtLeast(1),
                ),
                AnyOf(
                    "c4.exempt",
                    "豁免: 近三年获得省部级以上科技奖励且排名前三，或拥有经认定的省部级以上研发机构",
                    (
                        science_award("c4.exempt.award", "近三年省部级以上科技奖励，获奖单位排名前三",
                                      PROVINCIAL_OR_NATIONAL, 3, max_rank=3),
                        recognised_rd_institution("c4.exempt.rd_institution"),
                    ),
                ),
            ),
        ),
        judgement(
            "c5",
            "主导产品细分市场占有率较为靠前，具有一定知名度和影响力 (无量化标准，人工审核)",
            "market_position_recognised",
            confidence=C,
            doubt="No numeric threshold (REFERENCE §1.3 condition 5): an officer records "
            "judgements.market_position_recognised.",
        ),
        Check(
            "c6",
            "当年度专精特新发展(质量)评价得分 ≥ 50 (复核: 近两年任一年)",
            ImportedDevelopmentScore(), AtLeast(50),
            confidence=C,
            doubt="Score computed on zjtx.miit.gov.cn under 工信厅企业〔2024〕75号 and imported, never recomputed.",
        ),
    ),
    confidence=C,
    doubt=SOURCE_DOUBT,
)

RULE_SET = RuleSet(
    version="miit-2026-2",
    tier=Tier.SRDI_SME,
    title="专精特新中小企业认定标准 (工信部企业〔2026〕2号 附件1)",
    effective_from=MIIT_2026_SWITCH,
    effective_to=None,
    sources=(
        "工信部企业〔2026〕2号 附件1",
        "sakuruamayday-ops/project-application-assistant current-policy-baseline-2026.md",
        "WeChat-miniprogram PRD / Guangdong policy-data file",
    ),
    confidence=U,
    conditions=CONDITIONS,
    doubts=(
        SOURCE_DOUBT,
        "Accepted 科技和创新型 statuses [U]: EvaluationOptions.tech_innovative_status_kinds.",
        "Condition 5 has no numeric threshold: always a manual judgement.",
        "Which two years a re-review may use for the score is read as the evaluation year and the one before [M].",
        "General conditions (SME size, lists, incidents) are recalled from the measures, not in REFERENCE [M].",
    ),
)
