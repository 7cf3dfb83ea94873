"""Eligibility (申报条件) as data, checked against the enterprise read model's facts: the tier ladder, every failing
rule named, missing facts failing closed (services.scenarios.domain.eligibility)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenarios_builders import LEAD

from services.scenarios.domain.eligibility import (
    LADDER,
    NO_RESTRICTION,
    Eligibility,
    EnterpriseFacts,
    Pool,
    SizeClass,
    Tier,
    evaluate,
    tiers_meeting,
)
from shared.errors import InvalidInput
from shared.read_models.enterprises import PROFILE_FIELDS, EnterpriseReadModel

SEEDLING = EnterpriseFacts(uscc=LEAD, district_code="330503", sector="advanced_manufacturing",
                           cluster="modern_textile", size_class="small", pool="seedling_pool",
                           held_tiers=frozenset({"tech_sme"}))


def facts(**changes: object) -> EnterpriseFacts:
    return EnterpriseFacts(**{**SEEDLING.__dict__, **changes})


def failing(rule: Eligibility, enterprise: EnterpriseFacts) -> list[str]:
    return [f.rule for f in evaluate(rule, enterprise).failures]


# --- the ladder ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("required", "held", "meets"), [
    ("tech_sme", {"tech_sme"}, True),
    ("tech_sme", {"innovative_sme"}, True),  # one rung since the 2026 merger
    ("innovative_sme", {"tech_innovative_sme"}, True),
    ("tech_innovative_sme", {"tech_sme"}, True),
    ("tech_sme", {"srdi_sme"}, True),  # a higher rung meets a lower requirement
    ("tech_sme", {"little_giant"}, True),
    ("srdi_sme", {"tech_sme"}, False),
    ("srdi_sme", {"little_giant"}, True),
    ("little_giant", {"srdi_sme"}, False),
    ("srdi_sme", {"hnte"}, False),  # HNTE stands beside the ladder
    ("tech_sme", {"hnte"}, False),
    ("hnte", {"hnte"}, True),
    ("hnte", {"little_giant"}, False),
    ("srdi_sme", set(), False),
])
def test_the_tier_ladder(required: str, held: set[str], meets: bool) -> None:
    rule = Eligibility(min_tier=required)
    assert evaluate(rule, facts(held_tiers=held)).eligible is meets


def test_hnte_can_be_named_as_an_alternative() -> None:
    rule = Eligibility(min_tier="srdi_sme", also_accepted_tiers=frozenset({"hnte"}))
    assert evaluate(rule, facts(held_tiers={"hnte"})).eligible
    assert evaluate(rule, facts(held_tiers={"srdi_sme"})).eligible
    result = evaluate(rule, facts(held_tiers={"tech_sme"}))
    assert result.failures[0].reason == "requires at least srdi_sme (or hnte); the enterprise holds tech_sme"
    assert set(result.failures[0].required) == {"srdi_sme", "little_giant", "hnte"}


def test_alternatives_need_a_requirement() -> None:
    with pytest.raises(InvalidInput) as refused:
        Eligibility(also_accepted_tiers=frozenset({"hnte"}))
    assert refused.value.field == "also_accepted_tiers"


def test_tiers_the_registry_adds_later_are_ignored_not_fatal() -> None:
    assert evaluate(Eligibility(min_tier="tech_sme"), facts(held_tiers={"gazelle", "tech_sme"})).eligible
    assert not evaluate(Eligibility(min_tier="tech_sme"), facts(held_tiers={"gazelle"})).eligible


@given(st.sampled_from(sorted(LADDER)), st.sampled_from(sorted(LADDER)))
def test_holding_a_rung_meets_every_requirement_at_or_below_it(required: Tier, held: Tier) -> None:
    meets = evaluate(Eligibility(min_tier=required), facts(held_tiers={held})).eligible
    assert meets is (LADDER[held] >= LADDER[required])


def test_no_tier_requirement_is_met_by_anyone() -> None:
    assert tiers_meeting(NO_RESTRICTION) == frozenset(Tier)
    assert evaluate(NO_RESTRICTION, EnterpriseFacts(uscc=LEAD)).eligible


# --- every failing rule, named ---------------------------------------------------------------------------------


def test_every_failing_rule_is_returned_with_its_reason() -> None:
    rule = Eligibility(min_tier="srdi_sme", areas=frozenset({"330522"}), sectors=frozenset({"digital_services"}),
                       clusters=frozenset({"digital_industry"}), size_classes=frozenset({"micro"}),
                       pools=frozenset({"cultivation_pool"}))
    result = evaluate(rule, SEEDLING)
    assert not result.eligible
    assert [f.rule for f in result.failures] == ["min_tier", "areas", "sectors", "clusters", "size_classes", "pools"]
    reasons = {f.rule: f.reason for f in result.failures}
    assert reasons["areas"] == "open to 330522 (长兴县); the enterprise's district: 330503 (南浔区)"
    assert reasons["size_classes"] == "open to size class micro; the enterprise's size class is small"
    assert reasons["pools"] == "open to pool cultivation_pool; the enterprise's pool is seedling_pool"
    assert result.failures[1].required == ("330522",) and result.failures[1].actual == ("330503",)
    assert result.summary().startswith(f"{LEAD} does not meet: min_tier: requires at least srdi_sme")


def test_only_the_failing_rules_are_returned() -> None:
    rule = Eligibility(min_tier="tech_sme", areas=frozenset({"330503"}), size_classes=frozenset({"micro"}))
    assert failing(rule, SEEDLING) == ["size_classes"]


def test_the_functional_zone_counts_as_a_place() -> None:
    rule = Eligibility(areas=frozenset({"nantaihu"}))
    assert evaluate(rule, facts(district_code="330502", functional_zone="nantaihu")).eligible
    assert failing(rule, facts(district_code="330502")) == ["areas"]


def test_a_missing_fact_fails_the_rule_that_needs_it() -> None:
    rule = Eligibility(sectors=frozenset({"advanced_manufacturing"}), size_classes=frozenset({"small", "micro"}),
                       pools=frozenset({"seedling_pool", "cultivation_pool"}), areas=frozenset({"330503"}))
    result = evaluate(rule, EnterpriseFacts(uscc=LEAD))
    assert [f.rule for f in result.failures] == ["areas", "sectors", "size_classes", "pools"]
    reasons = {f.rule: f.reason for f in result.failures}
    assert reasons["size_classes"].endswith("size class is not recorded")
    assert reasons["pools"].endswith("is in neither pool")
    assert reasons["areas"].endswith("district: not recorded")
    assert all(f.actual == () for f in result.failures)


@given(st.sets(st.sampled_from(list(SizeClass)), min_size=1), st.sampled_from([*SizeClass, None]))
def test_a_set_rule_passes_exactly_for_its_members(allowed: set[SizeClass], actual: SizeClass | None) -> None:
    rule = Eligibility(size_classes=frozenset(allowed))
    assert evaluate(rule, facts(size_class=actual)).eligible is (actual in allowed)


# --- rules are checked as data ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field"), [
    ({"min_tier": "gold"}, "min_tier"),
    ({"areas": frozenset({"330590"})}, "areas.0"),
    ({"areas": ["330502", "999999"]}, "areas.1"),
    ({"sectors": ["tourism"]}, "sectors.0"),
    ({"clusters": ["steel"]}, "clusters.0"),
    ({"size_classes": ["tiny"]}, "size_classes.0"),
    ({"pools": ["seed"]}, "pools.0"),
    ({"sectors": []}, "sectors"),
    ({"areas": "330502"}, "areas"),
])
def test_a_bad_rule_is_refused_naming_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Eligibility(**changes)
    assert refused.value.field == field


def test_rules_are_normalised_to_enums_and_sets() -> None:
    rule = Eligibility(min_tier="srdi_sme", size_classes=["small", "micro", "small"], pools=["seedling_pool"])
    assert rule.min_tier is Tier.SRDI_SME
    assert rule.size_classes == frozenset({SizeClass.SMALL, SizeClass.MICRO})
    assert rule.pools == frozenset({Pool.SEEDLING})


# --- facts from the read model ---------------------------------------------------------------------------------


def test_facts_are_read_from_a_read_model_row() -> None:
    row = SimpleNamespace(enterprise_id="e-1", uscc=LEAD, name="湖州某科技有限公司", district_code="330521", functional_zone=None, sector="future_industries",
                          cluster=None, size_class="micro", pool=None, held_tiers=["srdi_sme", "hnte"])
    read = EnterpriseFacts.of(row)
    assert read.held_tiers == frozenset({"srdi_sme", "hnte"}) and read.size_class == "micro"


def test_the_facts_are_fields_of_the_shared_read_model() -> None:
    # Eligibility must only need what every service's copy of the registry's data holds.
    columns = set(PROFILE_FIELDS) | {"held_tiers", "enterprise_id"}
    assert set(EnterpriseFacts.__dataclass_fields__) <= columns
    assert all(hasattr(EnterpriseReadModel, name) for name in EnterpriseFacts.__dataclass_fields__)
