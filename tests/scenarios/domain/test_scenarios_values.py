"""The values the aggregates are built from (services.scenarios.domain.values, .classification): money in fen,
text and tags, dates, exact apportioning, the publisher, and the classification tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenarios_builders import ISSUER

from services.scenarios.domain import classification
from services.scenarios.domain.values import (
    FEN_LIMIT,
    Publisher,
    PublisherKind,
    add_months,
    apportion,
    check_decimal,
    check_fen,
    check_text,
    normalise_tags,
    optional_text,
    show_fen,
    wan,
    within,
)
from shared.errors import InvalidInput

# --- money ---------------------------------------------------------------------------------------------------------


def test_wan_is_exact_in_fen() -> None:
    assert wan(1) == 1_000_000
    assert wan("0.5") == 500_000
    assert wan("0.000001") == 1
    with pytest.raises(ValueError):
        wan("0.0000001")


def test_show_fen_reads_in_wan() -> None:
    assert show_fen(wan(500)) == "500万元"
    assert show_fen(1_234_500) == "1.2345万元"
    assert show_fen(0) == "0万元"


@pytest.mark.parametrize("value", [1.0, True, "100", None, Decimal(5)])
def test_fen_is_a_whole_number_never_a_float_or_boolean(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_fen(value, "budget_fen")
    assert refused.value.field == "budget_fen"


def test_fen_bounds() -> None:
    assert check_fen(0, "x") == 0
    assert check_fen(FEN_LIMIT, "x") == FEN_LIMIT
    for bad in (-1, FEN_LIMIT + 1):
        with pytest.raises(InvalidInput):
            check_fen(bad, "x")
    with pytest.raises(InvalidInput, match="positive"):
        check_fen(0, "x", positive=True)


def test_decimals_refuse_floats_and_non_finite() -> None:
    assert check_decimal("0.1", "w") == Decimal("0.1")
    assert check_decimal(3, "w") == Decimal(3)
    for bad in (0.1, True, "abc", "NaN", "Infinity"):
        with pytest.raises(InvalidInput) as refused:
            check_decimal(bad, "w")
        assert refused.value.field == "w"


# --- text and tags ---------------------------------------------------------------------------------------------


def test_required_text_needs_a_visible_character() -> None:
    assert check_text("  标题 ", "title") == "标题"
    for blank in ("", "   ", "\u3000", "\u200b"):
        with pytest.raises(InvalidInput) as refused:
            check_text(blank, "title")
        assert refused.value.field == "title"
    with pytest.raises(InvalidInput):
        check_text(5, "title")
    assert optional_text("  ", "note") is None and optional_text(None, "note") is None


def test_tags_are_normalised_and_deduplicated_keeping_the_first_spelling() -> None:
    tags = normalise_tags(["ＡＩ视觉", " AI视觉 ", "ai视觉", "工业  互联网", "", "  ", "水处理"])
    assert tags == ("AI视觉", "工业 互联网", "水处理")


def test_tag_limits_and_a_lone_string() -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_tags("机器视觉")
    assert refused.value.field == "capability_tags"
    with pytest.raises(InvalidInput) as refused:
        normalise_tags(["ok", "x" * 41])
    assert refused.value.field == "capability_tags.1"
    with pytest.raises(InvalidInput) as refused:
        normalise_tags([f"t{i}" for i in range(31)])
    assert refused.value.field == "capability_tags"
    assert len(normalise_tags([f"t{i}" for i in range(30)] + ["T0"])) == 30  # a duplicate does not count


@given(st.lists(st.text(max_size=12), max_size=25))
def test_tag_normalisation_is_idempotent_and_leaves_no_duplicates(raw: list[str]) -> None:
    tags = normalise_tags(raw)
    assert normalise_tags(tags) == tags
    assert len({t.casefold() for t in tags}) == len(tags)
    assert all(t and t == t.strip() for t in tags)


# --- dates -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 5, 20), 12, date(2027, 5, 20)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
])
def test_add_months_keeps_the_day_or_falls_back_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# --- apportioning ----------------------------------------------------------------------------------------------


def test_apportion_thirds_exactly() -> None:
    assert apportion(100, [1, 1, 1]) == (34, 33, 33)
    assert apportion(wan(100), [Decimal("0.3"), Decimal("0.3"), Decimal("0.4")]) == (wan(30), wan(30), wan(40))
    with pytest.raises(ValueError):
        apportion(100, [0, 0])
    with pytest.raises(ValueError):
        apportion(100, [2, -1])


@given(st.integers(0, 10**15), st.lists(st.integers(0, 10**9), min_size=1, max_size=8).filter(any))
def test_apportion_adds_up_exactly_and_each_part_is_within_a_fen(total: int, weights: list[int]) -> None:
    parts = apportion(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, whole)
        assert exact - 1 < part < exact + 1


# --- within ----------------------------------------------------------------------------------------------------


def test_within_places_a_refusal() -> None:
    with pytest.raises(InvalidInput) as refused, within("indicators.2"):
        raise InvalidInput("unit is required", field="unit")
    assert refused.value.field == "indicators.2.unit"
    with pytest.raises(InvalidInput) as refused, within("budget"):
        raise InvalidInput("bad")
    assert refused.value.field == "budget"


# --- publisher -------------------------------------------------------------------------------------------------


def test_an_enterprise_publisher_is_known_by_a_valid_uscc() -> None:
    assert Publisher("enterprise", uscc=" " + ISSUER.lower() + " ").uscc == ISSUER
    with pytest.raises(InvalidInput) as refused:
        Publisher(PublisherKind.ENTERPRISE)
    assert refused.value.field == "uscc"
    with pytest.raises(InvalidInput) as refused:
        Publisher(PublisherKind.ENTERPRISE, uscc=ISSUER[:-1] + ("0" if ISSUER[-1] != "0" else "1"))
    assert refused.value.field == "uscc"
    with pytest.raises(InvalidInput) as refused:
        Publisher(PublisherKind.ENTERPRISE, uscc=ISSUER, department="经信局")
    assert refused.value.field == "department"


def test_a_department_publisher_is_known_by_its_name() -> None:
    assert Publisher("department", department=" 湖州市科技局 ").department == "湖州市科技局"
    with pytest.raises(InvalidInput) as refused:
        Publisher("department", department="  ")
    assert refused.value.field == "department"
    with pytest.raises(InvalidInput) as refused:
        Publisher("government")
    assert refused.value.field == "kind"


# --- classification --------------------------------------------------------------------------------------------


def test_the_tables_are_the_programmes() -> None:
    assert len(classification.CLUSTERS) == 16  # 4 + 2 + 10
    assert len(classification.SECTORS) == 4


def test_classification_checks_name_the_field() -> None:
    assert classification.check_sector("future_industries") == "future_industries"
    with pytest.raises(InvalidInput, match="unknown sector") as refused:
        classification.check_sector("tourism")
    assert refused.value.field == "sector"
    with pytest.raises(InvalidInput) as refused:
        classification.check_cluster("steel")
    assert refused.value.field == "cluster"
    assert classification.check_district(" 330523 ") == "330523"
    with pytest.raises(InvalidInput, match="pseudo-code") as refused:
        classification.check_district("330590")
    assert refused.value.field == "district_code"
    assert classification.check_area("nantaihu", "areas") == "nantaihu"
    with pytest.raises(InvalidInput):
        classification.check_area("330500", "areas")  # the city is not an area to restrict to
