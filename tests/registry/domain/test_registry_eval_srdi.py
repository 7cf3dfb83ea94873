"""专精特新中小企业: miit-2022-63/srdi_sme (REFERENCE §1.2) and miit-2026-2/srdi_sme (§1.3), hand-computed."""

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
    profile,
    score,
    with_year,
    year,
)

from services.registry.domain.evaluation import EvaluationInputError, EvaluationOptions, Outcome, evaluate
from services.registry.domain.figures import (
    CertificationKind,
    ExpertJudgements,
    Honours,
    MakerChinaPlacing,
    RdInstitution,
    RdInstitutionLevel,
)

TIER = "srdi_sme"

# ---------------------------------------------------------------------------------------------------- 2022


def firm_2022(local_feature_score=10):
    """Evaluated 2025-06-01 (上年度 2024). Hand computation:

    专业化  mbr share 4500/5000 = 90% → 5 · avg growth (3750/3000 − 1 + 4500/3750 − 1)/2 = (25% + 20%)/2 = 22.5% → 10
            · niche 2015-01-01 → 2024-12-31 = 9 full years → 4 · field 六基 → 3                               = 22
    精细化  digital level 3 → 5 · quality: ISO + own brand = 2 items → 5 · net 450/5000 = 9% → 8
            · debt 1800/4000 = 45% → 5                                                                       = 23
    特色化  officer's score                                                                                  = 10
    创新能力 1 self-developed Ⅰ类 → 8 · R&D 300万 → 6, 300/5000 = 6% → 6: best 6 · R&D staff 15/100 = 15% → 3
            · municipal institution → 4                                                                      = 21
    Total 76 ≥ 60. Conditions: niche 9 ≥ 2; R&D 300万 ≥ 100万 and 6% ≥ 3%; revenue 5000万 ≥ 1000万 → ELIGIBLE."""
    return inputs(
        year(2022, main_business_revenue_wan=3000, rd_expense_wan=200, equity_financing_wan=0),
        year(2023, main_business_revenue_wan=3750, rd_expense_wan=250, equity_financing_wan=0),
        year(2024, employees=100, r_and_d_staff=15, operating_revenue_wan=5000, main_business_revenue_wan=4500,
             rd_expense_wan=300, total_assets_wan=4000, total_liabilities_wan=1800, net_profit_wan=450,
             digital_maturity_level=3, equity_financing_wan=0),
        profile=profile(niche_market_since=date(2015, 1, 1)),
        ip=(invention("ZL201910349801.1"),),
        honours=Honours(
            rd_institutions=(RdInstitution("湖州市企业研发中心", RdInstitutionLevel.MUNICIPAL, recognised=True),),
            quality_management_certified=True, own_brand=True, provincial_quality_award=False,
        ),
        judgements=ExpertJudgements(main_product_field_2022="six_foundations_or_time_honoured",
                                    local_feature_score=local_feature_score),
    )


def marginal_firm_2022(local_feature_score=None):
    """firm_2022 without its institution (−4), IP (−8) and with field "other" (−3): 61 − 10 + feature = 51 + feature."""
    base = firm_2022(local_feature_score)
    return replace(
        base,
        ip_holdings=(),
        honours=replace(base.honours, rd_institutions=()),
        judgements=replace(base.judgements, main_product_field_2022="other"),
    )


def test_2022_clear_pass_scores_76():
    result = evaluate(TIER, firm_2022(), EVAL_2025)
    assert result.rule_set_id == "miit-2022-63/srdi_sme"
    assert result.total_score == 76
    assert {c.code: c.points_min for c in result.categories} == {
        "specialisation": 22, "refinement": 23, "feature": 10, "innovation": 21,
    }
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route is None


