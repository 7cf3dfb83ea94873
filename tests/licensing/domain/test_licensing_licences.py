"""Which licences may stand beside which (exclusive, sole, ordinary; in term and territory), and the values they are
built from."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.licensing.domain.licences import (
    Grant,
    LicenceKind,
    LicenceStatus,
    blocking,
    check_grant,
    clash,
    exclusive_or_sole_during,
)
from services.licensing.domain.values import Term, Territory, share
from shared.errors import Conflict, InvalidInput

NATION = Territory.of(["CN"])
ZHEJIANG = Territory.of(["330000"])
HUZHOU = Territory.of(["330500"])
WUXING = Territory.of(["330502"])
JIANGSU = Territory.of(["320000"])
Y2026 = Term(date(2026, 1, 1), date(2026, 12, 31))
Y2027 = Term(date(2027, 1, 1), date(2027, 12, 31))


def grant(kind: LicenceKind, licensee: str = "A", territory: Territory = NATION, term: Term = Y2026,
          status: LicenceStatus = LicenceStatus.ACTIVE) -> Grant:
    return Grant(kind, licensee, territory, term, status)


# --- values -------------------------------------------------------------------------------------------------------

def test_territories_overlap_through_the_region_hierarchy() -> None:
    assert NATION.overlaps(WUXING) and WUXING.overlaps(NATION)
    assert ZHEJIANG.overlaps(WUXING) and HUZHOU.overlaps(WUXING) and WUXING.overlaps(HUZHOU)
    assert not ZHEJIANG.overlaps(JIANGSU)
    assert not WUXING.overlaps(Territory.of(["330503"]))  # 吴兴 and 南浔 are neighbours, not the same
    assert not Territory.of(["330100"]).overlaps(HUZHOU)  # Hangzhou and Huzhou


def test_a_territory_is_normalised() -> None:
    assert Territory.of(["330502", " cn "]).regions == ("CN",)
    assert Territory.of(["330502", "330500", "330500"]).regions == ("330500",)
    with pytest.raises(InvalidInput) as exc:
        Territory.of(["330502", "湖州"])
    assert exc.value.field == "territory.1"
    with pytest.raises(InvalidInput):
        Territory.of([])


def test_a_term_runs_forward_and_overlaps_inclusively() -> None:
    with pytest.raises(InvalidInput) as exc:
        Term(date(2026, 2, 1), date(2026, 1, 31))
    assert exc.value.field == "term.end"
    assert Term(date(2026, 1, 1), date(2026, 6, 30)).overlaps(Term(date(2026, 6, 30), None))
    assert not Term(date(2026, 1, 1), date(2026, 6, 29)).overlaps(Term(date(2026, 6, 30), None))
    assert Term(date(2026, 1, 1)).overlaps(Term(date(2090, 1, 1), date(2090, 1, 2)))


def test_shares_are_fractions_up_to_one() -> None:
    assert share("1", "s") == 1
    with pytest.raises(InvalidInput, match="above 100%"):
        share("1.0001", "s")
    with pytest.raises(InvalidInput):
        share("0", "s")
    assert share("0", "s", allow_zero=True) == 0


# --- clashes ------------------------------------------------------------------------------------------------------

def test_an_exclusive_licence_blocks_every_overlapping_licence() -> None:
    exclusive = grant(LicenceKind.EXCLUSIVE, "A", ZHEJIANG)
    for kind in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE, LicenceKind.ORDINARY, LicenceKind.OPEN, LicenceKind.TRIAL):
        assert clash(grant(kind, "B", WUXING), exclusive), kind
        assert clash(grant(kind, "A", WUXING), exclusive), kind  # even to the same licensee
    assert not clash(grant(LicenceKind.ORDINARY, "B", JIANGSU), exclusive)  # elsewhere
    assert not clash(grant(LicenceKind.ORDINARY, "B", WUXING, Y2027), exclusive)  # later
    assert not clash(grant(LicenceKind.TRANSFER, "B"), exclusive)  # a transfer is not a licence


def test_a_sole_licence_blocks_other_licensees_only() -> None:
    sole = grant(LicenceKind.SOLE, "A", HUZHOU)
    assert clash(grant(LicenceKind.ORDINARY, "B", WUXING), sole)
    assert clash(grant(LicenceKind.SOLE, "B", NATION), sole)
    assert not clash(grant(LicenceKind.ORDINARY, "A", WUXING), sole)
    assert not clash(grant(LicenceKind.ORDINARY, "B", JIANGSU), sole)


def test_ordinary_licences_stand_side_by_side() -> None:
    assert not clash(grant(LicenceKind.ORDINARY, "A"), grant(LicenceKind.ORDINARY, "B"))
    assert not clash(grant(LicenceKind.OPEN, "A"), grant(LicenceKind.TRIAL, "B"))


def test_only_grants_in_force_block() -> None:
    ended = [grant(LicenceKind.EXCLUSIVE, "A", status=s) for s in (LicenceStatus.LAPSED, LicenceStatus.TERMINATED)]
    assert blocking(grant(LicenceKind.EXCLUSIVE, "B"), ended) == []
    pending = grant(LicenceKind.OPEN, "A", status=LicenceStatus.PENDING)
    assert blocking(grant(LicenceKind.EXCLUSIVE, "B"), [pending]) == [pending]


def test_check_grant_names_what_blocks() -> None:
    existing = grant(LicenceKind.EXCLUSIVE, "91330502MA2B3C4D5E", HUZHOU)
    with pytest.raises(Conflict) as exc:
        check_grant(grant(LicenceKind.ORDINARY, "B", WUXING), [existing], open_licence_in_force=False)
    assert exc.value.field == "term" and "91330502MA2B3C4D5E" in exc.value.detail


def test_no_exclusive_or_sole_licence_while_an_open_licence_is_declared() -> None:
    for kind in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE):
        with pytest.raises(Conflict, match="art. 51") as exc:
            check_grant(grant(kind), [], open_licence_in_force=True)
        assert exc.value.field == "kind"
    check_grant(grant(LicenceKind.ORDINARY), [], open_licence_in_force=True)


def test_exclusive_or_sole_during_a_term() -> None:
    sole = grant(LicenceKind.SOLE, "A", WUXING, Y2026)
    assert exclusive_or_sole_during([sole], Term(date(2026, 12, 31))) == [sole]
    assert exclusive_or_sole_during([sole], Y2027) == []
    assert exclusive_or_sole_during([grant(LicenceKind.ORDINARY)], Y2026) == []


# --- properties ---------------------------------------------------------------------------------------------------

regions = st.sampled_from(["CN", "330000", "330500", "330502", "330503", "330521", "320000", "320500", "320505"])
territories = st.lists(regions, min_size=1, max_size=3).map(Territory.of)
days = st.integers(0, 800).map(lambda n: date(2026, 1, 1) + timedelta(days=n))


@st.composite
def terms(draw: st.DrawFn) -> Term:
    start = draw(days)
    length = draw(st.none() | st.integers(0, 400))
    return Term(start, None if length is None else start + timedelta(days=length))


kinds = st.sampled_from([LicenceKind.EXCLUSIVE, LicenceKind.SOLE, LicenceKind.ORDINARY, LicenceKind.OPEN])
grants = st.builds(Grant, kinds, st.sampled_from(["A", "B", "C"]), territories, terms())


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(grants, grants)
def test_clash_is_symmetric(a: Grant, b: Grant) -> None:
    assert clash(a, b) == clash(b, a)


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(grants, grants)
def test_clash_needs_overlap_in_both_term_and_territory(a: Grant, b: Grant) -> None:
    if clash(a, b):
        assert a.term.overlaps(b.term) and a.territory.overlaps(b.territory)


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(terms(), terms(), days)
def test_terms_that_share_a_day_overlap(a: Term, b: Term, day: date) -> None:
    if a.covers(day) and b.covers(day):
        assert a.overlaps(b)
    if a.overlaps(b):
        first_common = max(a.start, b.start)
        assert a.covers(first_common) and b.covers(first_common)


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(st.lists(grants, max_size=8), grants)
def test_a_set_built_by_check_grant_never_holds_a_clash(existing: list[Grant], new: Grant) -> None:
    kept: list[Grant] = []
    for candidate in [*existing, new]:
        try:
            check_grant(candidate, kept, open_licence_in_force=False)
        except Conflict:
            continue
        kept.append(candidate)
    assert not any(clash(a, b) for i, a in enumerate(kept) for b in kept[i + 1:])
