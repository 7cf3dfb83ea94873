"""Property tests: band edges, monotonicity, and the soundness of three-valued evaluation with missing inputs."""

from dataclasses import fields, is_dataclass, replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from registry_eval_builders import EVAL_2025, with_year
from test_registry_eval_hnte import PASSING_PINS
from test_registry_eval_hnte import firm as hnte_firm
from test_registry_eval_innovative_sme import good_firm as innovative_good
from test_registry_eval_innovative_sme import weak_firm as innovative_weak
from test_registry_eval_little_giant import firm_2022 as little_giant_firm
from test_registry_eval_srdi import firm_2022 as srdi_firm
from test_registry_eval_tech_sme import good_firm as tech_good

from services.registry.domain.evaluation import Boundary, EvaluationOptions, Outcome, evaluate, list_rule_sets
from services.registry.domain.evaluation.bands import BandTable, PointRange, Side
from services.registry.domain.figures import AnnualFigures, wan

# ------------------------------------------------------------------------------------ every band table in the data


def band_tables(value, found=None):
    """Every BandTable reachable from the rule sets' data (scored indicators and banded requirements)."""
    found = [] if found is None else found
    if isinstance(value, BandTable):
        found.append(value)
        for band in value.bands:
            band_tables(band.award, found)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            band_tables(getattr(value, f.name), found)
    elif isinstance(value, tuple):
        for item in value:
            band_tables(item, found)
    return found


TABLES = [table for rule_set in list_rule_sets() for table in band_tables(rule_set)]
AMBIGUOUS_EDGES = [(table, index) for table in TABLES for index, band in enumerate(table.bands)
                   if band.floor is not None and band.floor_inclusive is None]
POINT_TABLES = [table for table in TABLES if isinstance(table.bands[0].award, PointRange)]


def test_the_data_has_ambiguous_edges_and_fixed_ones():
    assert len(AMBIGUOUS_EDGES) > 30  # every 63号文 table edge
    assert any(b.floor_inclusive is not None for t in TABLES for b in t.bands[1:])  # "含", "≥", "full years"


@given(st.sampled_from(AMBIGUOUS_EDGES))
def test_a_value_on_an_ambiguous_edge_takes_the_higher_band_by_default(edge):
    table, index = edge
    floor = table.bands[index].floor
    above, below = table.bands[index], table.bands[index - 1]
    higher, lower = (above, below) if table.higher_side is Side.ABOVE else (below, above)
    assert table.lookup(floor, Boundary.HIGHER) == higher
    assert table.lookup(floor, Boundary.LOWER) == lower
    if isinstance(higher.award, PointRange):
        assert higher.award.low > lower.award.low  # "higher" means more points, whichever way the table runs


def near_edges(table):
    floors = [band.floor for band in table.bands if band.floor is not None]
    step = max(abs(f) for f in floors) / 200 or Decimal("0.001")
    return st.builds(lambda floor, k: floor + k * step, st.sampled_from(floors), st.integers(-30, 30))


@given(data=st.data(), table=st.sampled_from(POINT_TABLES), boundary=st.sampled_from(list(Boundary)))
def test_points_move_one_way_with_the_value(data, table, boundary):
    first, second = sorted([data.draw(near_edges(table)), data.draw(near_edges(table))])
    low, high = table.lookup(first, boundary).award, table.lookup(second, boundary).award
    if table.higher_side is Side.ABOVE:  # more is better (R&D ratio …)
        assert low.low <= high.low
    else:  # less is better (资产负债率)
        assert low.low >= high.low


# ------------------------------------------------------------------------------------ engine-level properties

RD_FIRMS = {
    # tier → (firm with every input present, revenue in 万元 held fixed while R&D varies)
    "innovative_sme": (innovative_good, 2000),
    "tech_sme": (tech_good, 2000),
    "srdi_sme": (srdi_firm, 5000),
}


@settings(max_examples=60, deadline=None)
@given(
    tier=st.sampled_from(sorted(RD_FIRMS)),
    rd=st.lists(st.integers(0, wan(600)), min_size=2, max_size=2),
    boundary=st.sampled_from(list(Boundary)),
)
def test_raising_rd_never_lowers_the_score(tier, rd, boundary):
    build, _ = RD_FIRMS[tier]
    options = EvaluationOptions(boundary=boundary)
    totals = [
        evaluate(tier, with_year(build(), 2024, rd_expense_fen=amount), EVAL_2025, options).total_score
        for amount in sorted(rd)
    ]
    assert None not in totals
    assert totals[0] <= totals[1]


@given(
    floor_percent=st.sampled_from([1, 2, 3, 5]),
    revenue_hundred_wan=st.integers(1, 300),
)
def test_rd_ratio_exactly_on_an_edge_in_the_engine(floor_percent, revenue_hundred_wan):
    """创新型 indicator 2: a ratio exactly on 1/2/3/5% takes the band above by default, the band below with
    boundary="lower" (5%以上 20 · 3–5% 15 · 2–3% 10 · 1–2% 5 · 1%以下 0)."""
    points = {1: (5, 0), 2: (10, 5), 3: (15, 10), 5: (20, 15)}[floor_percent]
    revenue = wan(revenue_hundred_wan * 100)
    firm = with_year(innovative_good(), 2024, operating_revenue_fen=revenue, main_business_revenue_fen=revenue * 9 // 10,
                     rd_expense_fen=revenue * floor_percent // 100)
    got = tuple(
        next(i.points for i in evaluate("innovative_sme", firm, EVAL_2025, EvaluationOptions(boundary=b)).indicators
             if i.code == "rd_ratio")
        for b in ("higher", "lower")
    )
    assert got == points


FIRMS = {
    "innovative_sme/pass": ("innovative_sme", innovative_good),
    "innovative_sme/fail": ("innovative_sme", innovative_weak),
    "tech_sme/pass": ("tech_sme", tech_good),
    "srdi_sme/pass": ("srdi_sme", srdi_firm),
    "little_giant/pass": ("little_giant", little_giant_firm),
    "hnte/pass": ("hnte", lambda: hnte_firm(PASSING_PINS)),
}
ANNUAL_FIELDS = [f.name for f in fields(AnnualFigures) if f.name != "year"]


@settings(max_examples=150, deadline=None)
@given(case=st.sampled_from(sorted(FIRMS)), field=st.sampled_from(ANNUAL_FIELDS), year=st.sampled_from([2022, 2023, 2024]))
def test_removing_an_input_never_flips_a_decided_outcome(case, field, year):
    """Soundness of the three-valued logic: with one figure removed the outcome is the same, or NEEDS_REVIEW
    with the gap reported — never the opposite decision (missing data is never read as zero)."""
    tier, build = FIRMS[case]
    complete = build()
    before = evaluate(tier, complete, EVAL_2025)
    assert before.outcome is not Outcome.NEEDS_REVIEW
    if complete.figures_for(year) is None:
        return
    gapped = replace(complete, annual=tuple(replace(f, **{field: None}) if f.year == year else f for f in complete.annual))
    after = evaluate(tier, gapped, EVAL_2025)
    assert after.outcome in (before.outcome, Outcome.NEEDS_REVIEW)
    if after.outcome is Outcome.NEEDS_REVIEW:
        assert f"annual[{year}].{field}" in after.missing_inputs
