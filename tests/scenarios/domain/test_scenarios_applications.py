"""Applications to a challenge (揭榜申报): the consortium, proposal, budget and team; what submitting needs
(open window, eligibility, consortium, commitment); the lifecycle with structured reasons; appointment under the
team count; the reasons every applicant not chosen gets (services.scenarios.domain.applications)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from scenarios_builders import LEAD, OTHER, PARTNER_A, PARTNER_B, TODAY, application, member, terms

from services.scenarios.domain.applications import (
    ApplicationCommand,
    ApplicationStatus,
    DeclineCode,
    NotChosen,
    NotEligible,
    Partner,
    TeamsFull,
    check_application,
    check_appointment,
    decline,
    partner,
    reasons_not_chosen,
    reasons_on_cancellation,
    team_member,
    transition,
)
from services.scenarios.domain.challenges import ApplicationsClosed, ChallengeRules, ChallengeStage
from services.scenarios.domain.eligibility import EnterpriseFacts, evaluate
from services.scenarios.domain.lifecycle import ReasonRequired, Role, RoleRefused, TransitionRefused
from services.scenarios.domain.reviews import ReviewRules, Scored, rank
from services.scenarios.domain.values import wan
from shared.errors import Conflict, InvalidInput

S, C, D = ApplicationStatus, ApplicationCommand, DeclineCode
OFFICER, APPLICANT = Role.OFFICER, Role.APPLICANT
OPEN = ChallengeStage.APPLICATIONS_OPEN

ELIGIBLE = EnterpriseFacts(uscc=LEAD, district_code="330522", held_tiers=frozenset({"tech_innovative_sme"}))


def submit(content=None, *, stage=OPEN, today=TODAY, facts=ELIGIBLE, challenge=None, rules=ChallengeRules()):
    content = content or application()
    challenge = challenge or terms()
    check_application(content, terms=challenge, stage=stage, today=today,
                      eligibility=evaluate(challenge.eligibility, facts), rules=rules)


# --- content ---------------------------------------------------------------------------------------------------


def test_a_consortium_application_is_well_formed() -> None:
    content = application()
    assert content.is_consortium and content.partner_usccs == (PARTNER_A,)
    alone = application(partners=(), team=(member(),))
    assert not alone.is_consortium


@pytest.mark.parametrize(("changes", "field"), [
    ({"lead_uscc": "91330502MA00000000"}, "lead_uscc"),
    ({"summary": " "}, "summary"),
    ({"technical_route": ""}, "technical_route"),
    ({"budget_fen": 0}, "budget_fen"),
    ({"requested_fen": wan(700)}, "requested_fen"),  # more than the project's own budget
    ({"requested_fen": 1.5}, "requested_fen"),
    ({"team": ()}, "team"),
    ({"team": (member(role="core"),)}, "team"),  # no lead
    ({"team": (member(), member("赵工"))}, "team.1.role"),  # two leads
    ({"team": (member(), member("钱工", "core", OTHER))}, "team.1.organisation_uscc"),  # not in the consortium
    ({"team": ("王工",)}, "team.0"),
    ({"partners": (Partner(LEAD, "自己", "co_developer", "x"),)}, "partners.0.uscc"),
    ({"partners": (Partner(PARTNER_A, "甲", "university", "x"), Partner(PARTNER_A, "甲", "university", "y"))},
     "partners.1.uscc"),
    ({"partners": ("浙江某大学",)}, "partners.0"),
])
def test_bad_content_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        application(**changes)
    assert refused.value.field == field


def test_partners_and_members_built_from_requests_are_placed() -> None:
    with pytest.raises(InvalidInput) as refused:
        partner(1, uscc=PARTNER_B, name="乙", role="bank", responsibility="融资")
    assert refused.value.field == "partners.1.role"
    with pytest.raises(InvalidInput) as refused:
        team_member(0, name="", role="lead", organisation_uscc=LEAD)
    assert refused.value.field == "team.0.name"


# --- submitting ------------------------------------------------------------------------------------------------


def test_an_eligible_application_in_the_window_is_taken() -> None:
    submit()
    submit(today=terms().application_deadline)  # the deadline day itself


def test_an_application_after_closing_is_refused() -> None:
    with pytest.raises(ApplicationsClosed) as refused:
        submit(today=terms().application_deadline + timedelta(days=1))
    assert refused.value.field == "application_deadline"
    with pytest.raises(ApplicationsClosed) as refused:
        submit(stage=ChallengeStage.SHORTLISTING)
    assert refused.value.field == "status"


def test_an_enterprise_below_the_tier_is_refused_with_every_failing_rule() -> None:
    below = EnterpriseFacts(uscc=LEAD, district_code="330503", held_tiers=frozenset())
    with pytest.raises(NotEligible) as refused:
        submit(facts=below)
    error = refused.value
    assert isinstance(error, InvalidInput) and error.field == "lead_uscc"
    assert [rule["rule"] for rule in error.extra["failed_rules"]] == ["min_tier", "areas"]
    assert error.extra["failed_rules"][0]["reason"] == "requires at least tech_sme; the enterprise holds no tier"
    assert "min_tier" in error.detail and "areas" in error.detail


def test_the_eligibility_checked_must_be_the_leads() -> None:
    with pytest.raises(ValueError):
        submit(facts=EnterpriseFacts(uscc=OTHER, held_tiers=frozenset({"srdi_sme"}), district_code="330522"))


def test_a_consortium_only_where_the_challenge_allows_one() -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(challenge=terms(allow_consortium=False))
    assert refused.value.field == "partners"
    submit(application(partners=(), team=(member(),)), challenge=terms(allow_consortium=False))
    with pytest.raises(InvalidInput) as refused:
        submit(application(partners=(Partner(PARTNER_A, "甲", "university", "x"),
                                     Partner(PARTNER_B, "乙", "user", "验证"))),
               rules=ChallengeRules(max_partners=1))
    assert refused.value.field == "partners"


def test_the_commitment_is_signed_unless_the_programme_drops_it() -> None:
    unsigned = application(commitment_signed=False)
    with pytest.raises(InvalidInput) as refused:
        submit(unsigned)
    assert refused.value.field == "commitment_signed"
    submit(unsigned, rules=ChallengeRules(require_commitment=False))


def test_no_more_of_the_bounty_than_there_is() -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(application(budget_fen=wan(1000), requested_fen=wan(501)))
    assert refused.value.field == "requested_fen"


# --- lifecycle and structured reasons --------------------------------------------------------------------------


def test_the_life_of_an_appointed_application() -> None:
    state = S.SUBMITTED
    for command in (C.SHORTLIST, C.START_REVIEW, C.APPOINT):
        state = transition(state, command, OFFICER).to_state
    assert state is S.APPOINTED
    with pytest.raises(TransitionRefused, match="it is final"):
        transition(state, C.WITHDRAW, APPLICANT)


def test_turning_away_needs_a_fitting_code_and_a_reason() -> None:
    change = transition(S.SUBMITTED, C.REJECT, OFFICER, reason="缺少承诺书", reason_code="incomplete")
    assert change.to_state is S.NOT_SHORTLISTED and change.outcome is D.INCOMPLETE
    with pytest.raises(InvalidInput) as refused:
        transition(S.SUBMITTED, C.REJECT, OFFICER, reason="缺少承诺书")
    assert refused.value.field == "reason_code" and "incomplete" in refused.value.extra["codes_allowed"]
    with pytest.raises(ReasonRequired):
        transition(S.UNDER_REVIEW, C.DECLINE, OFFICER, reason_code="ranked_below")
    with pytest.raises(InvalidInput, match="does not fit reject"):
        transition(S.SUBMITTED, C.REJECT, OFFICER, reason="x", reason_code="ranked_below")
    with pytest.raises(InvalidInput, match="unknown reason code"):
        transition(S.SUBMITTED, C.REJECT, OFFICER, reason="x", reason_code="vibes")
    with pytest.raises(InvalidInput) as refused:
        transition(S.SUBMITTED, C.SHORTLIST, OFFICER, reason_code="other")
    assert refused.value.field == "reason_code"


def test_decline_picks_the_command_for_the_stage() -> None:
    why = NotChosen("challenge_cancelled", "the challenge was cancelled: 流榜")
    assert decline(S.SUBMITTED, why).to_state is S.NOT_SHORTLISTED
    assert decline(S.SHORTLISTED, why).to_state is S.NOT_APPOINTED
    assert decline(S.UNDER_REVIEW, why).outcome is D.CHALLENGE_CANCELLED
    with pytest.raises(TransitionRefused):
        decline(S.WITHDRAWN, why)
    with pytest.raises(InvalidInput) as refused:
        NotChosen("ranked_below", " ")
    assert refused.value.field == "reason"


def test_the_applicant_withdraws_before_a_decision_and_only_the_applicant() -> None:
    for state in (S.SUBMITTED, S.SHORTLISTED, S.UNDER_REVIEW):
        assert transition(state, C.WITHDRAW, APPLICANT).to_state is S.WITHDRAWN
        with pytest.raises(RoleRefused):
            transition(state, C.WITHDRAW, OFFICER)
    for state in (S.NOT_SHORTLISTED, S.NOT_APPOINTED):
        with pytest.raises(TransitionRefused):
            transition(state, C.WITHDRAW, APPLICANT)


def test_an_applicant_cannot_shortlist_itself() -> None:
    with pytest.raises(RoleRefused):
        transition(S.SUBMITTED, C.SHORTLIST, APPLICANT)


# --- appointment (挂帅) ------------------------------------------------------------------------------------------


RANKING = rank([
    Scored("a1", LEAD, (Decimal(90), Decimal(88))),
    Scored("a2", PARTNER_A, (Decimal(80), Decimal(82))),
    Scored("a3", PARTNER_B, (Decimal(50), Decimal(54))),
])
UNDER_REVIEW = {"a1": S.UNDER_REVIEW, "a2": S.UNDER_REVIEW, "a3": S.UNDER_REVIEW, "a4": S.UNDER_REVIEW}


def appoint(application_id: str, *, appointed=(), max_teams=1, stage=ChallengeStage.EXPERT_REVIEW, reason=None,
            statuses=UNDER_REVIEW, rules=ReviewRules()) -> None:
    check_appointment(application_id, stage=stage, max_teams=max_teams, appointed=set(appointed), ranking=RANKING,
                      statuses=statuses, reason=reason, rules=rules)


def test_the_top_ranked_is_appointed() -> None:
    appoint("a1")


def test_a_single_winner_challenge_has_one_winner() -> None:
    with pytest.raises(TeamsFull) as refused:
        appoint("a2", appointed={"a1"}, stage=ChallengeStage.APPOINTED)
    assert isinstance(refused.value, Conflict) and refused.value.extra["appointed"] == ["a1"]
    assert "a single winner" in refused.value.detail


def test_a_race_appoints_up_to_its_team_count() -> None:
    appoint("a2", appointed={"a1"}, max_teams=2, stage=ChallengeStage.APPOINTED)
    with pytest.raises(TeamsFull, match="at most 2 teams"):
        appoint("a3", appointed={"a1", "a2"}, max_teams=2, stage=ChallengeStage.APPOINTED)


def test_appointments_are_made_only_while_appointing() -> None:
    for stage in (ChallengeStage.SHORTLISTING, ChallengeStage.MILESTONES, ChallengeStage.CLOSED):
        with pytest.raises(Conflict) as refused:
            appoint("a1", stage=stage)
        assert refused.value.field == "status"
    with pytest.raises(Conflict, match="already appointed"):
        appoint("a1", appointed={"a1"}, max_teams=2, stage=ChallengeStage.APPOINTED)


def test_an_unranked_or_failing_application_is_not_appointed() -> None:
    with pytest.raises(Conflict, match="not ranked"):
        appoint("a4")
    with pytest.raises(InvalidInput, match="below the pass mark 60"):
        appoint("a3", statuses={"a3": S.UNDER_REVIEW}, rules=ReviewRules(pass_mark=Decimal(60)))


def test_passing_over_a_higher_ranked_applicant_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        appoint("a2")
    assert refused.value.field == "reason" and refused.value.extra["ranked_higher"] == ["a1"]
    appoint("a2", reason="a1 未能提供自筹资金证明")
    # a higher-ranked applicant that withdrew is not passed over
    appoint("a2", statuses={**UNDER_REVIEW, "a1": S.WITHDRAWN})


# --- reasons for those not chosen ------------------------------------------------------------------------------


def test_every_applicant_not_chosen_gets_a_structured_reason() -> None:
    statuses = {**UNDER_REVIEW, "a5": S.WITHDRAWN, "a6": S.NOT_SHORTLISTED}
    reasons = reasons_not_chosen(RANKING, {"a1"}, statuses, ReviewRules(pass_mark=Decimal(60)))
    assert set(reasons) == {"a2", "a3", "a4"}  # the withdrawn and the already refused have theirs
    assert reasons["a2"] == NotChosen(D.RANKED_BELOW, "ranked 2 of 3 with 81.0000; appointed: rank 1 with 89.0000")
    assert reasons["a3"].code is D.BELOW_PASS_MARK and "52.0000" in reasons["a3"].text
    assert reasons["a4"].code is D.NOT_RANKED
    for application_id, why in reasons.items():
        assert decline(statuses[application_id], why).to_state is S.NOT_APPOINTED


def test_a_cancelled_challenge_tells_every_open_applicant() -> None:
    statuses = {"a1": S.SUBMITTED, "a2": S.UNDER_REVIEW, "a3": S.WITHDRAWN, "a4": S.APPOINTED}
    reasons = reasons_on_cancellation(statuses, "发榜方需求变更")
    assert set(reasons) == {"a1", "a2"}
    assert all(r.code is D.CHALLENGE_CANCELLED and r.text.endswith("发榜方需求变更") for r in reasons.values())
    assert decline(S.SUBMITTED, reasons["a1"]).to_state is S.NOT_SHORTLISTED
