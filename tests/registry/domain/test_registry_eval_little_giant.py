"""专精特新"小巨人": miit-2022-63/little_giant and miit-2026-2/little_giant (REFERENCE §1.4), hand-computed."""

from dataclasses import replace
from datetime import date

import pytest
from registry_eval_builders import (
    EVAL_2025,
    EVAL_2026,
    certification,
    codes_passed,
    inputs,
    invention,
    score,
    with_year,
    year,
)

from services.registry.domain.evaluation import EvaluationOptions, Outcome, evaluate
from services.registry.domain.figures import (
    AwardCategory,
    AwardLevel,
    CertificationKind,
    ExpertJudgements,
    Honours,
    RdInstitution,
    RdInstitutionLevel,
    ScienceAward,
)

TIER = "little_giant"

# ---------------------------------------------------------------------------------------------------- 2022


def firm_2022():
    """Evaluated 2025-06-01 (上年度 2024):
    专业化 niche 2016 → 2024-12-31 = 8 ≥ 3 years; share 10800/12000 = 90% ≥ 70%;
           avg growth (9000/8000 − 1 + 10800/9000 − 1)/2 = (12.5% + 20%)/2 = 16.25% ≥ 5%
    精细化 IT systems (judged); ISO certification; debt 5000/10000 = 50% ≤ 70%
    特色化 market share 15% ≥ 10%; own brand
    创新能力 revenue 1.2亿 ≥ 1亿 → each of 2023, 2024 R&D ≥ 3%: 400/10000 = 4%, 480/12000 = 4%;
           in-house 企业技术中心; 2 applied Ⅰ类
    链, 品 judged yes → ELIGIBLE."""
    return inputs(
        year(2022, main_business_revenue_wan=8000, equity_financing_wan=0),
        year(2023, operating_revenue_wan=10000, main_business_revenue_wan=9000, rd_expense_wan=400,
             equity_financing_wan=0),
        year(2024, employees=250, r_and_d_staff=40, operating_revenue_wan=12000, main_business_revenue_wan=10800,
             rd_expense_wan=480, total_assets_wan=10000, total_liabilities_wan=5000, market_share="0.15",
             equity_financing_wan=0),
        ip=(invention("ZL201911050262.8"), invention("ZL201910603565.1")),
        honours=Honours(
            rd_institutions=(RdInstitution("企业技术中心", RdInstitutionLevel.BELOW_MUNICIPAL),),
            quality_management_certified=True, own_brand=True,
        ),
        judgements=ExpertJudgements(core_business_information_systems=True, industry_chain_key_link=True,
                                    main_product_in_key_fields_2022=True),
    )


def test_2022_clear_pass():
    result = evaluate(TIER, firm_2022(), EVAL_2025)
    assert result.rule_set_id == "miit-2022-63/little_giant"
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route is None
    assert codes_passed(result)["innovative.rd.large"] is True


