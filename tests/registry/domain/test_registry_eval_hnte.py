"""高新技术企业 (most-2016-32/hnte): worked examples, hand-computed (REFERENCE §3).

Evaluated 2025-06-01: the last three accounting years are 2022, 2023, 2024. HNTE has no direct route; the
expert-judged parts are inputs, and until they are given the score is a range.
"""

from dataclasses import replace
from datetime import date

import pytest
from registry_eval_builders import EVAL_2025, codes_passed, inputs, invention, profile, with_year, year

from services.registry.domain.evaluation import EvaluationInputError, EvaluationOptions, Outcome, evaluate
from services.registry.domain.figures import ExpertJudgements

TIER = "hnte"

PASSING_PINS = {
    "tech_advancement": 8, "core_support": 6, "ip_quantity": 8, "ip_acquisition": 6,
    "conversion": 22,
    "rd_management_system": 6, "rd_institution_cooperation": 5, "conversion_incentives": 3, "talent_system": 3,
    "net_asset_growth": 8, "sales_growth": 6,
}  # 28 + 22 + 17 + 14 = 81


def firm(pins=None):
    """Conditions:
    h1 established 2015 → ≥ 365 days · h2 two self-developed inventions · h3 judged yes · h4 20/100 = 20% ≥ 10%
    h5 latest revenue 6000万 in (5000万, 2亿] → ≥ 4%: (200 + 250 + 300) / (4000 + 5000 + 6000) = 5%; domestic 100%
    h6 4000 / 6100 = 65.6% ≥ 60% · h8 no incident.
    Score bands before experts pin points:
      IP: A 7–8 · B 5–6 · Ⅰ类 7–8 · self-developed 1–6 · no standards 0          → 20–28 (cap 30)
      conversion (3 + 4 + 5) / 3 = 4 → "4项以上"                                  → 19–24
      management: expert-only                                                      → 0–20
      net assets 2000 → 2500 → 3125: ½(1.25 + 1.25) − 1 = 25% → 7–8
      sales 4000 → 5000 → 6000: ½(1.25 + 1.2) − 1 = 22.5% → 5–6                    → 12–14
    Total 51–86 around 71."""
    return inputs(
        year(2022, operating_revenue_wan=4000, rd_expense_wan=200, rd_expense_domestic_wan=200,
             total_assets_wan=3000, total_liabilities_wan=1000, tech_results_converted=3),
        year(2023, operating_revenue_wan=5000, rd_expense_wan=250, rd_expense_domestic_wan=250,
             total_assets_wan=3600, total_liabilities_wan=1100, tech_results_converted=4),
        year(2024, employees=100, tech_staff=20, operating_revenue_wan=6000, total_income_wan=6100,
             high_tech_product_revenue_wan=4000, rd_expense_wan=300, rd_expense_domestic_wan=300,
             total_assets_wan=4200, total_liabilities_wan=1075, tech_results_converted=5),
        ip=(invention("ZL202110182616.5"), invention("ZL202011167667.2")),
        judgements=ExpertJudgements(
            core_technology_in_supported_fields=True,
            hnte_technology_advancement_grade="A",
            hnte_core_support_grade="B",
            hnte_points=pins or {},
        ),
    )


def points(result):
    return {i.code: (i.points_min, i.points_max) for i in result.indicators}


def test_unpinned_score_is_a_range_and_needs_review():
    result = evaluate(TIER, firm(), EVAL_2025)
    assert result.rule_set_id == "most-2016-32/hnte"
    assert (result.score_min, result.score_max) == (51, 86)
    assert points(result)["net_asset_growth"] == (7, 8)
    assert points(result)["sales_growth"] == (5, 6)
    assert points(result)["conversion"] == (19, 24)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "judgements.hnte_points.rd_management_system" in result.missing_inputs
    assert "indicator.rd_management_system" in result.manual_reviews
    assert codes_passed(result)["h5.rd_ratio"] is True


def test_clear_pass_with_expert_points_81():
    result = evaluate(TIER, firm(PASSING_PINS), EVAL_2025)
    assert result.total_score == 81
    assert result.outcome is Outcome.ELIGIBLE
    assert result.direct_route is None


def test_pinned_points_below_the_mark_fail_58():
    pins = {**PASSING_PINS, "tech_advancement": 7, "core_support": 5, "ip_quantity": 7, "ip_acquisition": 2,
            "conversion": 19, "rd_management_system": 2, "rd_institution_cooperation": 2,
            "conversion_incentives": 1, "talent_system": 1, "net_asset_growth": 7, "sales_growth": 5}
    # 21 + 19 + 6 + 12 = 58 < 71
    result = evaluate(TIER, firm(pins), EVAL_2025)
    assert result.total_score == 58
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_score_that_cannot_reach_71_fails_without_expert_points():
    """Grades E/E (0, 0); Ⅰ类 7–8; self-developed 1–6; no conversions (0); management 0–20; growth 0 (flat
    figures) → at most 8 + 6 + 20 = 34 < 71: NOT_ELIGIBLE however the experts score."""
    flat = firm()
    for y in (2022, 2023, 2024):
        flat = with_year(flat, y, operating_revenue_wan=6000, total_assets_wan=4000, total_liabilities_wan=1000,
                         tech_results_converted=0, rd_expense_wan=300, rd_expense_domestic_wan=300)
    flat = replace(flat, judgements=replace(flat.judgements, hnte_technology_advancement_grade="E",
                                            hnte_core_support_grade="E"))
    result = evaluate(TIER, flat, EVAL_2025)
    assert result.score_max == 34
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_clear_fail_on_rd_ratio():
    # (200 + 250 + 100) / 15000 = 3.67% < 4%.
    result = evaluate(TIER, with_year(firm(PASSING_PINS), 2024, rd_expense_wan=100, rd_expense_domestic_wan=100), EVAL_2025)
    assert codes_passed(result)["h5.rd_ratio"] is False
    assert result.outcome is Outcome.NOT_ELIGIBLE


