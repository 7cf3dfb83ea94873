"""The application state machine and the amount rules (services.funding.domain.applications)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from funding_builders import FIRM, LIMITS, ON, PATHS, command, draft, funded_ledger, walk

from services.funding.domain.actors import Actor
from services.funding.domain.applications import (
    AWARDED,
    TERMINAL,
    TRANSITIONS,
    Action,
    AmountLimits,
    AmountRefused,
    Application,
    ApplicationStatus,
    Origin,
    RejectionCode,
    RejectionReason,
    TransitionRefused,
    allowed,
    check_amount,
    eligibility_command,
    invariant_violations,
    pre_approved,
    transition,
)
from services.funding.domain.eligibility import EligibilityOutcome, EnterpriseFacts, evaluate, rule
from services.funding.domain.errors import FundingRuleError
from services.funding.domain.ledger import EntryKind, Tranche, TrancheCondition, TranchePlanError, fold
from services.funding.domain.money import wan

S = ApplicationStatus

# --- the table ---------------------------------------------------------------------------------------------------


def test_every_state_is_reachable_and_legal() -> None:
    for status in ApplicationStatus:
        app, _ = walk(status)
        assert invariant_violations(app) == ()


def test_the_table_has_one_target_per_state_and_action() -> None:
    pairs = [(r.source, r.action) for r in TRANSITIONS]
    assert len(pairs) == len(set(pairs))
    assert all(r.actors for r in TRANSITIONS)


def test_final_states_are_rejected_withdrawn_and_clawed_back() -> None:
    assert TERMINAL == {S.REJECTED, S.WITHDRAWN, S.CLAWED_BACK}  # closed can still be clawed back


def test_allowed_lists_the_moves_of_a_state_and_of_an_actor() -> None:
    assert [r.action for r in allowed(S.SUBMITTED)] == [Action.CONFIRM_ELIGIBLE, Action.REFUSE_INELIGIBLE,
                                                       Action.WITHDRAW]
    assert [r.action for r in allowed(S.SUBMITTED, Actor.ENTERPRISE)] == [Action.WITHDRAW]
    assert allowed(S.REJECTED) == ()


def test_a_refused_action_names_the_allowed_transitions() -> None:
    app, _ = walk(S.SUBMITTED)
    with pytest.raises(TransitionRefused) as refused:
        transition(app, command(Action.APPROVE, amount_fen=wan(10), limits=LIMITS))
    assert refused.value.code == "transition_not_allowed"
    assert refused.value.extra["allowed"] == ["confirm_eligible", "refuse_ineligible", "withdraw"]
    assert "confirm_eligible (by officer/system)" in refused.value.detail
    assert "withdraw (by enterprise)" in refused.value.detail


def test_a_final_state_says_so() -> None:
    app, _ = walk(S.REJECTED)
    with pytest.raises(TransitionRefused, match="none: the state is final"):
        transition(app, command(Action.WITHDRAW, Actor.ENTERPRISE))


@pytest.mark.parametrize(("status", "action", "actor"), [
    (S.DRAFT, Action.SUBMIT, Actor.OFFICER),  # only the firm submits its application
    (S.UNDER_REVIEW, Action.APPROVE, Actor.ENTERPRISE),
    (S.UNDER_REVIEW, Action.APPROVE, Actor.SYSTEM),  # an approval is an officer's decision
    (S.UNDER_REVIEW, Action.WITHDRAW, Actor.OFFICER),
    (S.APPROVED, Action.DECLINE, Actor.OFFICER),  # declining is the firm's choice
    (S.AGREEMENT, Action.DISBURSE, Actor.ENTERPRISE),
    (S.CLOSED, Action.CLAW_BACK, Actor.SYSTEM),
])
def test_who_may_trigger_each_transition(status: ApplicationStatus, action: Action, actor: Actor) -> None:
    app, _ = walk(status)
    with pytest.raises(TransitionRefused) as refused:
        transition(app, command(action, actor, amount_fen=wan(10), limits=LIMITS, tranche_index=0, note="x"))
    assert refused.value.code == "actor_not_allowed"


def test_a_refusal_changes_nothing() -> None:
    app, _ = walk(S.UNDER_REVIEW)
    with pytest.raises(AmountRefused):
        transition(app, command(Action.APPROVE, amount_fen=wan(60), limits=LIMITS))
    assert app.status == S.UNDER_REVIEW and app.approved_fen is None


# --- eligibility --------------------------------------------------------------------------------------------------


def test_an_ineligible_firm_is_rejected_with_the_failing_rule() -> None:
    app, _ = walk(S.SUBMITTED)
    result = evaluate((rule("tier_held", "little_giant"), rule("district", "330502")), FIRM, on=ON)
    moved = transition(app, eligibility_command(result, Actor.SYSTEM, ON)).application
    assert moved.status == S.REJECTED
    assert moved.rejection is not None and moved.rejection.code == RejectionCode.INELIGIBLE
    assert moved.rejection.rules == ("tier_held:little_giant",)
    assert "holds srdi_sme; needs one of little_giant" in moved.rejection.detail


def test_open_rules_go_on_to_review_and_are_kept_for_the_reviewers() -> None:
    app, _ = walk(S.SUBMITTED)
    result = evaluate((rule("size_class", "small", "micro"),), EnterpriseFacts("ent-2"), on=ON)
    assert result.outcome == EligibilityOutcome.NEEDS_REVIEW
    moved = transition(app, eligibility_command(result, Actor.SYSTEM, ON)).application
    assert moved.status == S.ELIGIBILITY_CHECKED
    assert moved.open_checks == ("size_class:micro,small",)


def test_an_eligibility_command_must_match_its_result() -> None:
    app, _ = walk(S.SUBMITTED)
    passed = evaluate((), FIRM, on=ON)
    failed = evaluate((rule("tier_held", "hnte"),), FIRM, on=ON)
    with pytest.raises(FundingRuleError, match="not eligible"):
        transition(app, command(Action.CONFIRM_ELIGIBLE, Actor.SYSTEM, eligibility=failed))
    with pytest.raises(FundingRuleError) as refused:
        transition(app, command(Action.REFUSE_INELIGIBLE, Actor.SYSTEM, eligibility=passed))
    assert refused.value.code == "eligible"
    with pytest.raises(FundingRuleError) as missing:
        transition(app, command(Action.CONFIRM_ELIGIBLE, Actor.SYSTEM))
    assert missing.value.code == "missing_input" and missing.value.field == "eligibility"


# --- amounts -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "code"), [
    (0, "not_positive"),
    (-100, "not_positive"),
    (12.5, "not_integer_fen"),  # money as a JSON float
    ("1250", "not_integer_fen"),  # money as a string
    (Decimal("1250"), "not_integer_fen"),
    (True, "not_integer_fen"),
    (wan(40) + 1, "above_request"),
])
def test_amount_rules_refuse_bad_amounts(amount: object, code: str) -> None:
    with pytest.raises(AmountRefused) as refused:
        check_amount(amount, LIMITS, requested_fen=wan(40))
    assert refused.value.code == code


def test_the_cap_counts_what_the_round_already_awarded_the_firm() -> None:
    limits = AmountLimits(per_enterprise_cap_fen=wan(50), awarded_to_enterprise_fen=wan(30))
    assert check_amount(wan(20), limits) == wan(20)  # on the edge: allowed
    with pytest.raises(AmountRefused) as refused:
        check_amount(wan(20) + 1, limits)
    assert refused.value.code == "above_enterprise_cap" and refused.value.extra["remaining_fen"] == wan(20)


def test_the_amount_fits_in_what_the_round_has_left() -> None:
    limits = AmountLimits(per_enterprise_cap_fen=wan(50), round_available_fen=wan(5))
    assert check_amount(wan(5), limits) == wan(5)
    with pytest.raises(AmountRefused) as refused:
        check_amount(wan(5) + 1, limits)
    assert refused.value.code == "budget_exhausted" and refused.value.extra["available_fen"] == wan(5)


def test_a_request_above_the_cap_is_refused_at_submission() -> None:
    with pytest.raises(AmountRefused) as refused:
        transition(draft(requested_fen=wan(51)), command(Action.SUBMIT, Actor.ENTERPRISE, limits=LIMITS))
    assert refused.value.code == "above_enterprise_cap"
    with pytest.raises(AmountRefused):
        transition(draft(requested_fen=0), command(Action.SUBMIT, Actor.ENTERPRISE, limits=LIMITS))


def test_submission_does_not_check_the_budget_yet() -> None:
    # The round's money is reserved at approval; at submission a full round still takes applications.
    limits = AmountLimits(per_enterprise_cap_fen=wan(50), round_available_fen=0)
    moved = transition(draft(), command(Action.SUBMIT, Actor.ENTERPRISE, limits=limits))
    assert moved.application.status == S.SUBMITTED


@pytest.mark.parametrize(("requested", "code"), [(12.5, "not_integer_fen"), ("100", "not_integer_fen"),
                                                 (-1, "not_positive")])
def test_a_requested_amount_is_an_integer_of_fen(requested: object, code: str) -> None:
    with pytest.raises(AmountRefused) as refused:
        draft(requested_fen=requested)  # type: ignore[arg-type]
    assert refused.value.code == code and refused.value.field == "requested_fen"


def test_an_application_names_its_project() -> None:
    untitled = Application("app-9", "ent-1", "prog-srdi", "round-1", "  ", wan(10))
    with pytest.raises(FundingRuleError) as refused:
        transition(untitled, command(Action.SUBMIT, Actor.ENTERPRISE, limits=LIMITS))
    assert refused.value.field == "project_title"


# --- money along the way -----------------------------------------------------------------------------------------


def test_approval_commits_the_amount_under_a_key_of_its_own() -> None:
    app, entries = walk(S.APPROVED)
    assert app.approved_fen == wan(30)
    (commit,) = entries
    assert (commit.kind, commit.amount_fen, commit.reference, commit.key) == (
        EntryKind.COMMITTED, wan(30), "app-1", "application:app-1:committed")
    assert funded_ledger().append(commit).balance.available_fen == wan(270)


def test_tranches_are_paid_in_order_and_once() -> None:
    app, _ = walk(S.AGREEMENT)
    with pytest.raises(FundingRuleError) as refused:
        transition(app, command(Action.DISBURSE, tranche_index=1))
    assert refused.value.code == "tranche_out_of_order"
    paid = transition(app, command(Action.DISBURSE, tranche_index=0))
    assert paid.application.status == S.DISBURSING
    assert [e.key for e in paid.entries] == ["application:app-1:disbursed:0"]
    with pytest.raises(FundingRuleError) as again:
        transition(paid.application, command(Action.DISBURSE, tranche_index=0))
    assert again.value.code == "tranche_already_paid"
    done = transition(paid.application, command(Action.DISBURSE, tranche_index=1)).application
    with pytest.raises(FundingRuleError) as beyond:
        transition(done, command(Action.DISBURSE, tranche_index=2))
    assert beyond.value.code == "fully_disbursed"


def test_an_agreement_without_tranches_pays_once_on_signature() -> None:
    app, _ = walk(S.APPROVED)
    signed = transition(app, command(Action.SIGN_AGREEMENT, Actor.ENTERPRISE)).application
    assert signed.tranches == (Tranche(0, "agreement signed", wan(30), TrancheCondition.NONE),)


def test_tranches_that_do_not_add_up_are_refused() -> None:
    app, _ = walk(S.APPROVED)
    short = (Tranche(0, "中期", wan(10)), Tranche(1, "验收", wan(10)))
    with pytest.raises(TranchePlanError) as refused:
        transition(app, command(Action.SIGN_AGREEMENT, Actor.ENTERPRISE, tranches=short))
    assert refused.value.code == "not_the_amount"


def test_closing_after_the_last_tranche_needs_no_reason_but_closing_early_does() -> None:
    closed, entries = walk(S.CLOSED)
    assert closed.reserved_fen == 0 and not any(e.kind == EntryKind.RELEASED for e in entries)
    app, _ = walk(S.DISBURSING)
    with pytest.raises(FundingRuleError) as refused:
        transition(app, command(Action.CLOSE))
    assert refused.value.field == "note"
    terminated = transition(app, command(Action.CLOSE, note="中期考核未通过, 终止项目"))
    assert terminated.application.status == S.CLOSED
    assert [(e.kind, e.amount_fen) for e in terminated.entries] == [(EntryKind.RELEASED, wan(12))]


def test_declining_an_award_releases_its_commitment() -> None:
    app, _ = walk(S.APPROVED)
    moved = transition(app, command(Action.DECLINE, Actor.ENTERPRISE, note="企业放弃"))
    assert moved.application.status == S.WITHDRAWN
    assert [(e.kind, e.amount_fen) for e in moved.entries] == [(EntryKind.RELEASED, wan(30))]


def test_a_clawback_stops_payments_and_recovers_what_was_paid() -> None:
    app, entries = walk(S.CLAWED_BACK)
    assert app.clawed_back_fen == wan(18) and app.released_fen == wan(12)
    balance = fold(entries)
    assert (balance.committed, balance.disbursed, balance.released, balance.clawed_back) == (
        wan(30), wan(18), wan(12), wan(18))


def test_a_partial_clawback_and_its_bounds() -> None:
    app, _ = walk(S.CLOSED)
    with pytest.raises(FundingRuleError) as no_ground:
        transition(app, command(Action.CLAW_BACK, amount_fen=wan(5)))
    assert no_ground.value.field == "note"
    for amount in (0, wan(30) + 1, 1.5):
        with pytest.raises(AmountRefused):
            transition(app, command(Action.CLAW_BACK, amount_fen=amount, note="挪用"))
    partial = transition(app, command(Action.CLAW_BACK, amount_fen=wan(5), note="挪用部分资金"))
    assert partial.application.clawed_back_fen == wan(5)
    assert [(e.kind, e.amount_fen) for e in partial.entries] == [(EntryKind.CLAWED_BACK, wan(5))]


def test_nothing_paid_nothing_to_claw_back() -> None:
    app, _ = walk(S.AGREEMENT)
    closed = transition(app, command(Action.CLOSE, note="企业注销, 项目终止")).application
    with pytest.raises(FundingRuleError) as refused:
        transition(closed, command(Action.CLAW_BACK, note="骗取"))
    assert refused.value.code == "nothing_paid"


def test_a_rejection_is_structured() -> None:
    app, _ = walk(S.UNDER_REVIEW)
    with pytest.raises(FundingRuleError):
        transition(app, command(Action.REJECT))
    with pytest.raises(ValueError):
        RejectionReason(RejectionCode.OTHER, " ")
    reason = RejectionReason("double_support", "项目已获市重点研发计划支持")  # type: ignore[arg-type]
    assert transition(app, command(Action.REJECT, rejection=reason)).application.rejection == reason


# --- 免申即享 ------------------------------------------------------------------------------------------------------


def test_a_pre_approved_award_starts_approved_with_its_commitment() -> None:
    moved = pre_approved(id="auto-1", enterprise_id="ent-1", programme_id="prog-hnte", round_id="round-hnte",
                         title="高新技术企业首次认定奖励", amount_fen=wan(20), limits=AmountLimits(wan(20)), on=ON)
    app = moved.application
    assert (app.status, app.origin, app.approved_fen, app.requested_fen) == (S.APPROVED, Origin.AUTOMATIC, wan(20),
                                                                            wan(20))
    assert invariant_violations(app) == ()
    assert [(e.kind, e.amount_fen) for e in moved.entries] == [(EntryKind.COMMITTED, wan(20))]
    confirmed = transition(app, command(Action.SIGN_AGREEMENT, Actor.ENTERPRISE)).application  # 意愿确认
    assert confirmed.status == S.AGREEMENT
    with pytest.raises(AmountRefused):
        pre_approved(id="auto-2", enterprise_id="ent-1", programme_id="p", round_id="r", title="t",
                     amount_fen=wan(20), limits=AmountLimits(wan(10)), on=ON)


def test_statuses_with_an_amount() -> None:
    for status in ApplicationStatus:
        app, _ = walk(status)
        assert (app.approved_fen is not None) == (status in AWARDED)
    assert PATHS.keys() == set(ApplicationStatus)
