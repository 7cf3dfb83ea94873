"""Eligibility rules as data (services.funding.domain.eligibility): each rule's verdict with its reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace
from uuid import UUID

import pytest
from funding_builders import FIRM, ON, PROGRAMME, ROUND
from hypothesis import given
from hypothesis import strategies as st

from services.funding.domain.eligibility import (
    EligibilityOutcome,
    EligibilityRule,
    EnterpriseFacts,
    ExistingAward,
    InvalidRule,
    RuleKind,
    check_rule,
    evaluate,
    rule,
)
from services.funding.domain.programmes import rules_for

TITLE = "基于机器视觉的纺织品瑕疵在线检测系统研发"


def test_a_firm_meeting_every_rule_is_eligible_and_each_rule_says_why() -> None:
    result = evaluate(rules_for(PROGRAMME, ROUND), FIRM, on=ON, project_title=TITLE)
    assert result.outcome == EligibilityOutcome.ELIGIBLE and result.eligible
    assert [(r.code, r.met, r.reason) for r in result.results] == [
        ("tier_held:little_giant,srdi_sme", True, "holds srdi_sme"),
        ("no_double_support", True, f"no funded project of the firm resembles 「{TITLE}」"),
        ("district:330502,330503,南太湖新区", True, "registered in 330502"),
    ]
    assert result.results[0].facts == (("held_tiers", "srdi_sme"),)
    assert result.summary().startswith("eligible: holds srdi_sme")


def test_a_failing_rule_names_the_facts_it_read() -> None:
    firm = replace(FIRM, held_tiers=frozenset({"tech_sme", "hnte"}), district_code="330523")
    result = evaluate(rules_for(PROGRAMME, ROUND), firm, on=ON, project_title=TITLE)
    assert result.outcome == EligibilityOutcome.NOT_ELIGIBLE
    assert [r.code for r in result.failed] == ["tier_held:little_giant,srdi_sme", "district:330502,330503,南太湖新区"]
    assert result.failed[0].reason == "holds hnte, tech_sme; needs one of little_giant, srdi_sme"
    assert result.failed[1].reason == "district_code 330523; needs one of 330502, 330503, 南太湖新区"
    assert result.failed[1].facts == (("district_code", "330523"), ("functional_zone", "unknown"))
    assert "[tier_held:little_giant,srdi_sme]" in result.summary()


def test_a_firm_without_tiers_fails_a_tier_rule_rather_than_being_unknown() -> None:
    r = check_rule(rule("tier_held", "srdi_sme"), EnterpriseFacts("e"), on=ON)
    assert r.met is False and r.reason == "holds none; needs one of srdi_sme"


def test_a_missing_fact_leaves_the_rule_open() -> None:
    firm = replace(FIRM, size_class=None)
    result = evaluate((rule("size_class", "small", "micro"), rule("tier_held", "srdi_sme")), firm, on=ON)
    assert result.outcome == EligibilityOutcome.NEEDS_REVIEW
    (open_rule,) = result.open
    assert open_rule.reason == "size_class not known" and open_rule.facts == (("size_class", "unknown"),)
    assert result.summary() == "needs_review: [size_class:micro,small] size_class not known"


def test_a_failure_outweighs_an_open_rule() -> None:
    firm = replace(FIRM, size_class=None, held_tiers=frozenset())
    result = evaluate((rule("size_class", "small"), rule("tier_held", "srdi_sme")), firm, on=ON)
    assert result.outcome == EligibilityOutcome.NOT_ELIGIBLE


def test_the_functional_zone_stands_for_a_district() -> None:
    zone_firm = replace(FIRM, district_code="330502", functional_zone="南太湖新区")
    only_zone = rule("district", "南太湖新区")
    assert check_rule(only_zone, zone_firm, on=ON).met is True
    assert check_rule(only_zone, FIRM, on=ON).met is False
    assert check_rule(only_zone, EnterpriseFacts("e"), on=ON).met is None


@pytest.mark.parametrize(("kind", "value", "firm_field"), [
    ("pool_membership", "cultivation_pool", "pool"),
    ("sector", "digital_services", "sector"),
    ("cluster", "high_end_equipment", "cluster"),
    ("size_class", "micro", "size_class"),
])
def test_membership_rules(kind: str, value: str, firm_field: str) -> None:
    r = rule(kind, value)
    assert check_rule(r, replace(FIRM, **{firm_field: value}), on=ON).met is True
    assert check_rule(r, FIRM, on=ON).met is False
    assert check_rule(r, replace(FIRM, **{firm_field: None}), on=ON).met is None


def test_the_2026_tier_merger_is_written_as_data() -> None:
    either = rule("tier_held", "tech_sme", "innovative_sme", "tech_innovative_sme", label="科技和创新型中小企业")
    merged = replace(FIRM, held_tiers=frozenset({"tech_innovative_sme"}))
    assert check_rule(either, merged, on=ON).met is True
    assert either.requirement() == ("科技和创新型中小企业 (holds one of: innovative_sme, tech_innovative_sme, "
                                    "tech_sme)")


# --- double support ----------------------------------------------------------------------------------------------


def _award(reference: str, title: str | None, programme: str = "prog-other", on: date = date(2025, 9, 1)) -> ExistingAward:
    return ExistingAward(reference, programme, on, title)


def test_the_same_project_funded_elsewhere_fails() -> None:
    awards = [_award("app-2025-7", "基于机器视觉的纺织品瑕疵在线检测系统的研发项目")]
    r = check_rule(rule("no_double_support"), FIRM, on=ON, awards=awards, project_title=TITLE)
    assert r.met is False and r.references == ("app-2025-7",)
    assert "already funded" in r.reason and "programme prog-other" in r.reason


def test_a_similar_project_is_left_to_a_reviewer() -> None:
    awards = [_award("app-2025-7", "纺织品瑕疵在线检测系统（基于机器视觉）的研发与产业化"),
              _award("app-2025-8", "纺织印染废水深度处理与回用技术研发")]
    r = check_rule(rule("no_double_support"), FIRM, on=ON, awards=awards, project_title=TITLE)
    assert r.met is None and r.references == ("app-2025-7",)
    assert "a reviewer decides" in r.reason and "similarity 0.8" in r.reason


def test_double_support_without_a_title_is_open_and_awards_without_titles_are_ignored() -> None:
    awards = [_award("reward-1", None)]
    assert check_rule(rule("no_double_support"), FIRM, on=ON, awards=awards).met is None
    assert check_rule(rule("no_double_support"), FIRM, on=ON, awards=awards, project_title=TITLE).met is True


# --- recent funding (玉环's voucher exclusion) --------------------------------------------------------------------


def test_recent_funding_from_listed_programmes_excludes() -> None:
    r = rule("not_recently_funded", "city-sti-plan", years=1)
    last_year = [_award("a", "x", "city-sti-plan", date(2025, 3, 1))]
    two_years_ago = [_award("a", "x", "city-sti-plan", date(2024, 12, 31))]
    elsewhere = [_award("a", "x", "prog-other", date(2025, 3, 1))]
    assert check_rule(r, FIRM, on=ON, awards=last_year).met is False
    assert check_rule(r, FIRM, on=ON, awards=two_years_ago).met is True
    assert check_rule(r, FIRM, on=ON, awards=elsewhere).met is True
    assert check_rule(r, FIRM, on=ON, awards=last_year).reason == "awarded by city-sti-plan on 2025-03-01 (a)"


# --- rules as data -----------------------------------------------------------------------------------------------


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(InvalidRule):
        rule("tier_held")
    with pytest.raises(InvalidRule):
        rule("no_double_support", "x")
    with pytest.raises(InvalidRule):
        rule("not_recently_funded")
    with pytest.raises(InvalidRule):
        rule("not_recently_funded", "p", years=-1)
    with pytest.raises(ValueError):
        rule("favourite_colour", "blue")


def test_rules_take_plain_strings_and_sets() -> None:
    written = EligibilityRule("size_class", ["small", "micro"])  # type: ignore[arg-type]
    assert written.kind is RuleKind.SIZE_CLASS and written.values == frozenset({"small", "micro"})
    assert written == rule("size_class", "micro", "small")


def test_facts_from_a_read_model_row() -> None:
    row = SimpleNamespace(enterprise_id=UUID(int=7), uscc="91330502MA2B3C4D5E", name="湖州织影", district_code="330502",
                          functional_zone=None, sector="digital_services", cluster=None, size_class="micro",
                          pool="seedling_pool", held_tiers=["tech_sme"])
    facts = EnterpriseFacts.of(row)
    assert facts.enterprise_id == str(UUID(int=7)) and facts.held_tiers == frozenset({"tech_sme"})
    assert check_rule(rule("pool_membership", "seedling_pool"), facts, on=ON).met is True


def test_no_rules_means_eligible() -> None:
    assert evaluate((), FIRM, on=ON).outcome == EligibilityOutcome.ELIGIBLE


values = st.sampled_from(["a", "b", "c", "d"])


@given(st.sets(values, min_size=1), st.one_of(st.none(), values), st.sets(values))
def test_membership_is_exactly_set_membership(accepted: set[str], size: str | None, tiers: set[str]) -> None:
    firm = EnterpriseFacts("e", size_class=size, held_tiers=frozenset(tiers))
    size_rule = check_rule(rule("size_class", *accepted), firm, on=ON)
    assert size_rule.met == (None if size is None else size in accepted)
    assert check_rule(rule("tier_held", *accepted), firm, on=ON).met == bool(tiers & accepted)
