"""创新型中小企业 (miit-2022-63/innovative_sme): worked examples, hand-computed (REFERENCE §1.1).

Evaluated on 2025-06-01, so 上年度 = 2024.
"""

from dataclasses import replace
from datetime import date

import pytest
from registry_eval_builders import EVAL_2025, certification, codes_passed, inputs, invention, with_year, year

from services.registry.domain.evaluation import EvaluationOptions, Outcome, evaluate
from services.registry.domain.figures import CertificationKind, ExpertJudgements, Honours

TIER = "innovative_sme"


def good_firm():
    """Hand computation (max 100):
    ip        1 self-developed invention, not high value, granted 2020 → B 自主研发Ⅰ类            15 / 20
    rd_ratio  120 / 2000 = 6%            → "5%以上"                                          20 / 20
    growth    1800 / 1500 − 1 = 20%      → "15%以上"                                         20 / 20
    debt      600 / 1500 = 40%           → "55%以下"                                         10 / 10
    field     in 战略性新兴产业                                                               10 / 10
    share     1800 / 2000 = 90%          → "70%以上"                                         20 / 20
    创新能力 35 ≥ 20, 成长性 30 ≥ 15, 专业化 30 ≥ 15, total 95 ≥ 60 → ELIGIBLE.
    Size: 工业, X = 50 ≥ 20, Y = 2000万 ≥ 300万 but X < 300 → small (not large)."""
    return inputs(
        year(2022, equity_financing_wan=0, main_business_revenue_wan=1200),
        year(2023, equity_financing_wan=0, main_business_revenue_wan=1500),
        year(2024, employees=50, operating_revenue_wan=2000, main_business_revenue_wan=1800, rd_expense_wan=120,
             total_assets_wan=1500, total_liabilities_wan=600, equity_financing_wan=0),
        ip=(invention("ZL202010566088.9"),),
        judgements=ExpertJudgements(main_product_in_strategic_emerging_industry=True),
    )


def weak_firm():
    """No IP 0 · R&D 10/2000 = 0.5% → 0 · growth 1800/1900 − 1 = −5.3% → 0 · debt 1200/1500 = 80% → 0 ·
    other field 5 · share 900/2000 = 45% → 0. Total 5 and no direct route (equity 0 in 2022–2024)."""
    return inputs(
        year(2022, equity_financing_wan=0),
        year(2023, equity_financing_wan=0, main_business_revenue_wan=1900),
        year(2024, employees=50, operating_revenue_wan=2000, main_business_revenue_wan=900, rd_expense_wan=10,
             total_assets_wan=1500, total_liabilities_wan=1200, equity_financing_wan=0),
        judgements=ExpertJudgements(main_product_in_strategic_emerging_industry=False),
    )


def test_clear_pass_scores_95():
    result = evaluate(TIER, good_firm(), EVAL_2025)
    assert result.rule_set_id == "miit-2022-63/innovative_sme"
    assert result.outcome is Outcome.ELIGIBLE
    assert result.total_score == 95
    assert {i.code: i.points for i in result.indicators} == {
        "ip": 15, "rd_ratio": 20, "mbr_growth": 20, "debt_ratio": 10, "main_product_field": 10, "mbr_share": 20,
    }
    assert {c.code: c.points_min for c in result.categories} == {"innovation": 35, "growth": 30, "specialisation": 30}
    assert result.direct_route is None
    assert result.missing_inputs == ()


def test_clear_fail_scores_5():
    result = evaluate(TIER, weak_firm(), EVAL_2025)
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert result.total_score == 5
    assert codes_passed(result)["direct"] is False


def test_direct_route_valid_hnte_certificate_qualifies_a_weak_firm():
    firm = replace(weak_firm(), honours=Honours(certifications=(certification(CertificationKind.HNTE),)))
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route is not None and result.direct_route.code == "direct.honours"
    assert result.total_score == 5  # the score is still reported


def test_expired_hnte_certificate_is_no_direct_route():
    expired = certification(CertificationKind.HNTE, date(2021, 1, 1), date(2023, 12, 31))
    firm = replace(weak_firm(), honours=Honours(certifications=(expired,)))
    assert evaluate(TIER, firm, EVAL_2025).outcome is Outcome.NOT_ELIGIBLE


def test_direct_route_equity_of_500_wan_over_three_years():
    # 200 + 150 + 150 = 500万 ≥ 500万: exactly on the threshold passes ("≥ 500万元").
    firm = with_year(with_year(with_year(weak_firm(), 2022, equity_financing_wan=200), 2023, equity_financing_wan=150),
                     2024, equity_financing_wan=150)
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route.code == "direct.equity"


