"""A patent's facts and standing, and the open licence (开放许可, arts. 50–52): when it may be declared, what it
states, and when a licensee's licence takes effect."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.licensing.domain.licences import Grant, LicenceKind
from services.licensing.domain.open_licences import (
    Declaration,
    DeclarationStatus,
    OpenLicencePolicy,
    Royalty,
    RoyaltyBasis,
    RoyaltyMode,
    check_declarable,
    check_takeable,
    check_withdrawable,
    effective_on,
)
from services.licensing.domain.patents import (
    FeeStatus,
    LegalStatus,
    Mode,
    PatentContent,
    Patentee,
    PatentType,
    PledgeStatus,
    Standing,
    check_ipc,
    check_listable,
    check_modes,
    check_patentees,
    check_publication_numbers,
    patent_type_of,
)
from services.licensing.domain.values import Term, Territory, application_number
from shared.errors import Conflict, InvalidInput

HOLDER = "湖州师范学院"
CONSENTED = Patentee(HOLDER, consented=True, consented_on=date(2026, 3, 1))
TERM = Term(date(2026, 6, 1), date(2031, 5, 31))
LUMP = Royalty(RoyaltyMode.LUMP_SUM, lump_sum_fen=5_000_000)


def standing(**changes: object) -> Standing:
    values: dict[str, object] = {"legal_status": LegalStatus.GRANTED, "patentees": (CONSENTED,)}
    return Standing(**{**values, **changes})  # type: ignore[arg-type]


def declaration(**changes: object) -> Declaration:
    values: dict[str, object] = {"royalty": LUMP, "standard": "一次性支付，许可期内不限产量", "term": TERM}
    return Declaration(**{**values, **changes})  # type: ignore[arg-type]


# --- numbers and facts ----------------------------------------------------------------------------------------------

def test_an_application_number_with_a_wrong_check_names_the_expected_one() -> None:
    with pytest.raises(InvalidInput) as exc:
        application_number("2023 1 0123456.7")
    assert exc.value.field == "application_number"
    assert "should be 6" in exc.value.detail and exc.value.extra["expected_check_character"] == "6"
    with pytest.raises(InvalidInput) as exc:
        application_number("202140182616.5")  # type digit 4 does not exist
    assert "type digit" in exc.value.detail and exc.value.extra["expected_check_character"] is None


def test_the_type_follows_the_type_digit() -> None:
    assert patent_type_of(application_number("ZL202322865413.3")) is PatentType.UTILITY_MODEL
    assert patent_type_of(application_number("202110182616.5")) is PatentType.INVENTION


def test_publication_numbers_match_the_patent_type() -> None:
    assert check_publication_numbers(["CN 113078375 B", "CN113078375B", "CN110823978A"], PatentType.INVENTION) == (
        "CN113078375B", "CN110823978A")
    with pytest.raises(InvalidInput) as exc:
        check_publication_numbers(["CN113078375B", "CN213078375U"], PatentType.INVENTION)
    assert exc.value.field == "publication_numbers.1"
    with pytest.raises(InvalidInput, match="not recognised"):
        check_publication_numbers(["CN113078375Q"], PatentType.INVENTION)


def test_ipc_classes() -> None:
    assert check_ipc(["g06t 7/00", "B01D53/86", "G06T7/00", "H01M"]) == ("G06T7/00", "B01D53/86", "H01M")
    with pytest.raises(InvalidInput) as exc:
        check_ipc(["G06T7/00", "Z99"])
    assert exc.value.field == "ipc_classes.1"


def test_patentees_include_the_holder_once() -> None:
    with pytest.raises(InvalidInput, match="holder"):
        check_patentees([Patentee("浙江大学")], HOLDER)
    with pytest.raises(InvalidInput, match="twice") as exc:
        check_patentees([Patentee(HOLDER), Patentee(HOLDER)], HOLDER)
    assert exc.value.field == "patentees.1.name"
    with pytest.raises(InvalidInput, match="date"):
        Patentee(HOLDER, consented=True)


def test_content_needs_what_a_reader_needs() -> None:
    PatentContent("一种竹纤维复合材料", "本发明公开了…", HOLDER, ("李明",), granted_on=date(2023, 1, 1))
    with pytest.raises(InvalidInput) as exc:
        PatentContent("一种竹纤维复合材料", "本发明公开了…", HOLDER, ("李明",))
    assert exc.value.field == "granted_on"
    with pytest.raises(InvalidInput) as exc:
        PatentContent(" ", "…", HOLDER, ("李明",), legal_status=LegalStatus.PENDING)
    assert exc.value.field == "title"


def test_listing_needs_a_mode_and_an_exploitable_patent() -> None:
    assert check_modes(["open_licence", "transfer", "open_licence"]) == (Mode.OPEN_LICENCE, Mode.TRANSFER)
    with pytest.raises(InvalidInput):
        check_modes(["gift"])
    with pytest.raises(InvalidInput):
        check_listable(standing(), ())
    with pytest.raises(Conflict) as exc:
        check_listable(standing(legal_status=LegalStatus.LAPSED), (Mode.TRANSFER,))
    assert exc.value.field == "legal_status"
    with pytest.raises(Conflict) as exc:
        check_listable(standing(patentees=(CONSENTED, Patentee("浙江大学湖州研究院"))), (Mode.TRANSFER,))
    assert exc.value.field == "patentees" and "浙江大学湖州研究院" in exc.value.detail


# --- the declaration --------------------------------------------------------------------------------------------------

def test_a_declaration_of_a_clean_patent_passes() -> None:
    assert check_declarable(declaration(), standing(), PatentType.INVENTION, []) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"legal_status": LegalStatus.PENDING}, "legal_status"),
    ({"pledge_status": PledgeStatus.PLEDGED}, "pledgee_consented"),
    ({"fee_status": FeeStatus.UNPAID}, "fee_status"),
    ({"patentees": (CONSENTED, Patentee("浙江大学湖州研究院"))}, "patentees"),
    ({"transferred": True}, "patent"),
])
def test_a_declaration_is_refused_while_the_patent_is_not_clean(changes: dict[str, object], field: str) -> None:
    with pytest.raises(Conflict) as exc:
        check_declarable(declaration(), standing(**changes), PatentType.INVENTION, [])
    assert exc.value.field == field


def test_a_pledged_patent_may_be_declared_with_the_pledgees_consent() -> None:
    check_declarable(declaration(), standing(pledge_status=PledgeStatus.PLEDGED, pledgee_consented=True),
                     PatentType.INVENTION, [])


def test_an_exclusive_or_sole_licence_in_the_term_blocks_a_declaration() -> None:
    inside = Grant(LicenceKind.SOLE, "A", Territory.of(["330502"]), Term(date(2025, 1, 1), date(2026, 6, 1)))
    with pytest.raises(Conflict) as exc:
        check_declarable(declaration(), standing(), PatentType.INVENTION, [inside])
    assert exc.value.field == "licences"
    ended_before = Grant(LicenceKind.EXCLUSIVE, "A", Territory.of(["CN"]), Term(date(2025, 1, 1), date(2026, 5, 31)))
    ordinary = Grant(LicenceKind.ORDINARY, "B", Territory.of(["CN"]), TERM)
    check_declarable(declaration(), standing(), PatentType.INVENTION, [ended_before, ordinary])


def test_utility_models_and_designs_need_an_evaluation_report() -> None:
    for kind in (PatentType.UTILITY_MODEL, PatentType.DESIGN):
        with pytest.raises(InvalidInput) as exc:
            check_declarable(declaration(), standing(), kind, [])
        assert exc.value.field == "evaluation_report_no"
        check_declarable(declaration(evaluation_report_no="2024-PJ-0012345"), standing(), kind, [])


def test_royalty_modes_state_what_they_need() -> None:
    Royalty(RoyaltyMode.RUNNING_ROYALTY, rate=Decimal("0.03"), basis=RoyaltyBasis.NET_SALES)
    Royalty(RoyaltyMode.ENTRY_FEE_PLUS_ROYALTY, entry_fee_fen=100_000_00, rate=Decimal("0.02"),
            basis=RoyaltyBasis.NET_SALES)
    with pytest.raises(InvalidInput) as exc:
        Royalty(RoyaltyMode.ENTRY_FEE_PLUS_ROYALTY, rate=Decimal("0.02"), basis=RoyaltyBasis.NET_SALES)
    assert exc.value.field == "royalty.entry_fee_fen"
    with pytest.raises(InvalidInput) as exc:
        Royalty(RoyaltyMode.LUMP_SUM, lump_sum_fen=1, rate=Decimal("0.1"))
    assert exc.value.field == "royalty.rate"
    with pytest.raises(InvalidInput):
        Royalty(RoyaltyMode.RUNNING_ROYALTY, rate=Decimal("1.5"), basis=RoyaltyBasis.PROFIT)


def test_the_guide_ceilings_warn_or_refuse_as_configured() -> None:
    high = declaration(royalty=Royalty(RoyaltyMode.RUNNING_ROYALTY, rate=Decimal("0.25"),
                                       basis=RoyaltyBasis.NET_SALES))
    assert check_declarable(high, standing(), PatentType.INVENTION, []) == [
        "a royalty of 25% of net_sales exceeds CNIPA's guide ceiling of 20%"]
    check_declarable(declaration(royalty=Royalty(RoyaltyMode.RUNNING_ROYALTY, rate=Decimal("0.3"),
                                                 basis=RoyaltyBasis.PROFIT)), standing(), PatentType.INVENTION, [])
    with pytest.raises(InvalidInput):
        check_declarable(high, standing(), PatentType.INVENTION, [], policy=OpenLicencePolicy(ceilings_refuse=True))


def test_withdrawal_and_taking() -> None:
    check_withdrawable(DeclarationStatus.IN_FORCE)
    with pytest.raises(Conflict):
        check_withdrawable(DeclarationStatus.WITHDRAWN)
    check_takeable(DeclarationStatus.IN_FORCE, TERM, date(2026, 6, 1))
    with pytest.raises(Conflict):
        check_takeable(DeclarationStatus.WITHDRAWN, TERM, date(2026, 7, 1))
    with pytest.raises(Conflict) as exc:
        check_takeable(DeclarationStatus.IN_FORCE, TERM, date(2031, 6, 1))
    assert exc.value.field == "notice_on"


# --- notice + payment -----------------------------------------------------------------------------------------------

def test_the_licence_takes_effect_when_notice_and_payment_both_hold() -> None:
    notice = date(2026, 7, 1)
    assert effective_on(None, [(date(2026, 6, 20), 5_000_000)], 5_000_000) is None
    assert effective_on(notice, [], 5_000_000) is None
    assert effective_on(notice, [(date(2026, 6, 20), 4_000_000)], 5_000_000) is None
    assert effective_on(notice, [(date(2026, 6, 20), 5_000_000)], 5_000_000) == notice  # paid before the notice
    assert effective_on(notice, [(date(2026, 7, 9), 3_000_000), (date(2026, 7, 3), 2_000_000)],
                        5_000_000) == date(2026, 7, 9)
    assert effective_on(notice, [], 0) == notice  # a running royalty alone is paid on sales, later


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(st.lists(st.tuples(st.integers(0, 100).map(lambda n: date(2026, 1, 1) + timedelta(days=n)),
                          st.integers(1, 3_000_000)), max_size=6),
       st.integers(0, 100).map(lambda n: date(2026, 1, 1) + timedelta(days=n)), st.integers(0, 5_000_000))
def test_effect_never_precedes_the_notice_or_the_completing_payment(payments: list[tuple[date, int]], notice: date,
                                                                    due: int) -> None:
    day = effective_on(notice, payments, due)
    total = sum(a for _, a in payments)
    assert (day is not None) == (total >= due)
    if day is not None:
        assert day >= notice
        assert sum(a for d, a in payments if d <= day) >= due
