"""Seedling-pool entry rules and the growth-potential score (services.registry.domain.pools): pure, with
property-based tests on every threshold's edge."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain.dates import add_years
from services.registry.domain.evaluation import Outcome
from services.registry.domain.figures import wan
from services.registry.domain.pools import (
    DEFAULT_ENTRY_CRITERIA,
    Candidate,
    EntryCriteria,
    EntryFacts,
    GrowthCaps,
    GrowthFacts,
    GrowthScoring,
    GrowthWeights,
    Pool,
    PoolMove,
    PoolTransitionError,
    SeedCriteria,
    SeedlingCategory,
    assess_entry,
    classify_move,
    growth_score,
    screen,
    select_criteria,
)

ON = date(2026, 6, 30)
SEED_OK = EntryFacts(assessed_on=ON, figures_year=2025, established_on=date(2023, 1, 1), employees=40, rd_staff=2,
                     operating_revenue_fen=wan(1000), rd_expense_fen=wan(40), cumulative_financing_fen=wan(3000))
GOOD_OK = EntryFacts(assessed_on=ON, figures_year=2025, established_on=date(2012, 1, 1), employees=200, rd_staff=20,
                     operating_revenue_fen=wan(5000), rd_expense_fen=wan(250), cumulative_financing_fen=wan(500))


def _check(facts: EntryFacts, category: SeedlingCategory, criterion: str) -> bool | None:
    result = assess_entry(DEFAULT_ENTRY_CRITERIA, facts)
    return next(c.met for c in result.checks if c.category == category and c.criterion == criterion)


def _replace(facts: EntryFacts, **changes: object) -> EntryFacts:
    return EntryFacts(**{**facts.__dict__, **changes})


# --- entry: worked examples --------------------------------------------------------------------------------------


def test_a_young_small_research_firm_is_a_seed_only() -> None:
    result = assess_entry(DEFAULT_ENTRY_CRITERIA, SEED_OK)
    assert result.outcome == Outcome.ELIGIBLE
    assert result.categories == (SeedlingCategory.SEED,)  # 2 of 40 in R&D and 3000万元 raised: no 好苗子
    assert result.missing == ()


def test_an_older_research_heavy_firm_is_a_good_seedling() -> None:
    result = assess_entry(DEFAULT_ENTRY_CRITERIA, GOOD_OK)
    assert result.categories == (SeedlingCategory.GOOD_SEEDLING,)
    failed = {c.criterion for c in result.checks if c.met is False}
    assert failed == {"age", "employees", "operating_revenue"}


def test_a_firm_meeting_both_is_recorded_as_seed_first() -> None:
    both = _replace(SEED_OK, rd_staff=10, rd_expense_fen=wan(60), cumulative_financing_fen=0)
    result = assess_entry(DEFAULT_ENTRY_CRITERIA, both)
    assert result.categories == (SeedlingCategory.SEED, SeedlingCategory.GOOD_SEEDLING)
    assert result.category == SeedlingCategory.SEED


def test_missing_figures_leave_the_outcome_open_and_are_named() -> None:
    facts = EntryFacts(assessed_on=ON, established_on=date(2024, 1, 1))
    result = assess_entry(DEFAULT_ENTRY_CRITERIA, facts)
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert set(result.missing) == {"employees", "operating_revenue_fen", "rd_expense_fen", "rd_staff",
                                   "equity_financing_fen", "valuation_fen"}


def test_a_failed_check_closes_a_category_even_with_others_unknown() -> None:
    facts = EntryFacts(assessed_on=ON, established_on=date(2001, 1, 1), employees=500, rd_staff=1)
    result = assess_entry(DEFAULT_ENTRY_CRITERIA, facts)
    assert result.outcome == Outcome.NOT_ELIGIBLE and result.missing == ()


def test_financing_or_valuation_one_side_is_enough() -> None:
    over = _replace(GOOD_OK, cumulative_financing_fen=wan(2500))
    assert _check(over, SeedlingCategory.GOOD_SEEDLING, "financing_or_valuation") is None  # valuation unknown
    assert _check(_replace(over, valuation_fen=wan(15000)), SeedlingCategory.GOOD_SEEDLING,
                  "financing_or_valuation") is True
    assert _check(_replace(over, valuation_fen=wan(30000)), SeedlingCategory.GOOD_SEEDLING,
                  "financing_or_valuation") is False
    assert _check(_replace(GOOD_OK, cumulative_financing_fen=None, valuation_fen=wan(100)),
                  SeedlingCategory.GOOD_SEEDLING, "financing_or_valuation") is True


def test_research_without_revenue_meets_the_intensity_checks() -> None:
    pre_revenue = _replace(SEED_OK, operating_revenue_fen=0, rd_expense_fen=wan(50))
    assert _check(pre_revenue, SeedlingCategory.SEED, "rd_intensity") is True
    nothing = _replace(SEED_OK, operating_revenue_fen=0, rd_expense_fen=0)
    assert _check(nothing, SeedlingCategory.SEED, "rd_intensity") is False


def test_a_version_without_a_category_has_no_such_route() -> None:
    seed_only = EntryCriteria(version="seed-only", effective_from=date(2026, 1, 1), good_seedling=None)
    result = assess_entry(seed_only, GOOD_OK)
    assert result.outcome == Outcome.NOT_ELIGIBLE
    assert {c.category for c in result.checks} == {SeedlingCategory.SEED}


def test_criteria_version_in_force_is_chosen_by_date_or_by_name() -> None:
    later = EntryCriteria(version="huzhou-2026", effective_from=date(2026, 7, 1), seed=SeedCriteria(max_employees=50))
    assert select_criteria([later], date(2026, 6, 30)) == DEFAULT_ENTRY_CRITERIA
    assert select_criteria([later], date(2026, 7, 1)) == later
    assert select_criteria([later], date(2027, 1, 1), version="hangzhou-runmiao-2025") == DEFAULT_ENTRY_CRITERIA
    with pytest.raises(LookupError):
        select_criteria([later], ON, version="nope")


# --- entry: edges (the texts write ≤ and ≥, so each threshold is met on its edge) ---------------------------------


@given(st.integers(min_value=0, max_value=10_000))
def test_employees_edge(employees: int) -> None:
    assert _check(_replace(SEED_OK, employees=employees), SeedlingCategory.SEED, "employees") is (employees <= 100)


@given(st.integers(min_value=-5, max_value=5))
def test_revenue_edge(offset_fen: int) -> None:
    revenue = wan(2000) + offset_fen
    facts = _replace(SEED_OK, operating_revenue_fen=revenue, rd_expense_fen=wan(100))
    assert _check(facts, SeedlingCategory.SEED, "operating_revenue") is (offset_fen <= 0)


@given(st.integers(min_value=1, max_value=10**12), st.sampled_from([Decimal("0.03"), Decimal("0.05")]))
def test_rd_intensity_edge(revenue: int, floor: Decimal) -> None:
    exact = math.ceil(revenue * floor)  # the least R&D expense that reaches the floor
    category = SeedlingCategory.SEED if floor == Decimal("0.03") else SeedlingCategory.GOOD_SEEDLING
    at = _replace(SEED_OK, operating_revenue_fen=revenue, rd_expense_fen=exact)
    assert _check(at, category, "rd_intensity") is True
    if exact > 0:
        below = _replace(SEED_OK, operating_revenue_fen=revenue, rd_expense_fen=exact - 1)
        assert _check(below, category, "rd_intensity") is False


@given(st.integers(min_value=1, max_value=100_000))
def test_rd_staff_share_edge(employees: int) -> None:
    least = math.ceil(employees / 10)
    assert _check(_replace(GOOD_OK, employees=employees, rd_staff=least), SeedlingCategory.GOOD_SEEDLING,
                  "rd_staff_share") is True
    assert _check(_replace(GOOD_OK, employees=employees, rd_staff=least - 1), SeedlingCategory.GOOD_SEEDLING,
                  "rd_staff_share") is False


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_age_edge_is_five_calendar_years(assessed_on: date) -> None:
    edge = add_years(assessed_on, -5)  # 29 Feb falls back to 28 Feb
    assert edge.month == assessed_on.month and assessed_on.year - edge.year == 5
    assert _check(_replace(SEED_OK, assessed_on=assessed_on, established_on=edge), SeedlingCategory.SEED, "age")
    too_old = _replace(SEED_OK, assessed_on=assessed_on, established_on=edge - timedelta(days=1))
    assert _check(too_old, SeedlingCategory.SEED, "age") is False


def test_age_on_29_february() -> None:
    leap_day = date(2028, 2, 29)
    assert _check(_replace(SEED_OK, assessed_on=leap_day, established_on=date(2023, 2, 28)), SeedlingCategory.SEED,
                  "age") is True


@given(st.integers(min_value=-3, max_value=3))
def test_financing_edge(offset_fen: int) -> None:
    facts = _replace(GOOD_OK, cumulative_financing_fen=wan(2000) + offset_fen, valuation_fen=wan(20001))
    assert _check(facts, SeedlingCategory.GOOD_SEEDLING, "financing_or_valuation") is (offset_fen <= 0)


# --- moves -------------------------------------------------------------------------------------------------------


def test_moves_between_the_two_libraries() -> None:
    assert classify_move(None, Pool.SEEDLING) == PoolMove.ENTRY
    assert classify_move(Pool.SEEDLING, Pool.CULTIVATION) == PoolMove.PROMOTION
    assert classify_move(Pool.CULTIVATION, Pool.SEEDLING) == PoolMove.DEMOTION
    assert classify_move(Pool.SEEDLING, None) == PoolMove.EXIT
    assert classify_move(Pool.CULTIVATION, None) == PoolMove.EXIT
    for from_pool, to_pool in ((None, Pool.CULTIVATION), (None, None), (Pool.SEEDLING, Pool.SEEDLING),
                               (Pool.CULTIVATION, Pool.CULTIVATION)):
        with pytest.raises(PoolTransitionError):
            classify_move(from_pool, to_pool)


# --- growth-potential score --------------------------------------------------------------------------------------


def test_worked_example_of_the_documented_score() -> None:
    # R&D 10 % (full 35) + growth 100 % (full 30) + 2 of 5 IP (8) + 500 of 1000万元 (7.5) = 80.5
    facts = GrowthFacts(revenue_fen=wan(1000), previous_revenue_fen=wan(500), rd_expense_fen=wan(100),
                        equity_financing_fen=wan(500), ip_gained=2)
    assert growth_score(facts).score == Decimal("80.5000")


def test_missing_inputs_contribute_nothing() -> None:
    only_rd = GrowthFacts(revenue_fen=wan(1000), rd_expense_fen=wan(50))
    assert growth_score(only_rd).score == Decimal("17.5000")
    assert growth_score(GrowthFacts()).score == Decimal("0.0000")


def test_shrinking_revenue_scores_zero_growth_and_growth_from_zero_scores_full() -> None:
    assert growth_score(GrowthFacts(revenue_fen=wan(50), previous_revenue_fen=wan(100))).score == 0
    assert growth_score(GrowthFacts(revenue_fen=wan(50), previous_revenue_fen=0)).score == Decimal("30.0000")


def test_weights_are_normalised_and_validated() -> None:
    facts = GrowthFacts(revenue_fen=wan(1000), rd_expense_fen=wan(100))
    doubled = GrowthScoring(weights=GrowthWeights(Decimal("0.7"), Decimal("0.6"), Decimal("0.4"), Decimal("0.3")))
    assert growth_score(facts, doubled).score == growth_score(facts).score
    with pytest.raises(ValueError):
        GrowthWeights(Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    with pytest.raises(ValueError):
        GrowthWeights(rd_intensity=Decimal(-1))
    with pytest.raises(ValueError):
        GrowthCaps(ip_growth=0)


money = st.one_of(st.none(), st.integers(min_value=0, max_value=10**13))
growth_facts = st.builds(GrowthFacts, revenue_fen=money, previous_revenue_fen=money, rd_expense_fen=money,
                         equity_financing_fen=money, ip_gained=st.one_of(st.none(), st.integers(0, 1000)))


@given(growth_facts)
def test_score_lies_between_0_and_100(facts: GrowthFacts) -> None:
    assert Decimal(0) <= growth_score(facts).score <= Decimal(100)


@given(growth_facts, st.integers(min_value=1, max_value=10**10))
def test_more_rd_financing_or_ip_never_lowers_the_score(facts: GrowthFacts, extra: int) -> None:
    base = growth_score(facts).score
    assert growth_score(GrowthFacts(**{**facts.__dict__, "rd_expense_fen":
                                       (facts.rd_expense_fen or 0) + extra})).score >= base
    assert growth_score(GrowthFacts(**{**facts.__dict__, "equity_financing_fen":
                                       (facts.equity_financing_fen or 0) + extra})).score >= base
    assert growth_score(GrowthFacts(**{**facts.__dict__, "ip_gained": (facts.ip_gained or 0) + 1})).score >= base


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_components_stop_at_their_caps(revenue: int, times: int) -> None:
    at_cap = GrowthFacts(revenue_fen=revenue, rd_expense_fen=revenue, equity_financing_fen=wan(1000), ip_gained=5,
                         previous_revenue_fen=max(revenue // 2, 1))
    beyond = GrowthFacts(revenue_fen=revenue, rd_expense_fen=revenue * times, equity_financing_fen=wan(1000) * times,
                         ip_gained=5 * times, previous_revenue_fen=max(revenue // 2, 1))
    assert growth_score(beyond).score == growth_score(at_cap).score


# --- ranking and quotas ------------------------------------------------------------------------------------------


def _candidate(i: int, district: str, rd_wan: int) -> Candidate:
    return Candidate(key=f"id-{i}", uscc=f"USCC{i:04d}", district_code=district,
                     facts=GrowthFacts(revenue_fen=wan(1000), rd_expense_fen=wan(rd_wan)))


candidates = st.lists(
    st.builds(lambda i, d, rd: (i, d, rd), st.integers(0, 9999), st.sampled_from(["330502", "330503", "330521"]),
              st.integers(0, 200)),
    max_size=40, unique_by=lambda t: t[0],
).map(lambda items: [_candidate(i, d, rd) for i, d, rd in items])
quotas = st.dictionaries(st.sampled_from(["330502", "330503", "330523"]), st.integers(0, 10))


@given(candidates, quotas, st.randoms(use_true_random=False))
def test_screening_promotes_the_top_of_each_district_within_its_quota(cands: list[Candidate], q: dict[str, int],
                                                                       rnd) -> None:  # type: ignore[no-untyped-def]
    outcome = screen(cands, q)
    for district in {c.district_code for c in cands} | set(q):
        ranked = [r for r in outcome.ranked if r.candidate.district_code == district]
        assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
        promoted = [r for r in ranked if r.promoted]
        assert len(promoted) == min(q.get(district, 0), len(ranked))
        if promoted and len(promoted) < len(ranked):
            assert min(r.score.score for r in promoted) >= max(r.score.score for r in ranked if not r.promoted)
        keys = [(-r.score.score, r.candidate.uscc) for r in ranked]
        assert keys == sorted(keys)  # ties rank by USCC
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    assert screen(shuffled, q) == outcome  # the input order never matters


def test_screening_reason_names_rank_score_and_quota() -> None:
    outcome = screen([_candidate(1, "330502", 100), _candidate(2, "330502", 50)], {"330502": 1})
    first, second = outcome.ranked
    assert first.reason(2026) == ("2026 annual screening: growth-potential score 35.0000, rank 1 in district 330502 "
                                  "under a quota of 1; promoted to 培育库")
    assert second.reason(2026).endswith("rank 2 in district 330502 under a quota of 1; not promoted")
    with pytest.raises(ValueError):
        screen([], {"330502": -1})
