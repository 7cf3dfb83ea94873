"""The invitation rules (domain.invitations), pure: answered once by the invited firm, a decline says why, and which
demands still take answers (a challenge up to and including its application deadline day)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.scenarios.domain.challenges import ChallengeStage
from services.scenarios.domain.invitations import (
    DeclineCode,
    DemandKind,
    DemandNoLongerOpen,
    InvitationStatus,
    answer,
    ensure_takes_invitations,
    takes_invitations,
)
from services.scenarios.domain.lifecycle import ReasonRequired, Role, RoleRefused, TransitionRefused
from services.scenarios.domain.scenarios import ScenarioStatus
from shared.errors import InvalidInput

TODAY = date(2026, 12, 3)


def test_the_invited_firm_accepts_or_declines_with_a_code_once() -> None:
    accepted = answer("pending", "accept", Role.INVITEE)
    assert (accepted.to_state, accepted.outcome) == (InvitationStatus.ACCEPTED, None)
    declined = answer("pending", "decline", Role.INVITEE, reason_code="no_capacity", reason="  ")
    assert (declined.to_state, declined.outcome, declined.reason) == (
        InvitationStatus.DECLINED, DeclineCode.NO_CAPACITY, None)
    for final in ("accepted", "declined"):
        for command in ("accept", "decline"):
            with pytest.raises(TransitionRefused):
                answer(final, command, Role.INVITEE, reason_code="other", reason="x")
    for part in (Role.OFFICER, Role.PUBLISHER, Role.APPLICANT, Role.SYSTEM):
        with pytest.raises(RoleRefused):
            answer("pending", "accept", part)


@pytest.mark.parametrize(("code", "reason", "field"), [
    (None, None, "reason_code"), ("busy", None, "reason_code"), ("other", None, "reason"), ("other", " ", "reason")])
def test_a_decline_without_a_fitting_reason_is_refused(code: str | None, reason: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        answer("pending", "decline", Role.INVITEE, reason_code=code, reason=reason)
    assert refused.value.field == field and not isinstance(refused.value, ReasonRequired)


def test_an_acceptance_carries_no_reason_code() -> None:
    with pytest.raises(InvalidInput) as refused:
        answer("pending", "accept", Role.INVITEE, reason_code="no_capacity")
    assert refused.value.field == "reason_code"


@pytest.mark.parametrize("status", list(ScenarioStatus))
def test_a_scenario_takes_answers_while_on_the_list_and_unmatched(status: ScenarioStatus) -> None:
    expected = status in (ScenarioStatus.PUBLISHED, ScenarioStatus.DOCKING)
    assert takes_invitations(DemandKind.SCENARIO, status, TODAY - timedelta(days=1), TODAY) is expected


@pytest.mark.parametrize("stage", list(ChallengeStage))
def test_a_challenge_takes_answers_until_its_application_deadline_day(stage: ChallengeStage) -> None:
    listed = stage in (ChallengeStage.PUBLISHED, ChallengeStage.APPLICATIONS_OPEN)
    assert takes_invitations("challenge", stage, TODAY, TODAY) is listed
    assert takes_invitations("challenge", stage, TODAY - timedelta(days=1), TODAY) is False
    if not listed:
        with pytest.raises(DemandNoLongerOpen) as refused:
            ensure_takes_invitations("challenge", stage, TODAY, TODAY)
        assert refused.value.field == "status"


def test_a_challenge_past_its_deadline_names_the_deadline() -> None:
    with pytest.raises(DemandNoLongerOpen) as refused:
        ensure_takes_invitations("challenge", "applications_open", TODAY - timedelta(days=1), TODAY)
    assert refused.value.field == "application_deadline"