def test_2022_clear_fail_on_rd_amount():
    result = evaluate(TIER, with_year(firm_2022(), 2024, rd_expense_wan=80), EVAL_2025)
    assert codes_passed(result)["c2.amount"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


@pytest.mark.parametrize(("feature", "outcome"), [(9, Outcome.ELIGIBLE), (8, Outcome.NOT_ELIGIBLE)])
def test_2022_pass_mark_exactly(feature, outcome):
    # 51 + 9 = 60 → pass (≥ 60); 51 + 8 = 59 → fail.
    result = evaluate(TIER, marginal_firm_2022(feature), EVAL_2025)
    assert result.total_score == 51 + feature
    assert result.outcome is outcome


def test_2022_missing_local_feature_score_needs_review_when_it_matters():
    # 特色化 unknown [U]: 51 + 0..15 = 51..66 straddles 60 → NEEDS_REVIEW.
    result = evaluate(TIER, marginal_firm_2022(None), EVAL_2025)
    assert (result.score_min, result.score_max) == (51, 66)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "judgements.local_feature_score" in result.missing_inputs
    assert result.manual_reviews == ("indicator.local_feature",)
    feature = next(i for i in result.indicators if i.code == "local_feature")
    assert feature.confidence.value == "U" and "Zhejiang" in feature.doubt


def test_2022_missing_local_feature_score_does_not_block_a_clear_pass():
    # 66 + 0..15 = 66..81 ≥ 60 whatever the officer scores.
    result = evaluate(TIER, firm_2022(None), EVAL_2025)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.total_score is None and result.score_min == 66


def test_2022_direct_route_maker_china_top_500():
    firm = replace(marginal_firm_2022(0), honours=replace(marginal_firm_2022(0).honours,
                                                          maker_china_placings=(MakerChinaPlacing(2023, 500),)))
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.total_score == 51
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route.code == "direct.d"


def test_2022_revenue_under_1000_wan_passes_with_equity():
    # 900万 < 1000万, but 2023 + 2024 equity 1200 + 800 = 2000万 ≥ 2000万 (condition 3's alternative).
    firm = with_year(with_year(firm_2022(), 2024, operating_revenue_wan=900, main_business_revenue_wan=850,
                               equity_financing_wan=800), 2023, equity_financing_wan=1200)
    assert codes_passed(evaluate(TIER, firm, EVAL_2025))["c3"] is True


def test_2022_innovative_status_prerequisite_is_an_option():
    strict = EvaluationOptions(srdi_2022_requires_innovative_status=True)
    assert evaluate(TIER, firm_2022(), EVAL_2025, strict).outcome is Outcome.NOT_ELIGIBLE
    holder = replace(firm_2022(), honours=replace(firm_2022().honours,
                                                  certifications=(certification(CertificationKind.INNOVATIVE_SME),)))
    assert evaluate(TIER, holder, EVAL_2025, strict).outcome is Outcome.ELIGIBLE
    assert codes_passed(evaluate(TIER, firm_2022(), EVAL_2025))["c0"] is True  # off by default, still listed


def test_2022_local_feature_score_out_of_range_is_refused():
    with pytest.raises(EvaluationInputError):
        evaluate(TIER, firm_2022(16), EVAL_2025)


# ---------------------------------------------------------------------------------------------------- 2026


def firm_2026():
    """Evaluated 2026-06-01 (上年度 2025). All six conditions:
    1 valid 创新型 status (2024–2026) and niche 2016 → 2025-12-31 = 9 ≥ 3 years
    2 revenue 2000万 ≥ 1500万; share 1700/2000 = 85% ≥ 80%; debt 1200/2000 = 60% ≤ 80%
    3 R&D 2024 120万 (120/1800 = 6.7%), 2025 exactly 100万 (100/2000 = 5%): each ≥ 100万 and ≥ 3%
    4 one self-developed invention, rank 1, applied with benefit
    5 officer confirmed the market position
    6 development score 2026 exactly 50 ≥ 50 → ELIGIBLE."""
    return inputs(
        year(2024, operating_revenue_wan=1800, rd_expense_wan=120, equity_financing_wan=0),
        year(2025, employees=80, operating_revenue_wan=2000, main_business_revenue_wan=1700, rd_expense_wan=100,
             total_assets_wan=2000, total_liabilities_wan=1200, equity_financing_wan=0),
        ip=(invention("ZL202210000001.X"),),
        honours=Honours(certifications=(certification(CertificationKind.INNOVATIVE_SME),)),
        judgements=ExpertJudgements(market_position_recognised=True),
        scores=(score(2026, 50),),
    )


def test_2026_clear_pass():
    result = evaluate(TIER, firm_2026(), EVAL_2026)
    assert result.rule_set_id == "miit-2026-2/srdi_sme"
    assert result.outcome is Outcome.ELIGIBLE
    assert result.total_score is None and result.indicators == ()  # no scored table in 2026
    assert result.direct_route is None  # direct routes abolished (§1.3)


def test_2026_clear_fail_on_one_year_of_rd():
    result = evaluate(TIER, with_year(firm_2026(), 2024, rd_expense_wan=90), EVAL_2026)
    assert codes_passed(result)["c3.amount.y1"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_2026_market_position_is_a_manual_review():
    firm = replace(firm_2026(), judgements=ExpertJudgements())
    result = evaluate(TIER, firm, EVAL_2026)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.manual_reviews == ("c5",)
    assert result.missing_inputs == ("judgements.market_position_recognised",)


def test_2026_missing_development_score_needs_review():
    result = evaluate(TIER, replace(firm_2026(), imported_scores=()), EVAL_2026)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.missing_inputs == ("imported_scores[2026]",)


def test_2026_re_review_accepts_either_of_the_last_two_scores():
    firm = replace(firm_2026(), imported_scores=(score(2025, 55),))
    assert evaluate(TIER, firm, EVAL_2026).outcome is Outcome.NEEDS_REVIEW
    assert evaluate(TIER, firm, EVAL_2026, purpose="re_review").outcome is Outcome.ELIGIBLE
    low = replace(firm_2026(), imported_scores=(score(2025, 45), score(2026, 49)))
    assert evaluate(TIER, low, EVAL_2026, purpose="re_review").outcome is Outcome.NOT_ELIGIBLE


def test_2026_transferred_ip_does_not_count_but_a_provincial_institution_exempts():
    transferred = invention("ZL202010000002.3", acquisition="transferred_in", transferred_in_on=date(2022, 1, 1))
    firm = replace(firm_2026(), ip_holdings=(transferred,))
    assert evaluate(TIER, firm, EVAL_2026).outcome is Outcome.NOT_ELIGIBLE
    institution = RdInstitution("浙江省企业研究院", RdInstitutionLevel.PROVINCIAL_MINISTERIAL, recognised=True)
    exempt = replace(firm, honours=replace(firm.honours, rd_institutions=(institution,)))
    result = evaluate(TIER, exempt, EVAL_2026)
    assert result.outcome is Outcome.ELIGIBLE
    assert codes_passed(result)["c4.exempt"] is True


def test_2026_rights_holder_outside_top_three_does_not_count():
    firm = replace(firm_2026(), ip_holdings=(invention("ZL202010000003.1", rights_holder_rank=4),))
    assert evaluate(TIER, firm, EVAL_2026).outcome is Outcome.NOT_ELIGIBLE


def test_2026_unknown_rights_holder_rank_needs_review():
    firm = replace(firm_2026(), ip_holdings=(invention("ZL202010000003.1", rights_holder_rank=None),))
    result = evaluate(TIER, firm, EVAL_2026)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.missing_inputs == ("ip[ZL202010000003.1].rights_holder_rank",)


def test_2026_accepted_prerequisite_statuses_are_configurable():
    only_merged = EvaluationOptions(tech_innovative_status_kinds=("tech_innovative_sme",))
    assert evaluate(TIER, firm_2026(), EVAL_2026, only_merged).outcome is Outcome.NOT_ELIGIBLE
    assert evaluate(TIER, firm_2026(), EVAL_2026).outcome is Outcome.ELIGIBLE


def test_2026_expired_prerequisite_status_fails():
    expired = certification(CertificationKind.INNOVATIVE_SME, date(2022, 1, 1), date(2025, 12, 31))
    firm = replace(firm_2026(), honours=Honours(certifications=(expired,)))
    assert codes_passed(evaluate(TIER, firm, EVAL_2026))["c1.status"] is False
