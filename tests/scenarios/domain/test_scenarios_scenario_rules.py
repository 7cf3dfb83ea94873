"""Scenario (产业链场景应用清单) rules: the lifecycle table, who may do what, reasons and closing outcomes, and the
content checks (services.scenarios.domain.scenarios)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from scenarios_builders import DEPARTMENT, TODAY, scenario

from services.scenarios.domain.lifecycle import ReasonRequired, Role, RoleRefused, TransitionRefused, reachable
from services.scenarios.domain.scenarios import (
    OUTCOMES_FROM,
    TRANSITIONS,
    VISIBLE_TO_PUBLIC,
    BudgetRange,
    DeadlinePassed,
    ScenarioCommand,
    ScenarioKind,
    ScenarioOutcome,
    ScenarioStatus,
    budget_range,
    check_publishable,
    ensure_accepts_interest,
    ensure_editable,
    transition,
)
from services.scenarios.domain.values import wan
from shared.errors import Conflict, InvalidInput

S, C, OUT = ScenarioStatus, ScenarioCommand, ScenarioOutcome
PUBLISHER, OFFICER, SYSTEM = Role.PUBLISHER, Role.OFFICER, Role.SYSTEM

# --- the happy path --------------------------------------------------------------------------------------------


def test_the_whole_life_of_a_scenario() -> None:
    steps = [
        (C.SUBMIT, PUBLISHER, {}),
        (C.APPROVE, OFFICER, {}),
        (C.PUBLISH, OFFICER, {}),
        (C.START_DOCKING, PUBLISHER, {}),
        (C.START_PILOT, OFFICER, {}),
        (C.SCALE_UP, PUBLISHER, {}),
        (C.CLOSE, OFFICER, {"reason": "两条产线已部署，进入首台套申报", "outcome": "scaled_up"}),
    ]
    state = S.DRAFT
    for command, role, extra in steps:
        change = transition(state, command, role, **extra)
        assert change.from_state is state and change.role is role
        state = change.to_state
    assert state is S.CLOSED
    assert change.outcome is OUT.SCALED_UP and change.reason == "两条产线已部署，进入首台套申报"


def test_rejection_returns_to_draft_with_the_reason() -> None:
    change = transition("submitted", "reject", "officer", reason="  预算区间过宽，请细化  ")
    assert change.to_state is S.DRAFT and change.reason == "预算区间过宽，请细化"
    assert change.aggregate == "scenario"


# --- refusals --------------------------------------------------------------------------------------------------


def test_an_illegal_transition_names_the_allowed_ones() -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(S.DRAFT, C.PUBLISH, OFFICER)
    error = refused.value
    assert isinstance(error, Conflict)
    assert error.field == "status"
    assert error.extra["current_status"] == "draft" and error.extra["command"] == "publish"
    assert error.extra["allowed"] == [
        {"command": "submit", "to": "submitted", "roles": ["publisher"], "reason_required": False},
        {"command": "withdraw", "to": "withdrawn", "roles": ["officer", "publisher"], "reason_required": True},
    ]
    assert "submit → submitted" in error.detail and "withdraw → withdrawn" in error.detail


def test_an_unknown_command_is_refused_like_an_illegal_one() -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(S.PUBLISHED, "promote", OFFICER)
    assert refused.value.extra["command"] == "promote"
    assert {a["command"] for a in refused.value.extra["allowed"]} == {"start_docking", "close", "withdraw"}


def test_a_final_state_allows_nothing() -> None:
    for final in (S.CLOSED, S.WITHDRAWN):
        with pytest.raises(TransitionRefused, match="it is final") as refused:
            transition(final, C.SUBMIT, PUBLISHER)
        assert refused.value.extra["allowed"] == []


def test_a_corrupt_state_is_not_a_refusal() -> None:
    with pytest.raises(ValueError):
        transition("archived", C.SUBMIT, PUBLISHER)


@pytest.mark.parametrize(("state", "command", "role"), [
    (S.DRAFT, C.SUBMIT, OFFICER),  # an officer does not submit a firm's scenario for it
    (S.SUBMITTED, C.APPROVE, PUBLISHER),  # nobody approves their own scenario
    (S.APPROVED, C.PUBLISH, PUBLISHER),
    (S.DOCKING, C.START_PILOT, SYSTEM),
    (S.DOCKING, C.CLOSE, SYSTEM),  # the job only closes what nobody answered
    (S.PILOT, C.SCALE_UP, Role.APPLICANT),
])
def test_the_wrong_role_is_refused_naming_the_right_ones(state: S, command: C, role: Role) -> None:
    with pytest.raises(RoleRefused) as refused:
        transition(state, command, role, reason="x")  # the role is checked before the reason and outcome
    assert refused.value.extra["roles_allowed"] == sorted(TRANSITIONS[state][command].roles)


def test_the_job_may_close_a_published_scenario_that_lapsed() -> None:
    change = transition(S.PUBLISHED, C.CLOSE, SYSTEM, reason="截止日已过，无人响应", outcome="need_lapsed")
    assert change.to_state is S.CLOSED and change.role is SYSTEM


def test_acting_in_several_parts_is_admitted_under_one_that_fits() -> None:
    change = transition(S.SUBMITTED, C.APPROVE, [PUBLISHER, OFFICER])
    assert change.role is OFFICER


@pytest.mark.parametrize(("state", "command"), [
    (S.SUBMITTED, C.REJECT), (S.DRAFT, C.WITHDRAW), (S.DOCKING, C.WITHDRAW), (S.PILOT, C.CLOSE)])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejection_withdrawal_and_closing_need_a_reason(state: S, command: C, reason: str | None) -> None:
    with pytest.raises(ReasonRequired) as refused:
        transition(state, command, OFFICER, reason=reason, outcome="validated" if command is C.CLOSE else None)
    assert refused.value.field == "reason"


def test_a_pilot_is_not_withdrawn_but_closed_with_its_outcome() -> None:
    with pytest.raises(TransitionRefused):
        transition(S.PILOT, C.WITHDRAW, PUBLISHER, reason="不做了")
    assert transition(S.PILOT, C.CLOSE, PUBLISHER, reason="试用未达标", outcome="pilot_failed").outcome is OUT.PILOT_FAILED


# --- closing outcomes ------------------------------------------------------------------------------------------


def test_closing_needs_an_outcome_that_fits_the_stage_reached() -> None:
    with pytest.raises(InvalidInput) as refused:
        transition(S.DOCKING, C.CLOSE, OFFICER, reason="x")
    assert refused.value.field == "outcome"
    assert refused.value.extra["outcomes_allowed"] == ["need_lapsed", "no_match"]
    with pytest.raises(InvalidInput, match="cannot have the outcome scaled_up"):
        transition(S.DOCKING, C.CLOSE, OFFICER, reason="x", outcome="scaled_up")
    with pytest.raises(InvalidInput, match="unknown outcome"):
        transition(S.DOCKING, C.CLOSE, OFFICER, reason="x", outcome="great")


def test_only_closing_records_an_outcome() -> None:
    with pytest.raises(InvalidInput) as refused:
        transition(S.DRAFT, C.SUBMIT, PUBLISHER, outcome="validated")
    assert refused.value.field == "outcome"


def test_every_stage_that_can_close_has_outcomes() -> None:
    closable = {state for state, steps in TRANSITIONS.items() if C.CLOSE in steps}
    assert closable == set(OUTCOMES_FROM)
    assert all(OUTCOMES_FROM[state] for state in closable)
    # "scaled up" only after a roll-out: the list never claims one that did not happen.
    assert [s for s, outcomes in OUTCOMES_FROM.items() if OUT.SCALED_UP in outcomes] == [S.SCALE_UP]


# --- editing and interest --------------------------------------------------------------------------------------


def test_only_a_draft_is_edited() -> None:
    ensure_editable("draft")
    with pytest.raises(Conflict) as refused:
        ensure_editable(S.SUBMITTED)
    assert refused.value.extra["states_allowed"] == ["draft"]


def test_interest_is_taken_while_published_or_docking() -> None:
    ensure_accepts_interest(S.PUBLISHED)
    ensure_accepts_interest(S.DOCKING)
    for state in set(S) - {S.PUBLISHED, S.DOCKING}:
        with pytest.raises(Conflict):
            ensure_accepts_interest(state)


# --- content ---------------------------------------------------------------------------------------------------


def test_a_scenario_is_normalised_when_built() -> None:
    content = scenario(title="  智能加药  ", capability_tags=["水处理", "水处理 ", "ＰＬＣ", "plc"], industry_chain=" ")
    assert content.title == "智能加药"
    assert content.capability_tags == ("水处理", "PLC")
    assert content.industry_chain is None


@pytest.mark.parametrize(("changes", "field"), [
    ({"sector": "tourism"}, "sector"),
    ({"cluster": "steel"}, "cluster"),
    ({"district_code": "330590"}, "district_code"),
    ({"district_code": "330500"}, "district_code"),
    ({"functional_zone": "moganshan"}, "functional_zone"),
    ({"title": " "}, "title"),
    ({"description": ""}, "description"),
    ({"deliverable": None}, "deliverable"),
    ({"deadline": "2026-09-30"}, "deadline"),
    ({"capability_tags": "机器视觉"}, "capability_tags"),
    ({"kind": "huge"}, "kind"),
    ({"budget": (1, 2)}, "budget"),
    ({"publisher": None}, "publisher"),
])
def test_bad_content_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        scenario(**changes)
    assert refused.value.field == field


def test_optional_content() -> None:
    content = scenario(cluster=None, budget=None, kind="high_value_niche", functional_zone="nantaihu",
                       publisher=DEPARTMENT, district_code="330502")
    assert content.kind is ScenarioKind.HIGH_VALUE_NICHE and content.budget is None


# --- budget ----------------------------------------------------------------------------------------------------


def test_a_budget_range_in_fen() -> None:
    assert BudgetRange(0, 0) == BudgetRange(0, 0)  # a fixed budget of nothing: a free trial
    assert BudgetRange(wan(50), wan(50)).max_fen == wan(50)


@pytest.mark.parametrize(("low", "high", "field"), [
    (wan(200), wan(50), "budget.max_fen"),
    (-1, wan(50), "budget.min_fen"),
    (0, -5, "budget.max_fen"),
    (1.5, 3, "budget.min_fen"),
    (True, 3, "budget.min_fen"),
    (0, "100", "budget.max_fen"),
])
def test_a_bad_budget_names_its_bound(low: object, high: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        budget_range(low, high)
    assert refused.value.field == field


# --- deadline --------------------------------------------------------------------------------------------------


def test_the_deadline_may_be_today_but_not_past() -> None:
    check_publishable(scenario(deadline=TODAY), TODAY)
    check_publishable(scenario(deadline=TODAY + timedelta(days=1)), TODAY)
    with pytest.raises(DeadlinePassed) as refused:
        check_publishable(scenario(deadline=TODAY - timedelta(days=1)), TODAY)
    assert refused.value.field == "deadline"
    assert "2026-05-19" in refused.value.detail


def test_a_draft_may_carry_a_past_deadline_until_it_is_published() -> None:
    content = scenario(deadline=date(2020, 1, 1))  # built: drafts sit, and are fixed before review
    with pytest.raises(DeadlinePassed):
        check_publishable(replace(content), TODAY)


def test_the_public_sees_what_went_on_the_list() -> None:
    assert VISIBLE_TO_PUBLIC == reachable(TRANSITIONS, S.PUBLISHED) - {S.WITHDRAWN}
    assert not VISIBLE_TO_PUBLIC & {S.DRAFT, S.SUBMITTED, S.APPROVED, S.WITHDRAWN}
    # closed is reached only from the list: a closed scenario was published
    assert all(S.CLOSED not in {step.to for step in TRANSITIONS[s].values()}
               for s in (S.DRAFT, S.SUBMITTED, S.APPROVED))