def test_domestic_rd_share_below_60_percent_fails():
    # (200 + 250 + 0) / 750 = 60% exactly passes; one 万元 less fails.
    exactly = with_year(firm(PASSING_PINS), 2024, rd_expense_domestic_wan=0)
    assert codes_passed(evaluate(TIER, exactly, EVAL_2025))["h5.domestic"] is True
    short = with_year(exactly, 2023, rd_expense_domestic_wan=249)
    assert codes_passed(evaluate(TIER, short, EVAL_2025))["h5.domestic"] is False


@pytest.mark.parametrize(
    ("latest_revenue", "rd_2024", "required", "passed"),
    [
        (5000, 250, "5%", True),  # 700 / 14000 = 5%: revenue exactly 5000万 is in "≤ 5000万元" → needs 5%
        (5000, 240, "5%", False),  # 690 / 14000 = 4.93% < 5%, although ≥ 4%
        ("5000.01", 240, "4%", True),  # just above 5000万 → "5000万元 < x ≤ 2亿元" → needs 4%
    ],
)
def test_rd_ratio_band_edge_at_5000_wan_is_fixed_by_the_text(latest_revenue, rd_2024, required, passed):
    data = with_year(firm(), 2024, operating_revenue_wan=latest_revenue, rd_expense_wan=rd_2024,
                     rd_expense_domestic_wan=rd_2024)
    for boundary in ("higher", "lower"):
        result = evaluate(TIER, data, EVAL_2025, EvaluationOptions(boundary=boundary))
        check = next(c for c in result.conditions if c.code == "h5.rd_ratio.required")
        assert required in check.label
        assert check.passed is passed


@pytest.mark.parametrize(("established", "passed"), [(date(2024, 6, 1), True), (date(2024, 6, 2), False)])
def test_registered_at_least_365_days(established, passed):
    result = evaluate(TIER, replace(firm(), profile=profile(established_on=established)), EVAL_2025)
    assert codes_passed(result)["h1"] is passed


def test_missing_total_income_needs_review():
    result = evaluate(TIER, with_year(firm(PASSING_PINS), 2024, total_income_wan=None), EVAL_2025)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.missing_inputs == ("annual[2024].total_income_fen",)


def test_expert_points_outside_the_band_are_refused():
    with pytest.raises(EvaluationInputError):
        evaluate(TIER, firm({**PASSING_PINS, "ip_quantity": 5}), EVAL_2025)  # Ⅰ类 band is 7–8


# --------------------------------------------------------------------------- growth-rate special cases (§3)


def growth_points(data, options=None):
    result = evaluate(TIER, data, EVAL_2025, options)
    return points(result)["net_asset_growth"], points(result)["sales_growth"]


def test_first_year_zero_uses_the_last_two_years():
    # 2022 sales 0 → 6000 / 5000 − 1 = 20% → 5–6.
    assert growth_points(with_year(firm(), 2022, operating_revenue_wan=0))[1] == (5, 6)


def test_second_year_zero_scores_zero():
    # 2023 net assets 3600 − 3600 = 0 → 0 points.
    assert growth_points(with_year(firm(), 2023, total_liabilities_wan=3600))[0] == (0, 0)


def test_negative_growth_scores_zero():
    shrinking = with_year(with_year(firm(), 2023, operating_revenue_wan=3000), 2024, operating_revenue_wan=2500)
    assert growth_points(shrinking)[1] == (0, 0)  # ½(0.75 + 0.833) − 1 < 0


def test_one_year_of_operation_scores_zero():
    young = replace(firm(), profile=profile(established_on=date(2024, 1, 10)))
    assert growth_points(young) == ((0, 0), (0, 0))


@pytest.mark.parametrize(("option", "sales"), [("two_year_ratio", (5, 6)), ("zero", (0, 0))])
def test_two_years_of_operation_is_configurable(option, sales):
    # Established 2023: sales 6000 / 5000 − 1 = 20% → 5–6 by the repo's reading [U], or 0.
    young = replace(firm(), profile=profile(established_on=date(2023, 3, 1)))
    assert growth_points(young, EvaluationOptions(hnte_two_year_growth=option))[1] == sales


def test_conversions_average_over_operating_years_only():
    # Established 2023: (4 + 5) / 2 = 4.5 → "4项以上" 19–24 (2022's figure is ignored).
    young = replace(with_year(firm(), 2022, tech_results_converted=0), profile=profile(established_on=date(2023, 3, 1)))
    assert points(evaluate(TIER, young, EVAL_2025))["conversion"] == (19, 24)


def test_expert_points_for_an_unknown_item_are_refused():
    with pytest.raises(EvaluationInputError, match="unknown items"):
        evaluate(TIER, firm({**PASSING_PINS, "conversions": 22}), EVAL_2025)
