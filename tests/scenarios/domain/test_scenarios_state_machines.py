"""Every lifecycle of the scenarios service as a pure state machine: random walks of commands (any command, any
part, with or without a reason) never reach an illegal state, and the tables themselves have no unreachable
state, no dead end and no target outside the state set."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from services.scenarios.domain import applications, challenges, invitations, scenarios
from services.scenarios.domain.lifecycle import (
    Change,
    ReasonRequired,
    Role,
    RoleRefused,
    TransitionRefused,
    allowed,
    final_states,
    reachable,
)
from shared.errors import DomainError, InvalidInput


@dataclass(frozen=True)
class Machine:
    name: str
    table: Mapping[Any, Mapping[Any, Any]]
    states: type[StrEnum]
    commands: type[StrEnum]
    initial: StrEnum
    finals: frozenset[StrEnum]
    apply: Callable[..., Change]  # (state, command, roles, reason, extra) -> Change
    extra: st.SearchStrategy[dict[str, Any]]  # aggregate-specific arguments (outcome, reason code)


MACHINES = [
    Machine("scenario", scenarios.TRANSITIONS, scenarios.ScenarioStatus, scenarios.ScenarioCommand,
            scenarios.ScenarioStatus.DRAFT,
            frozenset({scenarios.ScenarioStatus.CLOSED, scenarios.ScenarioStatus.WITHDRAWN}),
            lambda state, command, roles, reason, extra: scenarios.transition(state, command, roles, reason=reason,
                                                                              **extra),
            st.fixed_dictionaries({"outcome": st.sampled_from([None, *scenarios.ScenarioOutcome])})),
    Machine("challenge", challenges.TRANSITIONS, challenges.ChallengeStage, challenges.ChallengeCommand,
            challenges.ChallengeStage.DRAFTING, frozenset({challenges.ChallengeStage.CLOSED}),
            lambda state, command, roles, reason, extra: challenges.transition(state, command, roles, reason=reason),
            st.just({})),
    Machine("application", applications.TRANSITIONS, applications.ApplicationStatus,
            applications.ApplicationCommand, applications.ApplicationStatus.SUBMITTED,
            frozenset({applications.ApplicationStatus.APPOINTED, applications.ApplicationStatus.NOT_SHORTLISTED,
                       applications.ApplicationStatus.NOT_APPOINTED, applications.ApplicationStatus.WITHDRAWN}),
            lambda state, command, roles, reason, extra: applications.transition(state, command, roles,
                                                                                 reason=reason, **extra),
            st.fixed_dictionaries({"reason_code": st.sampled_from([None, *applications.DeclineCode])})),
    Machine("milestone", challenges.MILESTONE_TRANSITIONS, challenges.MilestoneStatus, challenges.MilestoneCommand,
            challenges.MilestoneStatus.PENDING,
            frozenset({challenges.MilestoneStatus.PASSED, challenges.MilestoneStatus.FAILED,
                       challenges.MilestoneStatus.WAIVED}),
            lambda state, command, roles, reason, extra: challenges.milestone_transition(state, command, roles,
                                                                                         reason=reason),
            st.just({})),
    Machine("invitation", invitations.TRANSITIONS, invitations.InvitationStatus, invitations.InvitationCommand,
            invitations.InvitationStatus.PENDING,
            frozenset({invitations.InvitationStatus.ACCEPTED, invitations.InvitationStatus.DECLINED}),
            lambda state, command, roles, reason, extra: invitations.answer(state, command, roles, reason=reason,
                                                                            **extra),
            st.fixed_dictionaries({"reason_code": st.sampled_from([None, *invitations.DeclineCode])})),
]
BY_NAME = {m.name: m for m in MACHINES}


def command_strategy(machine: Machine) -> st.SearchStrategy[str]:
    # Mostly real commands, sometimes one the machine has never heard of (as a client might send).
    return st.one_of(st.sampled_from(list(machine.commands)), st.sampled_from(["promote", "reopen", ""]))


roles = st.one_of(st.sampled_from(list(Role)), st.frozensets(st.sampled_from(list(Role)), max_size=3))
reasons = st.sampled_from([None, "", "  ", "依据评审意见"])


@pytest.mark.parametrize("name", sorted(BY_NAME))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_sequence_of_commands_reaches_an_illegal_state(name: str, data: st.DataObject) -> None:
    machine = BY_NAME[name]
    state: StrEnum = machine.initial
    visited = [state]
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        options = machine.table[state]
        # A fully random walk rarely gets past the first refusals, and a walk of random legal commands mostly ends
        # in the first withdrawal: so a step is random, or a legal command, or a legal one that does not end the
        # life, in a part that may give it. Walks then reach every state (see --hypothesis-show-statistics).
        mode = data.draw(st.sampled_from(["random", "legal", "onward"]), label="mode") if options else "random"
        if mode != "random":
            onward = [c for c, step in options.items() if step.to not in machine.finals]
            command = data.draw(st.sampled_from(onward if mode == "onward" and onward else list(options)),
                                label="command")
            acting = data.draw(st.sampled_from(sorted(options[command].roles)), label="roles")
            reason = "依据评审意见"
        else:
            command = data.draw(command_strategy(machine), label="command")
            acting = data.draw(roles, label="roles")
            reason = data.draw(reasons, label="reason")
        extra = data.draw(machine.extra, label="extra")
        step = machine.table[state].get(command)  # what the table says, looked up independently
        acting_set = {acting} if isinstance(acting, Role) else set(acting)
        try:
            change = machine.apply(state, command, acting, reason, extra)
        except DomainError as refusal:
            # Refused without change; and refused for the right reason.
            if step is None:
                assert isinstance(refusal, TransitionRefused)
                assert refusal.extra["allowed"] == allowed(machine.table, state)
            elif not acting_set & step.roles:
                assert isinstance(refusal, RoleRefused)
            elif step.reason_required and not (reason and reason.strip()):
                assert isinstance(refusal, ReasonRequired)
            else:
                # The aggregate's own check: an outcome, a reason code, or the words that the code "other" needs.
                assert isinstance(refusal, InvalidInput)
                assert refusal.field in {"outcome", "reason_code", "reason"}
            continue
        assert step is not None, f"{state} accepted {command}, which its table does not have"
        assert change.from_state is state
        assert change.to_state is step.to and change.to_state in set(machine.states)
        assert change.role in step.roles and change.role in acting_set
        assert not step.reason_required or change.reason
        state = change.to_state
        visited.append(state)
    assert all(s in machine.table for s in visited)
    for seen in sorted(set(visited)):  # --hypothesis-show-statistics: how deep the walks get
        event(f"{name} visited {seen}")


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_the_table_covers_every_state_and_targets_only_states(machine: Machine) -> None:
    assert set(machine.table) == set(machine.states)
    for steps in machine.table.values():
        assert set(steps) <= set(machine.commands)
        for step in steps.values():
            assert step.to in set(machine.states) and step.roles


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_state_is_reachable_and_every_life_can_end(machine: Machine) -> None:
    assert reachable(machine.table, machine.initial) == set(machine.states)
    assert final_states(machine.table, machine.states) == machine.finals
    for state in machine.states:
        assert reachable(machine.table, state) & machine.finals, f"{state} cannot reach an end"


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_command_is_used_somewhere(machine: Machine) -> None:
    used = {command for steps in machine.table.values() for command in steps}
    assert used == set(machine.commands)


def test_the_paths_the_issue_names() -> None:
    # Scenario: draft → submitted → approved → published → docking → pilot → scale-up / closed / withdrawn
    s = scenarios.ScenarioStatus
    assert reachable(scenarios.TRANSITIONS, s.PILOT) == {s.PILOT, s.SCALE_UP, s.CLOSED}
    assert scenarios.TRANSITIONS[s.SUBMITTED][scenarios.ScenarioCommand.REJECT].to is s.DRAFT
    # Challenge: acceptance passed or failed, then closed
    g = challenges.ChallengeStage
    assert {step.to for step in challenges.TRANSITIONS[g.MILESTONES].values()} == {g.ACCEPTANCE_PASSED,
                                                                                   g.ACCEPTANCE_FAILED}
    # Application: submitted → shortlisted / not shortlisted → under review → appointed / not appointed
    a = applications.ApplicationStatus
    assert {step.to for step in applications.TRANSITIONS[a.SUBMITTED].values()} == {a.SHORTLISTED,
                                                                                    a.NOT_SHORTLISTED, a.WITHDRAWN}
    assert {step.to for step in applications.TRANSITIONS[a.UNDER_REVIEW].values()} == {a.APPOINTED,
                                                                                       a.NOT_APPOINTED, a.WITHDRAWN}


def test_reasons_are_required_where_the_issue_says() -> None:
    def needs_reason(table: Mapping[Any, Mapping[Any, Any]], command: StrEnum) -> set[bool]:
        return {steps[command].reason_required for steps in table.values() if command in steps}

    assert needs_reason(scenarios.TRANSITIONS, scenarios.ScenarioCommand.REJECT) == {True}
    assert needs_reason(scenarios.TRANSITIONS, scenarios.ScenarioCommand.WITHDRAW) == {True}
    assert needs_reason(scenarios.TRANSITIONS, scenarios.ScenarioCommand.CLOSE) == {True}
    assert needs_reason(challenges.TRANSITIONS, challenges.ChallengeCommand.CANCEL) == {True}
    assert needs_reason(challenges.TRANSITIONS, challenges.ChallengeCommand.FAIL_ACCEPTANCE) == {True}
    assert needs_reason(applications.TRANSITIONS, applications.ApplicationCommand.DECLINE) == {True}
    assert needs_reason(applications.TRANSITIONS, applications.ApplicationCommand.REJECT) == {True}
