"""免申即享 runs (services.funding.domain.awards): who is awarded, how much, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from funding_builders import FIRM

from services.funding.domain.applications import AmountLimits, ApplicationStatus, Origin
from services.funding.domain.awards import AutomaticAwardRule, SkipReason, award_key, run
from services.funding.domain.eligibility import EnterpriseFacts, ExistingAward, rule
from services.funding.domain.ledger import EntryKind
from services.funding.domain.money import wan
from services.funding.domain.programmes import DatedAmount, ProgrammeError
from services.funding.domain.reference_data import HUZHOU, REWARD_AMOUNTS

ON = date(2026, 5, 20)
HNTE_REWARD = AutomaticAwardRule(
    code="huzhou-2026-hnte", title="高新技术企业认定奖励", programme_id="prog-hnte", round_id="round-hnte-2026",
    eligibility=(rule("tier_held", "hnte", label="持有有效期内的高新技术企业证书"),
                 rule("district", "330502", "330503", "330521", "330522", "330523", "南太湖新区")),
    issuer=HUZHOU, amount_item="hnte_first_recognition", conflict_group="ladder-rewards-2026",
)


def firm(n: int, **changes: object) -> EnterpriseFacts:
    base = replace(FIRM, enterprise_id=f"ent-{n}", uscc=f"9133050{n:02d}MA2B3C4D5E"[:18],
                   held_tiers=frozenset({"hnte"}))
    return replace(base, **changes)


def run_hnte(candidates: list[EnterpriseFacts], **kwargs: object):  # type: ignore[no-untyped-def]
    options = {"amounts": REWARD_AMOUNTS, "on": ON, "round_available_fen": wan(1000),
               "per_enterprise_cap_fen": wan(20), **kwargs}
    return run(HNTE_REWARD, candidates, **options)  # type: ignore[arg-type]


def test_eligible_firms_get_the_amount_in_force_with_an_explanation() -> None:
    result = run_hnte([firm(1), firm(2, held_tiers=frozenset({"srdi_sme"})), firm(3, district_code="330100")])
    (award,) = result.awards
    assert (award.enterprise_id, award.amount_fen, award.key) == ("ent-1", wan(20), "automatic:huzhou-2026-hnte:ent-1")
    assert result.not_eligible == 2 and result.skipped == () and result.total_fen == wan(20)
    text = award.explanation()
    assert text.startswith("免申即享 高新技术企业认定奖励 (huzhou-2026-hnte): 200000.00元 — 湖州市 "
                           "hnte_first_recognition ≤ 200000.00元 in force from 2025-01-01")
    assert "[tier_held:hnte] holds hnte" in text and "registered in 330502" in text


def test_incomplete_data_goes_to_manual_review_not_to_payment() -> None:
    unknown_district = firm(4, district_code=None)
    result = run_hnte([unknown_district])
    assert result.awards == ()
    (review,) = result.for_review
    assert review.reason == SkipReason.NEEDS_REVIEW and "district_code / functional_zone not known" in review.detail


def test_running_a_rule_twice_awards_once() -> None:
    first = run_hnte([firm(1), firm(2)])
    again = run_hnte([firm(1), firm(2), firm(3)], awarded_keys=[a.key for a in first.awards])
    assert [a.enterprise_id for a in again.awards] == ["ent-3"]
    assert {s.enterprise_id for s in again.skipped if s.reason == SkipReason.ALREADY_AWARDED} == {"ent-1", "ent-2"}
    assert award_key(HNTE_REWARD, "ent-1") == first.awards[0].key


def test_the_budget_is_never_overspent_and_the_order_is_reproducible() -> None:
    firms = [firm(n) for n in (5, 3, 1, 4, 2)]
    result = run_hnte(firms, round_available_fen=wan(50))
    assert [a.enterprise_id for a in result.awards] == ["ent-1", "ent-2"]  # by USCC
    assert result.total_fen == wan(40)
    assert [s.reason for s in result.skipped] == [SkipReason.BUDGET_EXHAUSTED] * 3
    assert run_hnte(list(reversed(firms)), round_available_fen=wan(50)) == result


def test_highest_benefit_only_within_a_conflict_group() -> None:
    # 从高不重复: a firm that already got 5万 this year from the group gets the 15万 difference; one that got 20万 or
    # more gets nothing more.
    result = run_hnte([firm(1), firm(2)], group_received={"ent-1": wan(5), "ent-2": wan(20)})
    (award,) = result.awards
    assert award.amount_fen == wan(15) and award.group_received_fen == wan(5)
    assert "the difference is paid (从高不重复)" in award.explanation()
    (skipped,) = result.skipped
    assert skipped.reason == SkipReason.SUPERSEDED and skipped.enterprise_id == "ent-2"


def test_no_group_no_offset() -> None:
    ungrouped = replace(HNTE_REWARD, conflict_group=None)
    result = run(ungrouped, [firm(1)], amounts=REWARD_AMOUNTS, on=ON, round_available_fen=wan(100),
                 per_enterprise_cap_fen=wan(20), group_received={"ent-1": wan(5)})
    assert result.awards[0].amount_fen == wan(20)


def test_the_enterprise_cap_holds() -> None:
    result = run_hnte([firm(1)], awarded_in_round={"ent-1": wan(10)})
    assert result.awards == () and result.skipped[0].reason == SkipReason.ABOVE_ENTERPRISE_CAP


def test_rules_that_read_existing_awards() -> None:
    recent = replace(HNTE_REWARD, eligibility=(*HNTE_REWARD.eligibility, rule("not_recently_funded", "prog-hnte")))
    awards = {"ent-1": [ExistingAward("old", "prog-hnte", date(2025, 6, 1))]}
    result = run(recent, [firm(1), firm(2)], amounts=REWARD_AMOUNTS, on=ON, round_available_fen=wan(100),
                 per_enterprise_cap_fen=wan(20), existing_awards=awards)
    assert [a.enterprise_id for a in result.awards] == ["ent-2"] and result.not_eligible == 1


def test_no_amount_in_force_stops_the_run() -> None:
    with pytest.raises(ProgrammeError) as refused:
        run_hnte([firm(1)], on=date(2024, 6, 1))
    assert refused.value.code == "no_amount_in_force"


def test_a_new_years_amount_applies_from_its_date() -> None:
    amounts = (*REWARD_AMOUNTS, DatedAmount(HUZHOU, "hnte_first_recognition", wan(25), date(2026, 7, 1)))
    assert run_hnte([firm(1)], amounts=amounts).awards[0].amount_fen == wan(20)
    later = run_hnte([firm(1)], amounts=amounts, on=date(2026, 7, 1), per_enterprise_cap_fen=wan(30))
    assert later.awards[0].amount_fen == wan(25)


def test_a_proposed_award_becomes_a_pre_approved_application() -> None:
    (award,) = run_hnte([firm(1)]).awards
    moved = award.approve(id="app-auto-1", limits=AmountLimits(wan(20), round_available_fen=wan(1000)), on=ON)
    app = moved.application
    assert (app.status, app.origin, app.approved_fen, app.project_title) == (
        ApplicationStatus.APPROVED, Origin.AUTOMATIC, wan(20), "高新技术企业认定奖励")
    assert [(e.kind, e.amount_fen, e.programme_id, e.round_id) for e in moved.entries] == [
        (EntryKind.COMMITTED, wan(20), "prog-hnte", "round-hnte-2026")]
