"""科技型中小企业 (most-2017-115/tech_sme): worked examples, hand-computed (REFERENCE §2).

Evaluated on 2025-06-01: 上年度 = 2024; "上一年及当年" = 2024-01-01 … 2025-06-01.
"""

from dataclasses import replace
from datetime import date

import pytest
from registry_eval_builders import (
    EVAL_2025,
    certification,
    codes_passed,
    inputs,
    invention,
    profile,
    software,
    with_year,
    year,
)

from services.registry.domain.evaluation import EvaluationOptions, Outcome, evaluate
from services.registry.domain.figures import CertificationKind, Honours, Incident, IncidentKind, TechSmeRdOption

TIER = "tech_sme"


def good_firm():
    """科技人员 15 / 50 = 30%           → "30%(含)以上"   20
    研发投入 (1) 120 / 2000 = 6%       → "6%(含)以上"    50   (option (2) 120 / 1000 = 12% → 10; the better counts)
    科技成果 1 Ⅰ类                                         30
    Total 100 ≥ 60 and 科技人员 ≠ 0; 50 ≤ 500 staff, 2000万 ≤ 2亿 revenue and 1500万 ≤ 2亿 assets → ELIGIBLE."""
    return inputs(
        year(2024, employees=50, tech_staff=15, operating_revenue_wan=2000, rd_expense_wan=120,
             total_cost_expense_wan=1000, total_assets_wan=1500),
        ip=(invention("ZL202110182616.5"),),
    )


def weak_firm():
    """科技人员 6 / 50 = 12% → 4 · R&D 20 / 2000 = 1% → 0 (cost option 20 / 1000 = 2% → 0) · no IP → 0. Total 4."""
    return with_year(replace(good_firm(), ip_holdings=()), 2024, tech_staff=6, rd_expense_wan=20)


def test_clear_pass_scores_100():
    result = evaluate(TIER, good_firm(), EVAL_2025)
    assert result.rule_set_id == "most-2017-115/tech_sme"
    assert result.outcome is Outcome.ELIGIBLE
    assert result.total_score == 100
    assert result.direct_route is None


def test_clear_fail_scores_4():
    result = evaluate(TIER, weak_firm(), EVAL_2025)
    assert result.total_score == 4
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_direct_confirmation_by_valid_hnte_certificate():
    firm = replace(weak_firm(), honours=Honours(certifications=(certification(CertificationKind.HNTE),)))
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route.code == "t5.direct.hnte"


def test_direct_route_does_not_override_basic_conditions():
    # 600 staff > 500: 第六条(二) fails, and direct confirmation requires (一)–(四) too.
    firm = replace(
        with_year(good_firm(), 2024, employees=600, tech_staff=180),
        honours=Honours(certifications=(certification(CertificationKind.HNTE),)),
    )
    result = evaluate(TIER, firm, EVAL_2025)
    assert codes_passed(result)["t2.employees"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_undeclared_incidents_need_review():
    firm = replace(good_firm(), profile=profile(incidents=None))
    result = evaluate(TIER, firm, EVAL_2025)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.missing_inputs == ("profile.incidents",)


def test_incident_last_year_fails_but_one_two_years_ago_does_not():
    recent = replace(good_firm(), profile=profile(incidents=(Incident(IncidentKind.QUALITY, date(2024, 3, 1)),)))
    older = replace(good_firm(), profile=profile(incidents=(Incident(IncidentKind.QUALITY, date(2023, 12, 31)),)))
    assert evaluate(TIER, recent, EVAL_2025).outcome is Outcome.NOT_ELIGIBLE
    assert evaluate(TIER, older, EVAL_2025).outcome is Outcome.ELIGIBLE


def test_tech_staff_below_ten_percent_fails_even_with_a_high_score():
    """科技人员 4 / 50 = 8% → 0 points; total 0 + 50 + 30 = 80 ≥ 60 but the 科技人员 score must not be 0."""
    result = evaluate(TIER, with_year(good_firm(), 2024, tech_staff=4), EVAL_2025)
    assert result.total_score == 80
    assert codes_passed(result)["t5.score.tech_staff"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


@pytest.mark.parametrize("boundary", ["higher", "lower"])
def test_inclusive_edges_are_fixed_by_the_text(boundary):
    """The table says "含": 科技人员 exactly 10% (5 / 50) → 4 points and R&D exactly 3% (60 / 2000) → 20 points,
    whatever the boundary option (it only governs ambiguous MIIT edges)."""
    firm = with_year(good_firm(), 2024, tech_staff=5, rd_expense_wan=60)
    firm = replace(firm, tech_sme_rd_option=TechSmeRdOption.REVENUE)
    result = evaluate(TIER, firm, EVAL_2025, EvaluationOptions(boundary=boundary))
    points = {i.code: i.points for i in result.indicators}
    assert (points["tech_staff"], points["rd_input"]) == (4, 20)


def test_declared_option_is_used_even_when_the_other_scores_more():
    # Declared (2): 120 / 1000 = 12% → "10%(含)–15%" 10 points, although (1) would give 50. Total 60 → pass.
    firm = replace(good_firm(), tech_sme_rd_option="cost")
    result = evaluate(TIER, firm, EVAL_2025)
    assert {i.code: i.points for i in result.indicators}["rd_input"] == 10
    assert result.total_score == 60
    assert result.outcome is Outcome.ELIGIBLE


def test_undeclared_option_with_one_measure_missing_is_a_range():
    """No option declared and 成本费用 missing: option (1) 2% → 10, option (2) unknown (0–50), so 研发投入 is 10–50.
    Total 20 + 10..50 + 0 = 30..70 around 60 → NEEDS_REVIEW."""
    firm = with_year(replace(good_firm(), ip_holdings=()), 2024, rd_expense_wan=40, total_cost_expense_wan=None)
    result = evaluate(TIER, firm, EVAL_2025)
    assert (result.score_min, result.score_max) == (30, 70)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "annual[2024].total_cost_expense_fen" in result.missing_inputs


def test_four_software_copyrights_score_24():
    firm = replace(good_firm(), ip_holdings=tuple(software(f"2021SR{n:07d}") for n in range(4)))
    assert {i.code: i.points for i in evaluate(TIER, firm, EVAL_2025).indicators}["ip"] == 24


def test_disputed_ip_does_not_count():
    firm = replace(good_firm(), ip_holdings=(invention("ZL202011167667.2", disputed=True),))
    assert {i.code: i.points for i in evaluate(TIER, firm, EVAL_2025).indicators}["ip"] == 0
