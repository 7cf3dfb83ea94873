"""The ledger (services.funding.domain.ledger): entries, the folded balance, the budget invariant, reconciliation
and tranches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from funding_builders import funded_ledger

from services.funding.domain.ledger import (
    Balance,
    Discrepancy,
    Entry,
    EntryKind,
    EntryRefused,
    Ledger,
    Tranche,
    TrancheCondition,
    TranchePlanError,
    TrancheSpec,
    balances_by_programme,
    balances_by_round,
    check_allocation,
    check_entry,
    check_plan,
    fold,
    plan_tranches,
    reconcile,
    split_amount,
)
from services.funding.domain.money import wan

K = EntryKind


def entry(kind: EntryKind, amount: int, reference: str | None = "app-1", key: str | None = None) -> Entry:
    return Entry(kind, amount, "prog-srdi", "round-1", None if kind == K.ALLOCATED else reference, key)


# --- entries -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1, 1.0, "100", Decimal(100), True])
def test_an_entry_moves_a_positive_integer_of_fen(amount: object) -> None:
    with pytest.raises(EntryRefused) as refused:
        Entry(K.COMMITTED, amount, "p", "r", "app-1")  # type: ignore[arg-type]
    assert refused.value.code == "invalid_amount"


def test_an_entry_names_its_reference_except_an_allocation() -> None:
    with pytest.raises(EntryRefused, match="names the application"):
        Entry(K.DISBURSED, 100, "p", "r")
    with pytest.raises(EntryRefused, match="belongs to the round"):
        Entry(K.ALLOCATED, 100, "p", "r", "app-1")


# --- balances ----------------------------------------------------------------------------------------------------


def test_a_balance_is_the_sum_per_kind_and_what_follows() -> None:
    entries = [entry(K.ALLOCATED, 1000), entry(K.COMMITTED, 300), entry(K.DISBURSED, 100), entry(K.RELEASED, 50),
               entry(K.CLAWED_BACK, 40), entry(K.VOUCHER_ISSUED, 200, "v-1"), entry(K.VOUCHER_REDEEMED, 70, "v-1")]
    balance = fold(entries)
    assert balance == Balance(allocated=1000, committed=300, disbursed=100, released=50, clawed_back=40,
                              voucher_issued=200, voucher_redeemed=70)
    assert balance.reserved_fen == 300 + 200 - 100 - 70 - 50 == 280
    assert balance.paid_fen == 170
    assert balance.available_fen == 1000 - 280 - 170 == 550
    assert balance.recoverable_fen == 130
    assert fold([]) == Balance()


def test_clawed_back_money_is_not_spent_again() -> None:
    ledger = funded_ledger(1000)
    for e in (entry(K.COMMITTED, 1000), entry(K.DISBURSED, 1000), entry(K.CLAWED_BACK, 1000)):
        ledger = ledger.append(e)
    assert ledger.balance.available_fen == 0
    assert ledger.check(entry(K.COMMITTED, 1, "app-2")).code == "budget_exhausted"
    assert ledger.append(entry(K.ALLOCATED, 1000)).balance.available_fen == 1000  # re-allocated, visibly


def test_balances_per_round_add_up_to_the_programme() -> None:
    entries = [Entry(K.ALLOCATED, 500, "p1", "r1"), Entry(K.ALLOCATED, 300, "p1", "r2"),
               Entry(K.COMMITTED, 200, "p1", "r2", "a"), Entry(K.ALLOCATED, 100, "p2", "r3")]
    by_round = balances_by_round(entries)
    assert by_round[("p1", "r2")].available_fen == 100
    by_programme = balances_by_programme(entries)
    assert by_programme["p1"] == by_round[("p1", "r1")] + by_round[("p1", "r2")]
    assert by_programme["p1"].available_fen == 600 and by_programme["p2"].available_fen == 100


# --- the invariant -----------------------------------------------------------------------------------------------


def test_a_commitment_fits_in_what_is_available_to_the_fen() -> None:
    balance = fold([entry(K.ALLOCATED, 1000), entry(K.COMMITTED, 600, "a")])
    assert check_entry(balance, entry(K.COMMITTED, 400, "b")).accepted
    refused = check_entry(balance, entry(K.COMMITTED, 401, "b"))
    assert (refused.accepted, refused.code) == (False, "budget_exhausted")
    assert "4.00元" in refused.detail
    assert check_entry(balance, entry(K.VOUCHER_ISSUED, 401, "v")).code == "budget_exhausted"


def test_a_payment_draws_on_its_own_reservation_of_the_matching_kind() -> None:
    ledger = funded_ledger(1000).append(entry(K.COMMITTED, 300, "a")).append(entry(K.VOUCHER_ISSUED, 200, "v"))
    assert ledger.check(entry(K.DISBURSED, 300, "a")).accepted
    assert ledger.check(entry(K.DISBURSED, 301, "a")).code == "beyond_reservation"
    assert ledger.check(entry(K.DISBURSED, 1, "b")).code == "nothing_reserved"  # another application's money
    assert ledger.check(entry(K.DISBURSED, 1, "v")).code == "nothing_reserved"  # a voucher is redeemed, not disbursed
    assert ledger.check(entry(K.VOUCHER_REDEEMED, 1, "a")).code == "nothing_reserved"
    assert ledger.check(entry(K.VOUCHER_ISSUED, 1, "a")).code == "kind_mismatch"
    assert ledger.check(entry(K.VOUCHER_REDEEMED, 200, "v")).accepted


def test_releases_and_clawbacks_are_bounded_by_their_reference() -> None:
    ledger = funded_ledger(1000).append(entry(K.COMMITTED, 300, "a")).append(entry(K.DISBURSED, 100, "a"))
    assert ledger.check(entry(K.RELEASED, 200, "a")).accepted
    assert ledger.check(entry(K.RELEASED, 201, "a")).code == "beyond_reservation"
    assert ledger.check(entry(K.CLAWED_BACK, 100, "a")).accepted
    assert ledger.check(entry(K.CLAWED_BACK, 101, "a")).code == "beyond_paid"
    ledger = ledger.append(entry(K.CLAWED_BACK, 60, "a"))
    assert ledger.check(entry(K.CLAWED_BACK, 41, "a")).code == "beyond_paid"


def test_an_allocation_keeps_the_rounds_within_the_programme() -> None:
    assert check_allocation(wan(1000), wan(700), wan(300)).accepted
    assert check_allocation(wan(1000), wan(700), wan(300) + 1).code == "programme_over_allocated"


def test_a_ledger_takes_only_its_own_round() -> None:
    with pytest.raises(EntryRefused) as refused:
        funded_ledger().append(Entry(K.ALLOCATED, 1, "prog-srdi", "round-2"))
    assert refused.value.code == "wrong_round"


def test_a_retried_entry_is_written_once() -> None:
    ledger = funded_ledger(1000).append(entry(K.COMMITTED, 300, "a", key="application:a:committed"))
    pay = entry(K.DISBURSED, 300, "a", key="application:a:disbursed:0")
    once = ledger.append(pay)
    retried_next_day = Entry(K.DISBURSED, 300, "prog-srdi", "round-1", "a", "application:a:disbursed:0",
                             on=date(2026, 5, 21), note="retry")
    assert once.append(pay) is once
    assert once.append(retried_next_day) is once
    assert once.balance.disbursed == 300
    with pytest.raises(EntryRefused) as refused:
        once.append(entry(K.DISBURSED, 200, "a", key="application:a:disbursed:0"))
    assert refused.value.code == "key_reused"


def test_a_refused_entry_raises_and_leaves_the_ledger_as_it_was() -> None:
    ledger = funded_ledger(100)
    with pytest.raises(EntryRefused) as refused:
        ledger.append(entry(K.COMMITTED, 101, "a"))
    assert refused.value.code == "budget_exhausted"
    assert ledger.balance.available_fen == 100 and len(ledger.entries) == 1


# --- reconciliation ----------------------------------------------------------------------------------------------


def test_reconcile_names_every_field_that_differs() -> None:
    entries = [entry(K.ALLOCATED, 1000), entry(K.COMMITTED, 300), entry(K.DISBURSED, 100)]
    assert reconcile(fold(entries), entries, budget_fen=1000) == ()
    drifted = Balance(allocated=1000, committed=300, disbursed=90)
    assert reconcile(drifted, entries) == (Discrepancy("disbursed", 90, 100),)
    assert reconcile(fold(entries), entries, budget_fen=1200) == (Discrepancy("budget_fen", 1200, 1000),)


def test_every_kind_has_its_balance_field() -> None:
    entries = [Entry(kind, 1, "p", "r", None if kind == K.ALLOCATED else "x") for kind in EntryKind]
    balance = fold(entries)
    assert all(balance.total(kind) == 1 for kind in EntryKind)


# --- tranches ----------------------------------------------------------------------------------------------------


def test_the_last_tranche_takes_the_rounding_remainder() -> None:
    third = Decimal(1) / 3
    shares = [third, third, Decimal(1) - 2 * third]
    assert sum(shares) == 1
    assert split_amount(wan(1), shares) == (333333, 333333, 333334)
    assert split_amount(100, [Decimal("0.3"), Decimal("0.3"), Decimal("0.4")]) == (30, 30, 40)
    assert split_amount(7, [Decimal("0.5"), Decimal("0.5")]) == (3, 4)


@pytest.mark.parametrize(("shares", "code"), [
    ([], "no_tranches"),
    ([Decimal("0.5"), Decimal("0.4")], "shares_not_whole"),
    ([Decimal("1.2"), Decimal("-0.2")], "invalid_share"),
    ([0.5, 0.5], "invalid_share"),  # floats: never
    ([Decimal("0.001"), Decimal("0.999")], "tranche_too_small"),  # 0.1 % of 5 fen rounds down to 0
])
def test_bad_shares_are_refused(shares: list[Decimal], code: str) -> None:
    with pytest.raises(TranchePlanError) as refused:
        split_amount(5 if code == "tranche_too_small" else wan(1), shares)
    assert refused.value.code == code


def test_a_milestone_plan() -> None:
    # 余杭 安心宝-style milestones (REFERENCE §7.5), the acceptance tranche last.
    plan = plan_tranches(wan(50) + 1, [TrancheSpec("立项", Decimal("0.3"), TrancheCondition.NONE),
                                      TrancheSpec("中期考核", Decimal("0.4"), planned_on=date(2027, 1, 31)),
                                      TrancheSpec("结题验收", Decimal("0.3"), TrancheCondition.ACCEPTANCE)])
    assert [t.amount_fen for t in plan] == [wan(15), wan(20), wan(15) + 1]
    assert [t.index for t in plan] == [0, 1, 2] and plan[1].planned_on == date(2027, 1, 31)
    check_plan(wan(50) + 1, plan)


def test_check_plan_refuses_a_plan_that_is_not_the_amount_or_not_in_order() -> None:
    with pytest.raises(TranchePlanError, match="not the approved"):
        check_plan(100, (Tranche(0, "a", 60), Tranche(1, "b", 30)))
    with pytest.raises(TranchePlanError) as order:
        check_plan(100, (Tranche(1, "a", 60), Tranche(0, "b", 40)))
    assert order.value.code == "bad_order"
    with pytest.raises(TranchePlanError) as paid:
        check_plan(100, (Tranche(0, "a", 100, paid_on=date(2026, 1, 1)),))
    assert paid.value.code == "already_paid"
    with pytest.raises(TranchePlanError) as zero:
        check_plan(100, (Tranche(0, "a", 100), Tranche(1, "b", 0)))
    assert zero.value.code == "invalid_amount"


def test_an_empty_ledger() -> None:
    assert Ledger("p", "r").balance.available_fen == 0
    assert Ledger("p", "r").check(Entry(K.COMMITTED, 1, "p", "r", "a")).code == "budget_exhausted"
