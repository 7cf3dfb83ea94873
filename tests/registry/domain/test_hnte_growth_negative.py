"""高新技术企业 企业成长性: a negative year is not the 工作指引's zero case (REFERENCE §3).

The guide (国科发火〔2016〕195号) switches to the last two years only when the first year's net assets or sales are
0, and scores 0 when the second year's are 0. A negative value in any of the three years makes the ratio
meaningless: the rate scores 0 and the evaluation lists it for manual review, with the doubt recorded [U].
Evaluated 2025-06-01: the three years are 2022, 2023, 2024; net assets = total assets − total liabilities.
"""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registry_eval_builders import EVAL_2025, inputs, invention, year

from services.registry.domain.evaluation import EvaluationInputError, evaluate
from services.registry.domain.evaluation.context import EvaluationContext
from services.registry.domain.evaluation.measures import HnteGrowthRate
from services.registry.domain.evaluation.model import EvaluationOptions, Purpose
from services.registry.domain.evaluation.registry import select_rule_set
from services.registry.domain.figures import ExpertJudgements

TIER = "hnte"
YEARS = (2022, 2023, 2024)


def firm(net_assets_wan: tuple[int, int, int], sales_wan: tuple[int, int, int] = (4000, 5000, 6000), pins=None):
    """Net assets given as total assets − liabilities, with liabilities of 1000万 every year."""
    return inputs(
        *(year(y, operating_revenue_wan=sales, total_assets_wan=assets + 1000, total_liabilities_wan=1000,
               employees=100, tech_staff=20, total_income_wan=6100, high_tech_product_revenue_wan=4000,
               rd_expense_wan=300, rd_expense_domestic_wan=300, tech_results_converted=3)
          for y, assets, sales in zip(YEARS, net_assets_wan, sales_wan, strict=True)),
        ip=(invention("ZL202110182616.5"),),
        judgements=ExpertJudgements(core_technology_in_supported_fields=True, hnte_points=pins or {}),
    )


def growth(result, code="net_asset_growth"):
    return next(i for i in result.indicators if i.code == code)


def test_a_negative_first_year_is_not_the_zero_case():
    # Before: −500 → 2000 → 2500 took the zero case's v3/v2 − 1 = 25% and scored 7–8.
    result = evaluate(TIER, firm((-500, 2000, 2500)), EVAL_2025)
    indicator = growth(result)
    assert (indicator.points_min, indicator.points_max) == (0, 0)
    assert "indicator.net_asset_growth" in result.manual_reviews
    assert "annual[2022].net_assets = -500万元 is negative" in indicator.doubt
    assert indicator.confidence.value == "U" and "for review" in indicator.band
    # The sales are ordinary: ½(1.25 + 1.2) − 1 = 22.5% → 5–6, awaiting only the panel's pin.
    sales = growth(result, "sales_growth")
    assert (sales.points_min, sales.points_max) == (5, 6) and "for review" not in sales.band


def test_shrinking_negative_net_assets_are_not_growth():
    # −500 → −300 → −100: the plain formula gives ½(0.6 + 0.333) − 1 < 0 here, but −100 → −500 … can read as growth;
    # neither is measured: 0 points, for review.
    for values in ((-500, -300, -100), (-100, -300, -500), (2000, -100, 2500), (2000, 2500, -100)):
        result = evaluate(TIER, firm(values), EVAL_2025)
        assert (growth(result).points_min, growth(result).points_max) == (0, 0), values
        assert "indicator.net_asset_growth" in result.manual_reviews, values


def test_the_zero_cases_stay_as_the_guide_writes_them():
    first_zero = evaluate(TIER, firm((0, 2000, 2500)), EVAL_2025)  # 2500 / 2000 − 1 = 25% → 7–8
    assert (growth(first_zero).points_min, growth(first_zero).points_max) == (7, 8)
    second_zero = evaluate(TIER, firm((2000, 0, 2500)), EVAL_2025)
    assert (growth(second_zero).points_min, growth(second_zero).points_max) == (0, 0)
    for result in (first_zero, second_zero):
        assert "for review" not in growth(result).band


def test_the_panel_may_pin_points_on_a_rate_sent_to_review():
    pinned = evaluate(TIER, firm((-500, 2000, 2500), pins={"net_asset_growth": 6}), EVAL_2025)
    assert growth(pinned).points == 6
    with pytest.raises(EvaluationInputError):
        evaluate(TIER, firm((-500, 2000, 2500), pins={"net_asset_growth": 11}), EVAL_2025)
    # An ordinary rate keeps its band: 25% is 7–8, not anything on the scale.
    with pytest.raises(EvaluationInputError):
        evaluate(TIER, firm((2000, 2500, 3125), pins={"net_asset_growth": 2}), EVAL_2025)


def test_the_reading_and_its_source_are_in_the_rule_set():
    rule_set = select_rule_set(TIER, EVAL_2025)
    assert any("195号" in doubt and "negative" in doubt for doubt in rule_set.doubts)


# --- properties ------------------------------------------------------------------------------------------------------

VALUES = st.integers(min_value=-10**6, max_value=10**6)  # net assets in 万元


def measured(values: tuple[int, int, int]):
    ctx = EvaluationContext(firm(values), EVAL_2025, EvaluationOptions(), Purpose.APPLICATION)
    return HnteGrowthRate("net_assets").measure(ctx)


@settings(max_examples=300, deadline=None)
@given(VALUES, VALUES, VALUES)
def test_any_negative_year_scores_zero_for_review(v1, v2, v3):
    result = measured((v1, v2, v3))
    if min(v1, v2, v3) < 0:
        assert result.value == 0 and result.review is not None
    else:
        assert result.review is None
        if v2 == 0:
            assert result.value == 0
        elif v1 == 0:
            assert result.value == Decimal(v3) / Decimal(v2) - 1
        else:
            assert result.value == (Decimal(v2) / Decimal(v1) + Decimal(v3) / Decimal(v2)) / 2 - 1


@settings(max_examples=60, deadline=None)
@given(st.tuples(VALUES, VALUES, VALUES).filter(lambda v: min(v) < 0))
def test_a_negative_year_never_earns_points_unless_the_panel_gives_them(values):
    result = evaluate(TIER, firm(values), EVAL_2025)
    assert (growth(result).points_min, growth(result).points_max) == (0, 0)
    assert "indicator.net_asset_growth" in result.manual_reviews


def test_two_years_of_operation_with_a_negative_year_scores_zero_for_review():
    young = replace(firm((0, -200, 300)), profile=replace(firm((0, 0, 0)).profile, established_on=EVAL_2025.replace(year=2023)))
    result = evaluate(TIER, young, EVAL_2025)
    assert (growth(result).points_min, growth(result).points_max) == (0, 0)
    assert "indicator.net_asset_growth" in result.manual_reviews
