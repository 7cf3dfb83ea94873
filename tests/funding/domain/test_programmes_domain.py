"""Fund pool → programme → round, and the dated per-issuer amounts (services.funding.domain.programmes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from funding_builders import POOL, PROGRAMME, ROUND

from services.funding.domain.money import wan
from services.funding.domain.programmes import (
    AwardMode,
    DatedAmount,
    Instrument,
    IssuerLevel,
    Programme,
    ProgrammeError,
    Round,
    RoundPhase,
    amount_in_force,
    check_programme,
    check_round,
    enterprise_cap,
    phase,
    require_open,
    rules_for,
)
from services.funding.domain.reference_data import HUZHOU, REWARD_AMOUNTS


def test_every_instrument_of_the_issue() -> None:
    assert {i.value for i in Instrument} == {"grant", "subsidy", "loan_interest_subsidy", "innovation_voucher",
                                             "equity_co_investment", "challenge_bounty"}


def test_the_demo_hierarchy_fits() -> None:
    check_programme(PROGRAMME, POOL)
    check_round(ROUND, PROGRAMME)
    assert PROGRAMME.mode == AwardMode.APPLICATION and PROGRAMME.instrument is Instrument.GRANT


@pytest.mark.parametrize(("field", "value"), [("budget_fen", 0), ("budget_fen", -1), ("budget_fen", 1.5),
                                              ("budget_fen", "100"), ("per_enterprise_cap_fen", True)])
def test_money_fields_are_positive_integers_of_fen(field: str, value: object) -> None:
    with pytest.raises(ProgrammeError) as refused:
        replace(PROGRAMME, **{field: value})
    assert refused.value.code == "invalid_amount" and refused.value.field == field


def test_dates_run_forwards_and_a_cap_stays_within_the_budget() -> None:
    with pytest.raises(ProgrammeError) as backwards:
        replace(ROUND, opens_on=date(2026, 7, 1))
    assert backwards.value.code == "closes_before_opening"
    with pytest.raises(ProgrammeError) as cap:
        replace(PROGRAMME, per_enterprise_cap_fen=wan(1001))
    assert cap.value.code == "cap_above_budget"


def test_a_round_fits_inside_its_programme() -> None:
    with pytest.raises(ProgrammeError) as outside:
        check_round(replace(ROUND, closes_on=date(2026, 12, 1)), PROGRAMME)
    assert outside.value.code == "outside_parent_dates"
    with pytest.raises(ProgrammeError) as cap:
        check_round(replace(ROUND, per_enterprise_cap_fen=wan(60)), PROGRAMME)
    assert cap.value.code == "cap_above_programme_cap"
    with pytest.raises(ProgrammeError) as above_budget:
        check_round(replace(ROUND, budget_fen=wan(10), per_enterprise_cap_fen=wan(20)), PROGRAMME)
    assert above_budget.value.code == "cap_above_budget"
    with pytest.raises(ProgrammeError) as parent:
        check_round(replace(ROUND, programme_id="prog-x"), PROGRAMME)
    assert parent.value.code == "wrong_parent"


def test_sibling_budgets_add_up_within_the_parent() -> None:
    second = replace(ROUND, id="round-2", name="2026年第二批", budget_fen=wan(700))
    check_round(ROUND, PROGRAMME, [second])  # 300 + 700 = 1000: on the edge
    with pytest.raises(ProgrammeError) as over:
        check_round(ROUND, PROGRAMME, [replace(second, budget_fen=wan(700) + 1)])
    assert over.value.code == "over_allotted" and over.value.extra["total_fen"] == wan(1000) + 1
    check_round(ROUND, PROGRAMME, [ROUND])  # the round itself among its siblings counts once
    other = replace(PROGRAMME, id="prog-2", budget_fen=wan(4001), per_enterprise_cap_fen=wan(10))
    with pytest.raises(ProgrammeError):
        check_programme(PROGRAMME, POOL, [other])


def test_a_round_is_open_on_both_of_its_dates() -> None:
    assert phase(ROUND.opens_on, ROUND.closes_on, date(2026, 3, 31)) == RoundPhase.UPCOMING
    assert phase(ROUND.opens_on, ROUND.closes_on, date(2026, 4, 1)) == RoundPhase.OPEN
    assert phase(ROUND.opens_on, ROUND.closes_on, date(2026, 6, 30)) == RoundPhase.OPEN
    assert phase(ROUND.opens_on, ROUND.closes_on, date(2026, 7, 1)) == RoundPhase.CLOSED
    require_open(ROUND, date(2026, 6, 30))
    with pytest.raises(ProgrammeError) as closed:
        require_open(ROUND, date(2026, 7, 1))
    assert closed.value.code == "round_closed"
    with pytest.raises(ProgrammeError) as early:
        require_open(ROUND, date(2026, 3, 1))
    assert early.value.code == "round_not_open"


def test_the_enterprise_cap_is_the_tighter_of_round_and_programme() -> None:
    assert enterprise_cap(PROGRAMME, ROUND) == wan(50)
    assert enterprise_cap(PROGRAMME, replace(ROUND, per_enterprise_cap_fen=wan(20))) == wan(20)
    # Stored data may predate a programme cut: the programme's cap still bounds it.
    assert enterprise_cap(replace(PROGRAMME, per_enterprise_cap_fen=wan(10)),
                          replace(ROUND, per_enterprise_cap_fen=wan(20))) == wan(10)


def test_rules_are_the_programmes_then_the_rounds() -> None:
    assert rules_for(PROGRAMME, ROUND) == (*PROGRAMME.eligibility, *ROUND.eligibility)


def test_plain_strings_become_vocabulary_members() -> None:
    p = Programme("p", "pool", "贴息", "loan_interest_subsidy", "德清县", "county", wan(100), wan(10),  # type: ignore[arg-type]
                  date(2026, 1, 1), date(2026, 12, 31), mode="automatic")  # type: ignore[arg-type]
    assert (p.instrument, p.issuer_level, p.mode) == (Instrument.LOAN_INTEREST_SUBSIDY, IssuerLevel.COUNTY,
                                                      AwardMode.AUTOMATIC)
    with pytest.raises(ValueError):
        replace(p, instrument="lottery")
    assert Round("r", "p", "x", wan(1), date(2026, 1, 1), date(2026, 1, 1)).per_enterprise_cap_fen is None


# --- dated, per-issuer amounts ------------------------------------------------------------------------------------


def test_the_amount_in_force_is_chosen_by_issuer_item_and_date() -> None:
    first = amount_in_force(REWARD_AMOUNTS, issuer=HUZHOU, item="hnte_first_recognition", on=date(2026, 5, 1))
    assert first.amount_fen == wan(20) and first.ceiling and first.confidence == "C"
    assert amount_in_force(REWARD_AMOUNTS, issuer=HUZHOU, item="hnte_re_recognition",
                           on=date(2026, 5, 1)).amount_fen == wan(10)
    with pytest.raises(ProgrammeError) as none:
        amount_in_force(REWARD_AMOUNTS, issuer=HUZHOU, item="hnte_first_recognition", on=date(2024, 12, 31))
    assert none.value.code == "no_amount_in_force"
    with pytest.raises(ProgrammeError):  # another city's figure never stands in for Huzhou's
        amount_in_force(REWARD_AMOUNTS, issuer=HUZHOU, item="tech_sme_first_recognition", on=date(2026, 5, 1))


def test_a_new_years_figure_replaces_the_old_without_editing_it() -> None:
    rows = (*REWARD_AMOUNTS, DatedAmount(HUZHOU, "hnte_first_recognition", wan(15), date(2027, 1, 1)))
    assert amount_in_force(rows, issuer=HUZHOU, item="hnte_first_recognition", on=date(2026, 12, 31)).amount_fen == wan(20)
    assert amount_in_force(rows, issuer=HUZHOU, item="hnte_first_recognition", on=date(2027, 1, 1)).amount_fen == wan(15)


def test_a_dated_amount_ends_when_it_says() -> None:
    row = DatedAmount("安吉县", "x", wan(5), date(2025, 1, 1), date(2025, 12, 31))
    assert row.in_force(date(2025, 12, 31)) and not row.in_force(date(2026, 1, 1))
    with pytest.raises(ProgrammeError):
        DatedAmount("安吉县", "x", wan(5), date(2025, 1, 1), date(2024, 12, 31))
    with pytest.raises(ProgrammeError):
        DatedAmount("安吉县", "x", 0, date(2025, 1, 1))


def test_two_figures_from_the_same_day_are_a_data_error() -> None:
    rows = (*REWARD_AMOUNTS, DatedAmount(HUZHOU, "hnte_first_recognition", wan(25), date(2025, 1, 1)))
    with pytest.raises(ProgrammeError) as refused:
        amount_in_force(rows, issuer=HUZHOU, item="hnte_first_recognition", on=date(2026, 5, 1))
    assert refused.value.code == "ambiguous_amount"
