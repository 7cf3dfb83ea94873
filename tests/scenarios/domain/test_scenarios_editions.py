"""List editions as pure rules (domain.editions): the differences between two editions account for every entry of
both, in order; an edition is named and dated by its list, year and number."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scenarios.domain.editions import (
    ListKind,
    check_edition_year,
    differences,
    edition_title,
    list_kind,
)
from shared.errors import InvalidInput

ENTRY = st.fixed_dictionaries({"title": st.sampled_from(["验布", "排产", "仓储"]),
                               "status": st.sampled_from(["published", "docking", "pilot"]),
                               "budget": st.none() | st.integers(0, 3)})


def edition(ids: list[int], draw_entry: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [{"id": f"s{i}", **entry} for i, entry in zip(ids, draw_entry, strict=False)]


@st.composite
def two_editions(draw: st.DrawFn) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    before_ids = draw(st.lists(st.integers(0, 12), unique=True, max_size=8))
    after_ids = draw(st.lists(st.integers(0, 12), unique=True, max_size=8))
    before = edition(before_ids, [draw(ENTRY) for _ in before_ids])
    after = edition(after_ids, [draw(ENTRY) for _ in after_ids])
    return before, after


@given(two_editions())
def test_the_differences_rebuild_the_new_edition_from_the_old(pair: tuple[list[dict], list[dict]]) -> None:  # type: ignore[type-arg]
    before, after = pair
    diff = differences(before, after, "title")
    removed = {e["id"] for e in diff.removed}
    rebuilt = {e["id"]: dict(e) for e in before if e["id"] not in removed}
    for change in diff.changed:
        for field, values in change["fields"].items():
            assert rebuilt[change["id"]].get(field) == values["from"]
            rebuilt[change["id"]][field] = values["to"]
    rebuilt.update({e["id"]: dict(e) for e in diff.added})
    assert rebuilt == {e["id"]: e for e in after}
    # Nothing is reported twice, and an unchanged entry is not reported at all.
    reported = [e["id"] for e in (*diff.added, *diff.removed, *diff.changed)]
    assert len(reported) == len(set(reported))
    unchanged = {e["id"] for e in after} & {e["id"] for e in before} - {c["id"] for c in diff.changed}
    assert all(next(b for b in before if b["id"] == i) == next(a for a in after if a["id"] == i) for i in unchanged)
    # Added entries keep the new edition's order, removed ones the old edition's.
    assert [e["id"] for e in diff.added] == [e["id"] for e in after if e["id"] in {a["id"] for a in diff.added}]
    assert [e["id"] for e in diff.removed] == [e["id"] for e in before if e["id"] in removed]


def test_the_first_edition_adds_everything_and_an_entry_listed_twice_is_a_bug() -> None:
    entries = [{"id": "a", "title": "甲"}, {"id": "b", "title": "乙"}]
    first = differences(None, entries, "title")
    assert first.added == tuple(entries) and first.removed == first.changed == ()
    with pytest.raises(ValueError):
        differences(None, entries + entries[:1], "title")


def test_names_years_and_kinds() -> None:
    assert edition_title(ListKind.SCENARIOS, 2026, 3) == "2026年第3批湖州市产业链场景应用清单"
    assert edition_title(ListKind.CHALLENGES, 2027, 1) == "2027年第1批湖州市揭榜挂帅榜单"
    today = date(2026, 12, 3)
    assert check_edition_year(2026, today) == 2026 and check_edition_year(2027, today) == 2027
    for year in (2025, 2028):
        with pytest.raises(InvalidInput) as refused:
            check_edition_year(year, today)
        assert refused.value.field == "year"
    assert list_kind("flagship_parks") is ListKind.FLAGSHIP_PARKS
    with pytest.raises(InvalidInput) as unknown:
        list_kind("patents")
    assert unknown.value.field == "kind"
