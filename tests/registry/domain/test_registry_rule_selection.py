"""Rule-set registry: selection by date (the MIIT switch on 2026-04-01), explicit versions for re-reviews, and
the metadata every rule set must carry (REFERENCE §0)."""

import json
import re
from datetime import date

import pytest

from services.registry.domain.evaluation import (
    Confidence,
    RuleSetNotFound,
    get_rule_set,
    list_rule_sets,
    select_rule_set,
)


@pytest.mark.parametrize("tier", ["srdi_sme", "little_giant"])
@pytest.mark.parametrize(
    ("day", "version"),
    [
        (date(2022, 6, 1), "miit-2022-63"),
        (date(2026, 3, 31), "miit-2022-63"),
        (date(2026, 4, 1), "miit-2026-2"),
        (date(2030, 1, 1), "miit-2026-2"),
    ],
)
def test_miit_rule_sets_switch_on_1_april_2026(tier, day, version):
    assert select_rule_set(tier, day).id == f"{version}/{tier}"


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("innovative_sme", "miit-2022-63/innovative_sme"),  # kept by Article 30 after the switch
        ("tech_sme", "most-2017-115/tech_sme"),
        ("hnte", "most-2016-32/hnte"),
    ],
)
@pytest.mark.parametrize("day", [date(2026, 3, 31), date(2026, 4, 1)])
def test_unversioned_tiers_do_not_switch(tier, expected, day):
    assert select_rule_set(tier, day).id == expected


@pytest.mark.parametrize("version", ["miit-2022-63", "miit-2022-63/srdi_sme"])
def test_re_review_asks_for_the_2022_version_explicitly(version):
    assert select_rule_set("srdi_sme", date(2026, 9, 1), version).id == "miit-2022-63/srdi_sme"


def test_explicit_2026_version_before_the_switch():
    assert select_rule_set("little_giant", date(2026, 1, 15), "miit-2026-2").id == "miit-2026-2/little_giant"


def test_refusals():
    with pytest.raises(RuleSetNotFound):
        select_rule_set("srdi_sme", date(2022, 5, 31))  # before the 2022 measures
    with pytest.raises(RuleSetNotFound):
        select_rule_set("srdi_sme", date(2026, 5, 1), "miit-2019-1")
    with pytest.raises(RuleSetNotFound):
        select_rule_set("srdi_sme", date(2026, 5, 1), "miit-2022-63/little_giant")
    with pytest.raises(RuleSetNotFound, match="Article 30"):
        select_rule_set("tech_innovative_sme", date(2026, 5, 1))
    with pytest.raises(RuleSetNotFound):
        get_rule_set("miit-2026-2/hnte")


def test_the_seven_rule_sets_and_their_metadata():
    ids = {rs.id for rs in list_rule_sets()}
    assert ids == {
        "most-2017-115/tech_sme",
        "miit-2022-63/innovative_sme",
        "miit-2022-63/srdi_sme",
        "miit-2026-2/srdi_sme",
        "miit-2022-63/little_giant",
        "miit-2026-2/little_giant",
        "most-2016-32/hnte",
    }
    for rule_set in list_rule_sets():
        assert re.fullmatch(r"(miit|most)-\d{4}-\d+/[a-z_]+", rule_set.id)
        assert rule_set.sources and rule_set.title and rule_set.doubts
        assert isinstance(rule_set.confidence, Confidence)
        assert rule_set.effective_to is None or rule_set.effective_from < rule_set.effective_to
        json.dumps(rule_set.to_dict(), ensure_ascii=False)  # explainable as plain data


def test_periods_of_one_tier_do_not_overlap():
    for tier in ("srdi_sme", "little_giant"):
        first, second = list_rule_sets(tier)
        assert first.effective_to == second.effective_from == date(2026, 4, 1)


def test_scored_rule_sets_total_100_points():
    for rule_set in list_rule_sets():
        if rule_set.scoring is not None:
            assert rule_set.scoring.max_points == 100, rule_set.id
