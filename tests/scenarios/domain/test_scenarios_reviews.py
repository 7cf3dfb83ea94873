"""Expert review (专家评审): criteria and weights, score sheets, conflicts of interest, one sheet per reviewer,
what reviewers see, the trimmed mean and the ranking (services.scenarios.domain.reviews)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenarios_builders import LEAD, OTHER, PARTNER_A, PARTNER_B

from services.scenarios.domain.reviews import (
    AlreadyScored,
    Criterion,
    NotAssigned,
    ReviewRules,
    ReviewTemplate,
    Scored,
    aggregate,
    check_submission,
    rank,
    score_sheet,
    visible_sheets,
)
from shared.conflicts import (
    SAME_ORGANISATION,
    ConflictOfInterest,
    DeclaredTie,
    Reviewer,
    check_assignment,
    ties_between,
)
from shared.errors import Conflict, InvalidInput, PermissionDenied

TEMPLATE = ReviewTemplate((
    Criterion("route", "技术路线可行性", Decimal("0.40")),
    Criterion("team", "团队能力", Decimal("0.35"), max_score=Decimal(5)),
    Criterion("budget", "经费合理性", Decimal("0.25"), max_score=Decimal(100), min_score=Decimal(40)),
))


def sheet(reviewer: str = "r1", application: str = "a1", route: str = "8", team: str = "4", budget: str = "70"):
    return score_sheet(TEMPLATE, reviewer, application, {"route": route, "team": team, "budget": budget})


# --- template --------------------------------------------------------------------------------------------------


def test_weights_add_up_to_exactly_one() -> None:
    with pytest.raises(InvalidInput, match="add up to 0.99") as refused:
        ReviewTemplate((Criterion("a", "A", Decimal("0.50")), Criterion("b", "B", Decimal("0.49"))))
    assert refused.value.field == "criteria" and refused.value.extra["weight_total"] == "0.99"
    with pytest.raises(InvalidInput):  # out of 100 is written as fractions
        ReviewTemplate((Criterion("a", "A", Decimal(60)), Criterion("b", "B", Decimal(40))))


@pytest.mark.parametrize(("criterion", "field"), [
    ({"weight": Decimal(0)}, "weight"),
    ({"weight": 0.5}, "weight"),
    ({"max_score": Decimal(0)}, "max_score"),
    ({"key": " "}, "key"),
])
def test_a_bad_criterion_names_its_field(criterion: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Criterion(**{"key": "a", "name": "A", "weight": Decimal(1), **criterion})  # type: ignore[arg-type]
    assert refused.value.field == field


def test_criteria_are_unique_and_present() -> None:
    with pytest.raises(InvalidInput) as refused:
        ReviewTemplate((Criterion("a", "A", Decimal("0.5")), Criterion("a", "B", Decimal("0.5"))))
    assert refused.value.field == "criteria.1.key"
    with pytest.raises(InvalidInput):
        ReviewTemplate(())


# --- score sheets ----------------------------------------------------------------------------------------------


def test_a_sheets_total_weighs_each_criterion_over_its_own_range() -> None:
    # 100 × (0.40 × 8/10 + 0.35 × 4/5 + 0.25 × (70 − 40)/60) = 32 + 28 + 12.5
    assert sheet().total == Decimal("72.5000")
    assert sheet(route="10", team="5", budget="100").total == Decimal("100.0000")
    assert sheet(route="0", team="0", budget="40").total == Decimal("0.0000")


def test_a_total_is_rounded_half_up_to_four_decimals() -> None:
    thirds = ReviewTemplate((Criterion("a", "A", Decimal(1), max_score=Decimal(3)),))
    assert score_sheet(thirds, "r", "a", {"a": "1"}).total == Decimal("33.3333")
    assert score_sheet(thirds, "r", "a", {"a": "2"}).total == Decimal("66.6667")


@pytest.mark.parametrize(("scores", "field"), [
    ({"route": "8", "team": "4"}, "scores.budget"),
    ({"route": "8", "team": "4", "budget": "70", "bonus": "5"}, "scores.bonus"),
    ({"route": "10.5", "team": "4", "budget": "70"}, "scores.route"),
    ({"route": "-1", "team": "4", "budget": "70"}, "scores.route"),
    ({"route": "8", "team": "4", "budget": "39"}, "scores.budget"),  # below its own minimum
    ({"route": "8.125", "team": "4", "budget": "70"}, "scores.route"),  # at most 2 decimals
    ({"route": 8.5, "team": "4", "budget": "70"}, "scores.route"),  # never a float
    ({"route": "NaN", "team": "4", "budget": "70"}, "scores.route"),
])
def test_a_bad_sheet_names_the_score(scores: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        score_sheet(TEMPLATE, "r1", "a1", scores)
    assert refused.value.field == field


def test_scores_on_the_edges_of_their_range_are_taken() -> None:
    assert sheet(route="10", budget="40").total == sheet(route="10.00", budget="40.0").total
    assert score_sheet(TEMPLATE, "r", "a", {"route": "8.25", "team": "4", "budget": "70"}).scores["route"] == \
        Decimal("8.25")


# --- one sheet per reviewer, assigned only ---------------------------------------------------------------------


def test_a_reviewer_scores_what_they_are_assigned_once() -> None:
    assignments = {("r1", "a1"), ("r2", "a1")}
    first = sheet("r1", "a1")
    check_submission(first, assignments, [])
    check_submission(sheet("r2", "a1"), assignments, [first])  # another reviewer: fine
    with pytest.raises(AlreadyScored) as refused:
        check_submission(sheet("r1", "a1", route="9"), assignments, [first])
    assert isinstance(refused.value, Conflict) and refused.value.field == "scores"
    with pytest.raises(NotAssigned) as refused:
        check_submission(sheet("r3", "a1"), assignments, [])
    assert isinstance(refused.value, PermissionDenied)


def test_a_reviewer_sees_the_others_only_after_submitting() -> None:
    sheets = [sheet("r1"), sheet("r2", route="6")]
    assert visible_sheets("r3", sheets) == ()
    assert visible_sheets("r1", sheets) == tuple(sheets)


# --- conflicts of interest -------------------------------------------------------------------------------------


def test_an_independent_reviewer_is_assigned() -> None:
    check_assignment(Reviewer("r1"), LEAD, [PARTNER_A])
    check_assignment(Reviewer("r1", OTHER, (DeclaredTie(OTHER, "shareholder"),)), LEAD, [PARTNER_A])


@pytest.mark.parametrize(("reviewer", "party", "kind"), [
    (Reviewer("r", organisation_uscc=LEAD), "applicant", SAME_ORGANISATION),
    (Reviewer("r", organisation_uscc=PARTNER_A.lower()), "partner", SAME_ORGANISATION),
    (Reviewer("r", ties=(DeclaredTie(LEAD, "shareholder"),)), "applicant", "shareholder"),
    (Reviewer("r", ties=(DeclaredTie(PARTNER_B, "employment"),)), "partner", "employment"),
    (Reviewer("r", ties=(DeclaredTie(f" {PARTNER_A} ", "officer"),)), "partner", "officer"),
])
def test_a_tied_reviewer_is_refused(reviewer: Reviewer, party: str, kind: str) -> None:
    with pytest.raises(ConflictOfInterest) as refused:
        check_assignment(reviewer, LEAD, [PARTNER_A, PARTNER_B])
    assert refused.value.field == "reviewer_id"
    assert [(t["party"], t["kind"]) for t in refused.value.extra["ties"]] == [(party, kind)]


def test_every_tie_is_named() -> None:
    reviewer = Reviewer("r", organisation_uscc=PARTNER_A,
                        ties=(DeclaredTie(LEAD, "officer"), DeclaredTie(PARTNER_A, "employment")))
    found = ties_between(reviewer, LEAD, [PARTNER_A])
    assert [(t.uscc, t.party, t.kind) for t in found] == [
        (LEAD, "applicant", "officer"), (PARTNER_A, "partner", SAME_ORGANISATION),
        (PARTNER_A, "partner", "employment")]


def test_an_unknown_tie_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        DeclaredTie(LEAD, "friendship")
    assert refused.value.field == "kind"


# --- aggregation -----------------------------------------------------------------------------------------------


def D(*values: str) -> list[Decimal]:  # noqa: N802 — reads like the Decimal literals it builds
    return [Decimal(v) for v in values]


def test_fewer_than_five_scores_give_the_plain_mean() -> None:
    assert aggregate(D("80", "90")) == Decimal("85.0000")
    assert aggregate(D("70", "80", "90", "100")) == Decimal("85.0000")
    assert aggregate(D("60")) == Decimal("60.0000")


def test_five_or_more_drop_one_highest_and_one_lowest() -> None:
    assert aggregate(D("10", "80", "82", "84", "100")) == Decimal("82.0000")
    # only one of each extreme goes, even when shared
    assert aggregate(D("90", "90", "90", "60", "60")) == Decimal("80.0000")
    assert aggregate(D("70", "71", "72"), ReviewRules(trim_from=3)) == Decimal("71.0000")


def test_aggregation_needs_scores() -> None:
    with pytest.raises(ValueError):
        aggregate([])
    with pytest.raises(InvalidInput):
        aggregate([80.0])  # type: ignore[list-item]


totals = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False)


@given(st.lists(totals, min_size=1, max_size=15))
def test_the_score_lies_between_the_lowest_and_highest(scores: list[Decimal]) -> None:
    assert min(scores) <= aggregate(scores) <= max(scores)


@given(st.lists(totals, min_size=1, max_size=15), st.randoms(use_true_random=False))
def test_the_score_does_not_depend_on_the_order(scores: list[Decimal], shuffle: random.Random) -> None:
    shuffled = list(scores)
    shuffle.shuffle(shuffled)
    assert aggregate(shuffled) == aggregate(scores)


@given(st.lists(totals, min_size=5, max_size=15), totals)
def test_pushing_an_extreme_further_does_not_move_a_trimmed_mean(scores: list[Decimal], outlier: Decimal) -> None:
    ordered = sorted(scores)
    higher, lower = max(outlier, ordered[-1]), min(outlier, ordered[0])
    assert aggregate([*ordered[:-1], higher]) == aggregate(ordered)  # the highest is dropped, however high
    assert aggregate([lower, *ordered[1:]]) == aggregate(ordered)
    assert min(ordered[1:-1]) <= aggregate(scores) <= max(ordered[1:-1])


# --- ranking ---------------------------------------------------------------------------------------------------


def test_ranking_orders_by_score_and_marks_ties() -> None:
    ranking = rank([
        Scored("a1", PARTNER_B, tuple(D("70", "72"))),
        Scored("a2", LEAD, tuple(D("90", "88"))),
        Scored("a3", PARTNER_A, tuple(D("71", "71"))),
        Scored("a4", OTHER, ()),
    ])
    assert [(e.application_id, e.rank, e.score) for e in ranking.entries] == [
        ("a2", 1, Decimal("89.0000")), ("a3", 2, Decimal("71.0000")), ("a1", 3, Decimal("71.0000"))]
    assert [e.tie_broken for e in ranking.entries] == [False, True, True]
    # a3 and a1 tie on the mean; the USCC breaks it (both plain means equal too)
    assert ranking.unranked == ("a4",)
    assert ranking.position("a4") is None and ranking.position("a3").rank == 2


def test_a_tie_on_the_trimmed_mean_is_broken_by_the_plain_mean() -> None:
    ranking = rank([
        Scored("low-extremes", LEAD, tuple(D("10", "80", "80", "80", "90"))),  # trimmed 80, plain 68
        Scored("high-extremes", OTHER, tuple(D("70", "80", "80", "80", "100"))),  # trimmed 80, plain 82
    ])
    assert [e.application_id for e in ranking.entries] == ["high-extremes", "low-extremes"]
    assert all(e.trimmed and e.tie_broken and e.score == Decimal(80) for e in ranking.entries)


def test_min_sheets_leaves_thin_reviews_unranked() -> None:
    ranking = rank([Scored("a1", LEAD, tuple(D("80", "90"))), Scored("a2", OTHER, tuple(D("99")))],
                   ReviewRules(min_sheets=2))
    assert [e.application_id for e in ranking.entries] == ["a1"] and ranking.unranked == ("a2",)


@given(st.lists(st.tuples(st.sampled_from([LEAD, OTHER, PARTNER_A, PARTNER_B]),
                          st.lists(totals, min_size=1, max_size=7)), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_the_ranking_is_the_same_whatever_the_input_order(rows: list[tuple[str, list[Decimal]]],
                                                          shuffle: random.Random) -> None:
    scored = [Scored(f"a{i}", uscc, tuple(scores)) for i, (uscc, scores) in enumerate(rows)]
    again = list(scored)
    shuffle.shuffle(again)
    again = [Scored(s.application_id, s.lead_uscc, tuple(shuffle.sample(s.totals, len(s.totals)))) for s in again]
    first, second = rank(scored), rank(again)
    assert first == second
    assert [e.rank for e in first.entries] == list(range(1, len(scored) + 1))
    assert all(a.score >= b.score for a, b in zip(first.entries, first.entries[1:], strict=False))
