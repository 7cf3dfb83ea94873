"""Innovation vouchers (services.funding.domain.vouchers): issue, redemption rules, coverage shares, expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.funding.domain.actors import Actor
from services.funding.domain.ledger import Entry, EntryKind, Ledger
from services.funding.domain.money import wan
from services.funding.domain.reference_data import HANGZHOU_COMPUTE_COVERAGE, YUHUAN_STYLE_TERMS
from services.funding.domain.resources import ResourceKind
from services.funding.domain.vouchers import (
    CoverageRule,
    CoverageTable,
    RedemptionRequest,
    Voucher,
    VoucherAction,
    VoucherCommand,
    VoucherRefused,
    VoucherStatus,
    VoucherTerms,
    issue,
    payable,
    redeem,
    transition,
)

ON = date(2026, 5, 20)


def issued(**overrides: object) -> Voucher:
    voucher, _ = issue(YUHUAN_STYLE_TERMS, id="v-1", programme_id="prog-voucher", round_id="round-v",
                       enterprise_id="ent-1", on=ON, issued_this_year_fen=0, round_available_fen=wan(100))
    return replace(voucher, **overrides)


def claim(booking: str = "b-1", fee_fen: int = wan(3), **overrides: object) -> RedemptionRequest:
    base = RedemptionRequest(booking, "ent-1", "prov-zju-huzhou", ResourceKind.INSTRUMENT, fee_fen, date(2026, 6, 2),
                             size_class="small")
    return replace(base, **overrides)


# --- issue -------------------------------------------------------------------------------------------------------


def test_issue_reserves_the_face_value_in_the_round() -> None:
    voucher, entry = issue(YUHUAN_STYLE_TERMS, id="v-1", programme_id="prog-voucher", round_id="round-v",
                           enterprise_id="ent-1", on=ON, issued_this_year_fen=0, round_available_fen=wan(100))
    assert (voucher.face_value_fen, voucher.remaining_fen, voucher.status) == (wan(2), wan(2), VoucherStatus.ACTIVE)
    assert voucher.expires_on == date(2027, 5, 19)  # 365 days, both ends included
    assert (entry.kind, entry.amount_fen, entry.reference, entry.key) == (EntryKind.VOUCHER_ISSUED, wan(2), "v-1",
                                                                         "voucher:v-1:issued")


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"issued_this_year_fen": wan(9)}, "above_enterprise_cap"),  # 10万 a year (玉环)
    ({"round_available_fen": wan(2) - 1}, "budget_exhausted"),
    ({"face_value_fen": wan(3)}, "above_face_value"),
    ({"face_value_fen": 0}, "not_positive"),
    ({"face_value_fen": 100.0}, "not_positive"),
])
def test_issue_refusals(kwargs: dict[str, object], code: str) -> None:
    args = {"id": "v-1", "programme_id": "p", "round_id": "r", "enterprise_id": "ent-1", "on": ON,
            "issued_this_year_fen": 0, "round_available_fen": wan(100), **kwargs}
    with pytest.raises(VoucherRefused) as refused:
        issue(YUHUAN_STYLE_TERMS, **args)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_a_smaller_voucher_may_be_issued_up_to_the_annual_cap() -> None:
    voucher, _ = issue(YUHUAN_STYLE_TERMS, id="v-9", programme_id="p", round_id="r", enterprise_id="ent-1", on=ON,
                       issued_this_year_fen=wan(9), round_available_fen=wan(100), face_value_fen=wan(1))
    assert voucher.face_value_fen == wan(1)


# --- redemption --------------------------------------------------------------------------------------------------


def test_a_purchase_below_1wan_is_paid_in_full_and_above_it_by_the_share() -> None:
    voucher = issued()
    assert payable(voucher, claim(fee_fen=wan("0.8"))) == wan("0.8")  # 玉环: < 1万, full deduction
    assert payable(voucher, claim(fee_fen=wan(1))) == wan("0.3")  # on the edge: no longer "below"
    assert payable(voucher, claim(fee_fen=wan(3))) == wan("0.9")
    assert payable(voucher, claim(fee_fen=wan(10))) == wan(2)  # bounded by the voucher's value


def test_partial_redemptions_spend_the_quota_until_it_is_gone() -> None:
    voucher = issued()
    voucher, (first,) = redeem(voucher, claim("b-1", wan(3)), date(2026, 6, 3))
    assert voucher.remaining_fen == wan("1.1") and first.amount_fen == wan("0.9")
    assert first.key == "voucher:v-1:redeemed:b-1" and first.kind == EntryKind.VOUCHER_REDEEMED
    voucher, _ = redeem(voucher, claim("b-2", wan("0.8")), date(2026, 6, 3))
    voucher, (third,) = redeem(voucher, claim("b-3", wan(5)), date(2026, 6, 3))
    assert third.amount_fen == wan("0.3") and voucher.exhausted
    with pytest.raises(VoucherRefused) as spent:
        redeem(voucher, claim("b-4"), date(2026, 6, 3))
    assert spent.value.code == "exhausted"


def test_a_booking_cannot_be_paid_twice_with_one_voucher() -> None:
    voucher, _ = redeem(issued(), claim("b-1", amount_fen=wan("0.5")), ON)
    with pytest.raises(VoucherRefused) as twice:
        redeem(voucher, claim("b-1", amount_fen=wan("0.4")), ON)
    assert twice.value.code == "already_redeemed"


@pytest.mark.parametrize(("request_", "code"), [
    (claim(enterprise_id="ent-2"), "other_enterprise"),
    (claim(service_date=date(2027, 5, 20)), "expired"),
    (claim(service_date=date(2026, 5, 19)), "before_issue"),
    (claim(resource_kind=ResourceKind.COMPUTE), "resource_not_covered"),
    (claim(amount_fen=wan("0.9") + 1), "above_share"),
    (claim(amount_fen=0), "not_positive"),
    (claim(amount_fen=1.5), "not_positive"),
    (claim(paid_by_other_vouchers_fen=wan("0.9")), "share_exhausted"),
])
def test_redemption_refusals(request_: RedemptionRequest, code: str) -> None:
    with pytest.raises(VoucherRefused) as refused:
        redeem(issued(), request_, ON)
    assert refused.value.code == code


def test_the_last_valid_day_still_pays() -> None:
    voucher, _ = redeem(issued(), claim(service_date=date(2027, 5, 19)), date(2027, 5, 20))
    assert voucher.redeemed_fen == wan("0.9")


def test_beyond_remaining_value() -> None:
    voucher, _ = redeem(issued(), claim("b-1", wan(10), amount_fen=wan("1.5")), ON)
    with pytest.raises(VoucherRefused) as refused:
        redeem(voucher, claim("b-2", wan(10), amount_fen=wan("0.6")), ON)
    assert refused.value.code == "beyond_remaining_value" and refused.value.extra["remaining_fen"] == wan("0.5")


def test_other_vouchers_count_against_the_share_of_one_booking() -> None:
    assert payable(issued(), claim(fee_fen=wan(3), paid_by_other_vouchers_fen=wan("0.5"))) == wan("0.4")


def test_only_the_provider_redeems() -> None:
    with pytest.raises(VoucherRefused) as refused:
        transition(issued(), VoucherCommand(VoucherAction.REDEEM, Actor.ENTERPRISE, ON, claim()))
    assert refused.value.code == "actor_not_allowed"


# --- expiry and revocation ---------------------------------------------------------------------------------------


def test_expiry_returns_the_unspent_value_to_the_round() -> None:
    voucher, _ = redeem(issued(), claim(), ON)
    with pytest.raises(VoucherRefused) as early:
        transition(voucher, VoucherCommand(VoucherAction.EXPIRE, Actor.SYSTEM, date(2027, 5, 19)))
    assert early.value.code == "not_yet_expired"
    expired, (release,) = transition(voucher, VoucherCommand(VoucherAction.EXPIRE, Actor.SYSTEM, date(2027, 5, 20)))
    assert expired.status == VoucherStatus.EXPIRED and expired.remaining_fen == 0
    assert (release.kind, release.amount_fen) == (EntryKind.RELEASED, wan("1.1"))
    with pytest.raises(VoucherRefused) as after:
        redeem(expired, claim("b-2", service_date=date(2027, 5, 1)), date(2027, 5, 21))
    assert after.value.code == "expired"


def test_a_spent_voucher_expires_without_an_entry() -> None:
    voucher, _ = redeem(issued(), claim(fee_fen=wan("0.8")), ON)
    voucher, _ = redeem(voucher, claim("b-2", fee_fen=wan(10)), ON)
    assert voucher.exhausted
    expired, entries = transition(voucher, VoucherCommand(VoucherAction.EXPIRE, Actor.SYSTEM, date(2027, 6, 1)))
    assert expired.status == VoucherStatus.EXPIRED and entries == ()


def test_revocation_needs_a_reason_and_an_officer() -> None:
    with pytest.raises(VoucherRefused):
        transition(issued(), VoucherCommand(VoucherAction.REVOKE, Actor.OFFICER, ON))
    with pytest.raises(VoucherRefused) as actor:
        transition(issued(), VoucherCommand(VoucherAction.REVOKE, Actor.ENTERPRISE, ON, note="x"))
    assert actor.value.code == "actor_not_allowed"
    revoked, (release,) = transition(issued(), VoucherCommand(VoucherAction.REVOKE, Actor.OFFICER, ON,
                                                               note="申领材料虚假"))
    assert revoked.status == VoucherStatus.REVOKED and release.amount_fen == wan(2)
    with pytest.raises(VoucherRefused) as refused:
        redeem(revoked, claim(), ON)
    assert refused.value.code == "revoked"


# --- the ledger agrees -------------------------------------------------------------------------------------------


def test_a_vouchers_life_reconciles_with_its_ledger() -> None:
    voucher, issued_entry = issue(YUHUAN_STYLE_TERMS, id="v-1", programme_id="pv", round_id="rv",
                                  enterprise_id="ent-1", on=ON, issued_this_year_fen=0, round_available_fen=wan(2))
    ledger = Ledger("pv", "rv").append(Entry(EntryKind.ALLOCATED, wan(2), "pv", "rv")).append(issued_entry)
    for booking, fee_fen in (("b-1", wan(3)), ("b-2", wan("0.5"))):
        voucher, entries = redeem(voucher, claim(booking, fee_fen), ON)
        for entry in entries:
            ledger = ledger.append(entry)
    voucher, entries = transition(voucher, VoucherCommand(VoucherAction.EXPIRE, Actor.SYSTEM, date(2027, 6, 1)))
    for entry in entries:
        ledger = ledger.append(entry)
    mine = ledger.reference_balance("v-1")
    assert mine.voucher_redeemed == voucher.redeemed_fen == wan("1.4")
    assert mine.released == voucher.released_fen == wan("0.6")
    assert mine.reserved_fen == 0 and ledger.balance.available_fen == wan("0.6")


# --- coverage as data --------------------------------------------------------------------------------------------


def test_hangzhou_compute_shares_by_size_class() -> None:
    assert HANGZHOU_COMPUTE_COVERAGE.limit(wan(10), ResourceKind.COMPUTE, "micro") == wan(5)
    assert HANGZHOU_COMPUTE_COVERAGE.limit(wan(10), ResourceKind.COMPUTE, "large") == wan(3)
    assert HANGZHOU_COMPUTE_COVERAGE.limit(wan(10), ResourceKind.COMPUTE, None) == wan(3)
    assert HANGZHOU_COMPUTE_COVERAGE.limit(wan(10), ResourceKind.INSTRUMENT, "micro") == 0  # no rule: nothing


def test_a_share_rounds_down_and_respects_a_per_booking_maximum() -> None:
    rule = CoverageRule(Decimal("0.3"), max_per_booking_fen=wan(1))
    assert rule.limit(333) == 99  # 99.9 fen → 99
    assert rule.limit(wan(10)) == wan(1)
    with pytest.raises(TypeError):
        CoverageRule(0.3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CoverageRule(Decimal("1.3"))


def test_terms_are_validated() -> None:
    with pytest.raises(ValueError):
        VoucherTerms(wan(2), wan(10), 0, frozenset(), CoverageTable(()))
    with pytest.raises(ValueError):
        VoucherTerms(0, wan(10), 30, frozenset({ResourceKind.COMPUTE}), CoverageTable(()))
    with pytest.raises(ValueError, match="at least one kind"):
        VoucherTerms(wan(2), wan(10), 30, frozenset(), CoverageTable(()))