def test_2022_clear_fail_on_market_share():
    result = evaluate(TIER, with_year(firm_2022(), 2024, market_share="0.08"), EVAL_2025)
    assert codes_passed(result)["distinctive.market_share"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_2022_direct_route_national_award_replaces_the_general_innovation_conditions():
    # Only one Ⅰ类 → general conditions fail; 国家级科技奖励 2023, rank 2 ≤ 3 → 创新直通.
    award = ScienceAward("国家科学技术进步奖二等奖", AwardLevel.NATIONAL, 2023, rank=2)
    base = firm_2022()
    firm = replace(base, ip_holdings=base.ip_holdings[:1], honours=replace(base.honours, science_awards=(award,)))
    result = evaluate(TIER, firm, EVAL_2025)
    assert codes_passed(result)["innovative.general"] is False
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route.code == "innovative.direct.award"


def test_2022_unranked_award_needs_the_rank():
    award = ScienceAward("国家科学技术进步奖二等奖", AwardLevel.NATIONAL, 2023, rank=None)
    base = firm_2022()
    firm = replace(base, ip_holdings=base.ip_holdings[:1], honours=replace(base.honours, science_awards=(award,)))
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "honours.science_awards[国家科学技术进步奖二等奖].rank" in result.missing_inputs


def test_2022_missing_chain_judgement_needs_review():
    firm = replace(firm_2022(), judgements=replace(firm_2022().judgements, industry_chain_key_link=None))
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.manual_reviews == ("chain",)


@pytest.mark.parametrize(("boundary", "outcome"), [("higher", Outcome.ELIGIBLE), ("lower", Outcome.NOT_ELIGIBLE)])
def test_2022_revenue_exactly_one_yi_is_an_ambiguous_band_edge(boundary, outcome):
    """Revenue exactly 1亿 and R&D 4% in both years: "1亿元以上" (needs 3%) by the default reading passes;
    with boundary=lower the firm falls in "5000万元—1亿元" (needs 6%) and fails.
    (Share 9000/10000 = 90%; growth (12.5% + 0%)/2 = 6.25% ≥ 5% still hold.)"""
    firm = with_year(firm_2022(), 2024, operating_revenue_wan=10000, main_business_revenue_wan=9000, rd_expense_wan=400)
    result = evaluate(TIER, firm, EVAL_2025, EvaluationOptions(boundary=boundary))
    assert result.outcome is outcome


def test_2022_small_firm_band_needs_equity_total_rd_and_staff():
    """Revenue 4000万 < 5000万: equity 5000 + 3000 = 8000万 ≥ 8000万; R&D 1500 + 1600 = 3100万 ≥ 3000万;
    R&D staff 50/100 = 50% ≥ 50%. Growth (3300/3000 − 1 + 3600/3300 − 1)/2 = (10% + 9.09%)/2 ≥ 5%."""
    firm = with_year(
        with_year(
            with_year(firm_2022(), 2022, main_business_revenue_wan=3000),
            2023, operating_revenue_wan=3500, main_business_revenue_wan=3300, rd_expense_wan=1500,
            equity_financing_wan=5000,
        ),
        2024, employees=100, r_and_d_staff=50, operating_revenue_wan=4000, main_business_revenue_wan=3600,
        rd_expense_wan=1600, equity_financing_wan=3000,
    )
    result = evaluate(TIER, firm, EVAL_2025)
    assert codes_passed(result)["innovative.rd.small"] is True
    assert result.outcome is Outcome.ELIGIBLE
    short = with_year(firm, 2024, equity_financing_wan=2999)
    assert evaluate(TIER, short, EVAL_2025).outcome is Outcome.NOT_ELIGIBLE


# ---------------------------------------------------------------------------------------------------- 2026


def firm_2026():
    """Evaluated 2026-06-01 (上年度 2025):
    1 valid 专精特新 status; niche 2016 → 2025-12-31 = 9 ≥ 3
    2 revenue 8000万 ≥ 5000万; share 7360/8000 = 92% ≥ 90%; CAGR √(8000/7000) − 1 = 6.9% ≥ 5%; debt 60% ≤ 75%
    3 R&D 750 + 500 = 1250万 ≥ 1200万; 750/7500 = 10%, 500/8000 = 6.25% ≥ 3%
    4 four applied Ⅰ类 · 5 share 12% ≥ 10% · 6 judged yes · 7 score 65 ≥ 60 → ELIGIBLE."""
    return inputs(
        year(2023, operating_revenue_wan=7000),
        year(2024, operating_revenue_wan=7500, rd_expense_wan=750),
        year(2025, employees=200, operating_revenue_wan=8000, main_business_revenue_wan=7360, rd_expense_wan=500,
             total_assets_wan=8000, total_liabilities_wan=4800, market_share="0.12"),
        ip=tuple(invention(f"ZL20211004938{n}.6") for n in range(4)),
        honours=Honours(certifications=(certification(CertificationKind.SRDI_SME),)),
        judgements=ExpertJudgements(main_product_in_key_fields_2026=True),
        scores=(score(2026, 65),),
    )


def test_2026_clear_pass():
    result = evaluate(TIER, firm_2026(), EVAL_2026)
    assert result.rule_set_id == "miit-2026-2/little_giant"
    assert result.outcome is Outcome.ELIGIBLE
    growth = next(c for c in result.conditions if c.code == "c2.growth")
    assert growth.value == "6.9%"


def test_2026_clear_fail_on_two_year_rd_total():
    # 750 + 400 = 1150万 < 1200万.
    result = evaluate(TIER, with_year(firm_2026(), 2025, rd_expense_wan=400), EVAL_2026)
    assert codes_passed(result)["c3.total"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_2026_national_award_exempts_from_the_four_ip_requirement():
    award = ScienceAward("国家技术发明奖二等奖", AwardLevel.NATIONAL, 2024, AwardCategory.TECHNOLOGICAL_INVENTION, rank=1)
    base = firm_2026()
    firm = replace(base, ip_holdings=base.ip_holdings[:2], honours=replace(base.honours, science_awards=(award,)))
    assert evaluate(TIER, firm, EVAL_2026).outcome is Outcome.ELIGIBLE
    other = replace(award, category=AwardCategory.OTHER)
    not_exempt = replace(firm, honours=replace(base.honours, science_awards=(other,)))
    assert evaluate(TIER, not_exempt, EVAL_2026).outcome is Outcome.NOT_ELIGIBLE


def test_2026_missing_field_judgement_needs_review():
    result = evaluate(TIER, replace(firm_2026(), judgements=ExpertJudgements()), EVAL_2026)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.manual_reviews == ("c6",)


def test_2026_re_review_skips_growth_and_takes_either_score():
    """2023 revenue 7700万 → √(8000/7700) − 1 = 1.9% < 5%: an application fails; a 复核 does not assess growth and
    takes 2025's 62 although 2026 has no score yet."""
    firm = replace(with_year(firm_2026(), 2023, operating_revenue_wan=7700), imported_scores=(score(2025, 62),))
    application = evaluate(TIER, firm, EVAL_2026)
    assert codes_passed(application)["c2.growth"] is False
    assert application.outcome is Outcome.NOT_ELIGIBLE
    re_review = evaluate(TIER, firm, EVAL_2026, purpose="re_review")
    assert re_review.outcome is Outcome.ELIGIBLE
    assert next(c for c in re_review.conditions if c.code == "c2.growth").detail == "not assessed for re_review"


@pytest.mark.parametrize(("rank", "passed"), [(3, True), (4, False)])
def test_2026_domestic_top_three_replaces_market_share(rank, passed):
    firm = with_year(firm_2026(), 2025, market_share="0.05", domestic_market_rank=rank)
    assert codes_passed(evaluate(TIER, firm, EVAL_2026))["c5"] is passed


def test_2026_requires_a_valid_srdi_status():
    firm = replace(firm_2026(), honours=Honours(certifications=(certification(CertificationKind.INNOVATIVE_SME),)))
    assert evaluate(TIER, firm, EVAL_2026).outcome is Outcome.NOT_ELIGIBLE


def test_2023_batch_re_reviewed_in_2026_under_the_2022_standard():
    """工信厅企业函〔2026〕117号: the 2026 re-review of the 2023 batch used the 2022 standard (REFERENCE §0)."""
    result = evaluate(TIER, firm_2022(), date(2026, 5, 1), version="miit-2022-63", purpose="re_review")
    assert result.rule_set_id == "miit-2022-63/little_giant"
    assert result.notes and "re-review" in result.notes[0]