def test_missing_rd_expense_makes_the_innovation_minimum_undecidable():
    # Without R&D: rd_ratio 0–20, so 创新能力 15–35 straddles its minimum 20 → NEEDS_REVIEW.
    firm = with_year(good_firm(), 2024, rd_expense_wan=None)
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "annual[2024].rd_expense_fen" in result.missing_inputs
    assert (result.score_min, result.score_max) == (75, 95)
    assert codes_passed(result)["score.innovation"] is None


def test_missing_equity_figures_leave_a_failing_score_undecided():
    # The score fails, but unknown equity could still open the direct route: never read missing as zero.
    firm = with_year(weak_firm(), 2023, equity_financing_wan=None)
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.missing_inputs == ("annual[2023].equity_financing_fen",)


def test_missing_judgement_that_cannot_change_the_outcome_still_decides():
    # Field 5–10 instead of 10: total 90–95, 专业化 25–30 ≥ 15 → ELIGIBLE regardless, the gap still reported.
    firm = replace(good_firm(), judgements=ExpertJudgements())
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.ELIGIBLE
    assert (result.score_min, result.score_max, result.total_score) == (90, 95, None)
    assert result.missing_inputs == ("judgements.main_product_in_strategic_emerging_industry",)


def test_total_above_60_but_growth_below_its_minimum_fails():
    """growth 1800/1810 − 1 < 0 → 0; debt 900/1500 = 60% → 5: 成长性 5 < 15.
    Total 35 + 5 + 30 = 70 ≥ 60, yet the category minimum fails → NOT_ELIGIBLE."""
    firm = with_year(with_year(good_firm(), 2023, main_business_revenue_wan=1810), 2024, total_liabilities_wan=900)
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.total_score == 70
    assert codes_passed(result)["score.growth"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


@pytest.mark.parametrize(
    ("boundary", "rd_points", "debt_points"),
    [("higher", 15, 10), ("lower", 10, 5)],
)
def test_values_exactly_on_band_edges(boundary, rd_points, debt_points):
    """R&D 60/2000 = 3% exactly: "3%–5%" (15) by the Guangdong reading, "2%–3%" (10) with boundary=lower.
    Debt 825/1500 = 55% exactly: "55%以下" (10) by default, "55%–75%" (5) with boundary=lower."""
    firm = with_year(good_firm(), 2024, rd_expense_wan=60, total_liabilities_wan=825)
    result = evaluate(TIER, firm, EVAL_2025, EvaluationOptions(boundary=boundary))
    points = {i.code: i.points for i in result.indicators}
    assert (points["rd_ratio"], points["debt_ratio"]) == (rd_points, debt_points)


def test_large_enterprise_is_not_an_sme():
    # 工业 large: X ≥ 1000 and Y ≥ 40000万 (REFERENCE §11).
    firm = with_year(good_firm(), 2024, employees=1200, operating_revenue_wan=50000, main_business_revenue_wan=45000,
                     rd_expense_wan=3000)
    result = evaluate(TIER, firm, EVAL_2025)
    assert codes_passed(result)["general.sme"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_ip_transferred_in_less_than_a_year_ago_does_not_count():
    # §1.1: transferred 2024-09-01, evaluated 2025-06-01 → under a year → no Ⅰ类 → ip 0, total 80.
    recent = invention("ZL201811564288.X", acquisition="transferred_in", transferred_in_on=date(2024, 9, 1))
    firm = replace(good_firm(), ip_holdings=(recent,))
    result = evaluate(TIER, firm, EVAL_2025)
    assert {i.code: i.points for i in result.indicators}["ip"] == 0
    assert result.total_score == 80


def test_old_invention_is_high_value_and_utility_model_needs_two_years():
    """Granted 2014-05-01 → maintained > 10 years → 高价值 → A 20 points (total 100).
    A utility model granted 2023-07-01 has < 2 years → not Ⅱ类 → 0 points when alone."""
    old = invention("ZL201410000000.1", granted_on=date(2014, 5, 1))
    assert evaluate(TIER, replace(good_firm(), ip_holdings=(old,)), EVAL_2025).total_score == 100
    young_utility = invention("ZL202320000000.0", kind="utility_model", granted_on=date(2023, 7, 1))
    old_utility = invention("ZL202120000000.0", kind="utility_model", granted_on=date(2021, 7, 1))
    young = evaluate(TIER, replace(good_firm(), ip_holdings=(young_utility,)), EVAL_2025)
    old_enough = evaluate(TIER, replace(good_firm(), ip_holdings=(old_utility,)), EVAL_2025)
    assert {i.code: i.points for i in young.indicators}["ip"] == 0
    assert {i.code: i.points for i in old_enough.indicators}["ip"] == 5
