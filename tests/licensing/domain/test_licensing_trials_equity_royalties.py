"""Trial-then-transfer (先用后转), equity contribution (作价入股) and royalty schedules and yearly figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.licensing.domain.equity import (
    EquityPolicy,
    EquityStatus,
    EquityTerms,
    PricingMethod,
    ValuationMethod,
    check_registrable,
    check_total_shares,
    inventors_equity_fen,
)
from services.licensing.domain.licences import LicenceStatus
from services.licensing.domain.open_licences import Royalty, RoyaltyBasis, RoyaltyMode
from services.licensing.domain.royalties import (
    LicenceFact,
    Paid,
    PaymentFact,
    add_months,
    reconcile,
    running_royalty_fen,
    schedule,
    yearly_figures,
)
from services.licensing.domain.trials import (
    ConversionMode,
    TrialPolicy,
    TrialTerms,
    check_convertible,
    lapse_due,
    reminder_due,
)
from services.licensing.domain.values import Term
from shared.errors import Conflict, InvalidInput

END = date(2026, 9, 30)
TRIAL = Term(date(2026, 4, 1), END)


# --- 先用后转 ---------------------------------------------------------------------------------------------------------

def test_trial_terms_agree_the_price_or_formula_up_front() -> None:
    TrialTerms(ConversionMode.TRANSFER, TRIAL, price_fen=30_000_000)
    TrialTerms(ConversionMode.LICENCE, TRIAL, price_formula="首两年净销售额的3%")
    with pytest.raises(InvalidInput) as exc:
        TrialTerms(ConversionMode.EQUITY, TRIAL)
    assert exc.value.field == "price_fen"
    with pytest.raises(InvalidInput) as exc:
        TrialTerms(ConversionMode.TRANSFER, Term(date(2026, 4, 1)), price_fen=1)
    assert exc.value.field == "trial_end"
    with pytest.raises(InvalidInput):
        TrialTerms(ConversionMode.TRANSFER, TRIAL, price_fen=1).check(TrialPolicy(max_trial_days=90))


def test_conversion_during_the_trial_pays_the_agreed_price() -> None:
    check_convertible(LicenceStatus.TRIAL, END, END, price_fen=30_000_000, paid_fen=30_000_000)
    with pytest.raises(InvalidInput) as exc:
        check_convertible(LicenceStatus.TRIAL, END, END, price_fen=30_000_000, paid_fen=29_999_999)
    assert exc.value.field == "amount_fen"
    with pytest.raises(InvalidInput):
        check_convertible(LicenceStatus.TRIAL, END, END, price_fen=None, paid_fen=0)


def test_a_conversion_after_lapse_is_refused_with_the_day_it_lapsed() -> None:
    for status, today in ((LicenceStatus.LAPSED, END), (LicenceStatus.TRIAL, END + timedelta(days=1))):
        with pytest.raises(Conflict) as exc:
            check_convertible(status, END, today, price_fen=1, paid_fen=1)
        assert exc.value.extra["lapsed_on"] == "2026-10-01" and "lapsed" in exc.value.detail
    with pytest.raises(Conflict, match="converted"):
        check_convertible(LicenceStatus.CONVERTED, END, END, price_fen=1, paid_fen=1)


def test_reminders_go_out_once_within_the_lead_time() -> None:
    policy = TrialPolicy(reminder_days=14)
    assert not reminder_due(LicenceStatus.TRIAL, END, None, END - timedelta(days=15), policy)
    assert reminder_due(LicenceStatus.TRIAL, END, None, END - timedelta(days=14), policy)
    assert reminder_due(LicenceStatus.TRIAL, END, None, END, policy)
    assert not reminder_due(LicenceStatus.TRIAL, END, END - timedelta(days=3), END, policy)
    assert not reminder_due(LicenceStatus.TRIAL, END, None, END + timedelta(days=1), policy)
    assert not reminder_due(LicenceStatus.CONVERTED, END, None, END, policy)


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(st.integers(-60, 60))
def test_a_trial_lapses_exactly_after_its_last_day(offset: int) -> None:
    today = END + timedelta(days=offset)
    assert lapse_due(LicenceStatus.TRIAL, END, today) == (offset > 0)
    converts = True
    try:
        check_convertible(LicenceStatus.TRIAL, END, today, price_fen=None, paid_fen=1)
    except Conflict:
        converts = False
    assert converts == (offset <= 0)


# --- 作价入股 ---------------------------------------------------------------------------------------------------------

def terms(**changes: object) -> EquityTerms:
    values: dict[str, object] = {
        "valuation_method": ValuationMethod.INCOME, "appraisal_report_no": "浙坤元评报〔2026〕第118号",
        "appraisal_amount_fen": 800_000_000, "target_uscc": "91330502MA2B3C4D5E", "share_ratio": Decimal("0.2"),
        "pricing_method": PricingMethod.AGREEMENT, "inventors_share": Decimal("0.7"),
        "publicity_start": date(2026, 5, 1), "publicity_end": date(2026, 5, 15)}
    return EquityTerms(**{**values, **changes})  # type: ignore[arg-type]


def test_equity_terms_pass() -> None:
    terms().check()
    assert inventors_equity_fen(terms()) == 560_000_000


def test_a_share_above_100_percent_is_refused() -> None:
    with pytest.raises(InvalidInput, match="above 100%") as exc:
        terms(share_ratio=Decimal("1.01")).check()
    assert exc.value.field == "share_ratio"
    check_total_shares([Decimal("0.6"), Decimal("0.3")], Decimal("0.1"))
    with pytest.raises(InvalidInput, match="100.01%"):
        check_total_shares([Decimal("0.6"), Decimal("0.3")], Decimal("0.1001"))


def test_the_inventors_share_below_the_default_needs_a_recorded_agreement() -> None:
    with pytest.raises(InvalidInput) as exc:
        terms(inventors_share=Decimal("0.49")).check()
    assert exc.value.field == "inventors_share" and "50%" in exc.value.detail
    terms(inventors_share=Decimal("0.3"), reward_agreement_ref="湖师院科〔2026〕12号").check()
    terms(inventors_share=Decimal("0.3")).check(EquityPolicy(min_inventors_share=Decimal("0.3")))


def test_agreement_pricing_needs_a_publicity_period() -> None:
    with pytest.raises(InvalidInput) as exc:
        terms(publicity_end=None).check()
    assert exc.value.field == "publicity_end"
    terms(pricing_method=PricingMethod.AUCTION, publicity_start=None, publicity_end=None).check()
    with pytest.raises(InvalidInput):
        terms(publicity_end=date(2026, 4, 30)).check()


def test_registration_after_publicity_once() -> None:
    with pytest.raises(Conflict, match="publicity"):
        check_registrable(EquityStatus.AGREED, terms(), date(2026, 5, 15), "ZL-BG-2026-001")
    check_registrable(EquityStatus.AGREED, terms(), date(2026, 5, 16), "ZL-BG-2026-001")
    with pytest.raises(Conflict, match="already"):
        check_registrable(EquityStatus.REGISTERED, terms(), date(2026, 6, 1), "ZL-BG-2026-001")
    with pytest.raises(InvalidInput):
        check_registrable(EquityStatus.AGREED, terms(), date(2026, 6, 1), " ")


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4))
def test_the_inventors_default_is_a_boundary(inventors: Decimal) -> None:
    try:
        terms(inventors_share=inventors).check()
        accepted = True
    except InvalidInput:
        accepted = False
    assert accepted == (inventors >= Decimal("0.5"))


# --- royalties ------------------------------------------------------------------------------------------------------

def test_a_lump_sum_falls_due_once() -> None:
    due = schedule(Royalty(RoyaltyMode.LUMP_SUM, lump_sum_fen=5_000_000), Term(date(2026, 1, 1), date(2027, 12, 31)))
    assert [(i.due_on, i.kind, i.amount_fen) for i in due] == [(date(2026, 1, 1), "lump_sum", 5_000_000)]


def test_an_entry_fee_then_quarterly_royalties() -> None:
    royalty = Royalty(RoyaltyMode.ENTRY_FEE_PLUS_ROYALTY, entry_fee_fen=1_000_000, rate=Decimal("0.03"),
                      basis=RoyaltyBasis.NET_SALES)
    due = schedule(royalty, Term(date(2026, 2, 15), date(2026, 12, 31)))
    assert due[0].kind == "entry_fee" and due[0].due_on == date(2026, 2, 15)
    assert [i.due_on for i in due[1:]] == [date(2026, 5, 14), date(2026, 8, 14), date(2026, 11, 14),
                                           date(2026, 12, 31)]
    assert running_royalty_fen(Decimal("0.03"), 12_345_678) == 370_370


@settings(deadline=None)  # a loaded 2-core machine: time is not what these test
@given(st.integers(0, 2000).map(lambda n: date(2025, 1, 1) + timedelta(days=n)), st.integers(0, 1500),
       st.sampled_from([1, 3, 6, 12]))
def test_running_royalty_periods_tile_the_term(start: date, length: int, months: int) -> None:
    term = Term(start, start + timedelta(days=length))
    due = schedule(Royalty(RoyaltyMode.RUNNING_ROYALTY, rate=Decimal("0.05"), basis=RoyaltyBasis.PROFIT), term,
                   period_months=months)
    assert due[0].period_start == term.start and due[-1].period_end == term.end
    for before, after in zip(due, due[1:], strict=False):
        assert after.period_start == before.period_end + timedelta(days=1)  # type: ignore[operator]
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_yearly_figures_per_institute() -> None:
    licences = [LicenceFact("hznu", "open", "A", date(2026, 3, 1)), LicenceFact("hznu", "open", "B", date(2026, 4, 1)),
                LicenceFact("hznu", "exclusive", "A", date(2026, 5, 1)), LicenceFact("zju-hz", "trial", "C", None),
                LicenceFact("hznu", "ordinary", "D", date(2025, 12, 31))]
    payments = [PaymentFact("hznu", date(2026, 3, 1), 5_000_000), PaymentFact("hznu", date(2025, 12, 31), 7),
                PaymentFact("zju-hz", date(2026, 8, 1), 1_000)]
    rows = {r.institute_id: r.as_dict() for r in yearly_figures(licences, payments, 2026)}
    assert rows["hznu"] == {"institute_id": "hznu", "year": 2026, "income_fen": 5_000_000, "payments": 1,
                            "licences_by_mode": {"exclusive": 1, "open": 2}, "licences": 3, "firms_reached": 2}
    assert rows["zju-hz"]["licences"] == 0 and rows["zju-hz"]["income_fen"] == 1_000


def test_reconciliation_says_what_is_paid_outstanding_and_upcoming() -> None:
    royalty = Royalty(RoyaltyMode.ENTRY_FEE_PLUS_ROYALTY, entry_fee_fen=1_000_000, rate=Decimal("0.03"),
                      basis=RoyaltyBasis.NET_SALES)
    due = schedule(royalty, Term(date(2026, 1, 1), date(2026, 12, 31)))
    paid = [Paid("upfront", date(2026, 1, 5), 600_000), Paid("upfront", date(2026, 1, 20), 400_000),
            Paid("royalty", date(2026, 4, 20), 37_000, date(2026, 1, 1), date(2026, 3, 31))]
    states = [(s.instalment.kind, s.status, s.paid_fen) for s in reconcile(due, paid, date(2026, 7, 15))]
    assert states == [("entry_fee", "paid", 1_000_000), ("running_royalty", "paid", 37_000),
                      ("running_royalty", "outstanding", 0), ("running_royalty", "upcoming", 0),
                      ("running_royalty", "upcoming", 0)]
    short = reconcile(due[:1], [Paid("upfront", date(2026, 1, 5), 999_999)], date(2026, 2, 1))
    assert (short[0].status, short[0].paid_fen) == ("outstanding", 999_999)
