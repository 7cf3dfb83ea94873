"""Property-based tests of the funding rules: no sequence of commands reaches an illegal application state, the
ledger never overspends and always equals the fold of what it accepted, accepted bookings never overlap, tranches
always add up, vouchers are never spent twice, and a 免申即享 run never exceeds its budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from funding_builders import FIRM, ON, draft
from hypothesis import event, given, settings
from hypothesis import strategies as st

from services.funding.domain.actors import Actor
from services.funding.domain.applications import (
    AWARDED,
    CONTRACTED,
    Action,
    AmountLimits,
    Application,
    ApplicationStatus,
    Command,
    RejectionCode,
    RejectionReason,
    allowed,
    invariant_violations,
    transition,
)
from services.funding.domain.awards import AutomaticAwardRule, run
from services.funding.domain.eligibility import EligibilityOutcome, EligibilityResult, RuleResult, rule
from services.funding.domain.errors import FundingRuleError
from services.funding.domain.ledger import (
    Entry,
    EntryKind,
    EntryRefused,
    Ledger,
    TrancheCondition,
    TranchePlanError,
    TrancheSpec,
    check_plan,
    fold,
    plan_tranches,
    reconcile,
    split_amount,
)
from services.funding.domain.money import share_of
from services.funding.domain.programmes import DatedAmount
from services.funding.domain.resources import (
    PROGRAMME_ZONE,
    Booking,
    BookingAction,
    BookingRefused,
    BookingStatus,
    Interval,
    PriceUnit,
    Resource,
    ResourceKind,
    check_booking,
)
from services.funding.domain.resources import transition as booking_transition
from services.funding.domain.vouchers import (
    CoverageRule,
    CoverageTable,
    RedemptionRequest,
    VoucherRefused,
    VoucherTerms,
    issue,
    redeem,
)

S = ApplicationStatus

# --------------------------------------------------------------------------------------------------------------
# The application state machine, several applications sharing one round's ledger
# --------------------------------------------------------------------------------------------------------------

_RULE = rule("size_class", "small")
RESULTS = {
    EligibilityOutcome.ELIGIBLE: EligibilityResult(EligibilityOutcome.ELIGIBLE, (RuleResult(_RULE, True, (), "ok"),)),
    EligibilityOutcome.NEEDS_REVIEW: EligibilityResult(EligibilityOutcome.NEEDS_REVIEW,
                                                       (RuleResult(_RULE, None, (), "unknown"),)),
    EligibilityOutcome.NOT_ELIGIBLE: EligibilityResult(EligibilityOutcome.NOT_ELIGIBLE,
                                                       (RuleResult(_RULE, False, (), "large"),)),
}
FORWARD = {Action.SUBMIT: 8, Action.CONFIRM_ELIGIBLE: 8, Action.START_REVIEW: 8, Action.APPROVE: 8,
           Action.SIGN_AGREEMENT: 8, Action.DISBURSE: 8, Action.CLOSE: 4, Action.CLAW_BACK: 2}
CAP = 5_000
BUDGET = 8_000

# A step's inputs other than its application and action, each from a short list of choices, packed into one integer:
# the walks are long, and one draw per step keeps their generation cheap.
CHOICES: dict[str, list[object]] = {
    # An amount relative to the request (most approvals are of what was asked, or less), or any value at all.
    "amount": ["requested", "requested", "half", None, 0, 1, CAP, 2.5, -10, 7_000],
    "eligibility": [EligibilityOutcome.ELIGIBLE, EligibilityOutcome.NEEDS_REVIEW, EligibilityOutcome.NOT_ELIGIBLE, None],
    "rejection": [True, True, True, False],
    "plan": ["none", "halves", "thirds", "wrong"],
    "tranche_index": [0, 1, 2, None],
    "note": ["中期考核未通过", "", "弄虚作假"],
    "already_awarded": [0, 0, 2_000],
}
COMBINATIONS = 1
for _options in CHOICES.values():
    COMBINATIONS *= len(_options)


def _decode(packed: int) -> dict[str, object]:
    chosen = {}
    for name, options in CHOICES.items():
        packed, index = divmod(packed, len(options))
        chosen[name] = options[index]
    return chosen


steps = st.lists(st.tuples(
    st.integers(0, 2),  # which application
    # Mostly (pick < 80) an action the state has, by one of its actors, or the walk would rarely leave the draft;
    # otherwise any action by anyone, to hit the refusals.
    st.integers(0, 99),
    st.sampled_from([(action, actor) for action in Action for actor in Actor]),
    st.integers(0, COMBINATIONS - 1),
).map(lambda t: {"app": t[0], "legal": t[1] < 80, "pick": t[1], "action": t[2][0], "actor": t[2][1],
                 **_decode(t[3])}), min_size=20, max_size=80)


def _tranches(app: Application, plan: str) -> tuple:  # type: ignore[type-arg]
    approved = app.approved_fen or 0
    if plan == "none" or approved <= 0:
        return ()
    if plan == "wrong":
        return plan_tranches(approved + 1, [TrancheSpec("一次性", Decimal(1), TrancheCondition.NONE)])
    shares = [Decimal("0.5"), Decimal("0.5")] if plan == "halves" else \
        [Decimal("0.3"), Decimal("0.3"), Decimal("0.4")]
    try:
        return plan_tranches(approved, [TrancheSpec(f"里程碑{i}", s) for i, s in enumerate(shares)])
    except TranchePlanError:
        return ()


def _command(step: dict, app: Application, ledger: Ledger) -> Command:  # type: ignore[type-arg]
    limits = AmountLimits(CAP, step["already_awarded"], ledger.balance.available_fen)
    rejection = RejectionReason(RejectionCode.REVIEW_SCORE, "评审得分低于立项线") if step["rejection"] else None
    eligibility = RESULTS[step["eligibility"]] if step["eligibility"] else None
    amount = step["amount"]
    if amount == "requested":
        amount = app.requested_fen
    elif amount == "half":
        amount = app.requested_fen // 2
    action, actor = step["action"], step["actor"]
    # Forward moves weigh more than the ways out (withdraw, reject, decline …), so walks reach the payments.
    options = [r for r in allowed(app.status) for _ in range(FORWARD.get(r.action, 1))]
    if step["legal"] and options:
        chosen = options[step["pick"] % len(options)]
        action, actor = chosen.action, sorted(chosen.actors)[step["pick"] % len(chosen.actors)]
        if eligibility is not None and action in (Action.CONFIRM_ELIGIBLE, Action.REFUSE_INELIGIBLE):
            failed = action == Action.REFUSE_INELIGIBLE
            if failed != (eligibility.outcome == EligibilityOutcome.NOT_ELIGIBLE):
                eligibility = RESULTS[EligibilityOutcome.NOT_ELIGIBLE if failed else EligibilityOutcome.ELIGIBLE]
    return Command(action, actor, ON, amount_fen=amount, limits=limits,
                   eligibility=eligibility, rejection=rejection, tranches=_tranches(app, step["plan"]),
                   tranche_index=step["tranche_index"], note=step["note"])


def _assert_legal(app: Application) -> None:
    """The legal states, stated here independently of the module's own ``invariant_violations``."""
    assert invariant_violations(app) == ()
    approved = app.approved_fen
    paid = sum(t.amount_fen for t in app.tranches if t.paid_on is not None)
    if app.status in AWARDED:
        assert approved is not None and 0 < approved <= min(app.requested_fen, CAP)
    if app.status in (S.DRAFT, S.SUBMITTED, S.ELIGIBILITY_CHECKED, S.UNDER_REVIEW, S.REJECTED):
        assert approved is None and not app.tranches and paid == 0
    assert (app.rejection is not None) == (app.status == S.REJECTED)
    if app.status in CONTRACTED:
        assert sum(t.amount_fen for t in app.tranches) == approved
    assert 0 <= paid + app.released_fen <= (approved or 0)
    assert 0 <= app.clawed_back_fen <= paid
    if app.status in (S.CLOSED, S.CLAWED_BACK) or (app.status == S.WITHDRAWN and approved):
        assert paid + app.released_fen == approved  # nothing left reserved in a final state


@settings(max_examples=200, deadline=None)
@given(steps, st.lists(st.one_of(st.integers(1, 3_000), st.integers(0, 6_000)), min_size=3, max_size=3))
def test_no_sequence_of_commands_reaches_an_illegal_state(plan: list[dict], requests: list[int]) -> None:  # type: ignore[type-arg]
    apps = [draft(requested_fen=requested, app_id=f"app-{i}") for i, requested in enumerate(requests)]
    ledger = Ledger("prog-srdi", "round-1").append(Entry(EntryKind.ALLOCATED, BUDGET, "prog-srdi", "round-1"))
    for step in plan:
        before = apps[step["app"]]
        try:
            moved = transition(before, _command(step, before, ledger))
        except FundingRuleError:
            assert apps[step["app"]] == before  # a refusal changes nothing
            continue
        for entry in moved.entries:
            ledger = ledger.append(entry)  # the ledger never refuses what a legal transition emits
        apps[step["app"]] = moved.application
        event(f"reached {moved.application.status}")
        _assert_legal(moved.application)
        balance = ledger.balance
        assert balance.reserved_fen + balance.paid_fen <= balance.budget_fen
    for app in apps:
        mine = ledger.reference_balance(app.id)
        assert mine.committed == (app.approved_fen or 0)
        assert mine.disbursed == app.disbursed_fen
        assert mine.released == app.released_fen
        assert mine.clawed_back == app.clawed_back_fen


# --------------------------------------------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------------------------------------------

# Few distinct amounts and references, so that payments meet reservations they fit in, and budgets run out.
proposals = st.lists(st.tuples(
    st.sampled_from(list(EntryKind)),
    st.one_of(st.sampled_from([100, 200, 500, 1_000]), st.integers(1, 5_000)),
    st.sampled_from(["a", "b", "v"]),
    st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"])),
), min_size=10, max_size=60)


@settings(max_examples=200, deadline=None)
@given(proposals)
def test_accepted_entries_never_overspend_and_the_balance_is_their_fold(proposed: list[tuple]) -> None:  # type: ignore[type-arg]
    ledger = Ledger("p", "r")
    accepted: list[Entry] = []
    for kind, amount, reference, key in proposed:
        entry = Entry(kind, amount, "p", "r", None if kind == EntryKind.ALLOCATED else reference, key)
        try:
            after = ledger.append(entry)
        except EntryRefused:
            continue
        if after is not ledger:
            accepted.append(entry)
            event(f"accepted {kind}")
        ledger = after
        # committed + disbursed ≤ budget, recomputed from the accepted entries alone.
        total = {k: sum(e.amount_fen for e in accepted if e.kind == k) for k in EntryKind}
        committed = (total[EntryKind.COMMITTED] + total[EntryKind.VOUCHER_ISSUED] - total[EntryKind.DISBURSED]
                     - total[EntryKind.VOUCHER_REDEEMED] - total[EntryKind.RELEASED])
        disbursed = total[EntryKind.DISBURSED] + total[EntryKind.VOUCHER_REDEEMED]
        assert committed + disbursed <= total[EntryKind.ALLOCATED]
        assert ledger.balance == fold(accepted) and reconcile(ledger.balance, accepted) == ()
        for ref in ("a", "b", "v"):
            mine = ledger.reference_balance(ref)
            assert mine.reserved_fen >= 0 and 0 <= mine.clawed_back <= mine.paid_fen
            assert not (mine.committed and mine.voucher_issued)
    assert len({e.key for e in accepted if e.key}) == len([e for e in accepted if e.key])  # one entry per key


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000), st.lists(st.integers(1, 3_000), max_size=40))
def test_racing_commitments_stop_exactly_at_the_budget(budget: int, amounts: list[int]) -> None:
    """What the row lock serialises: commitments in any order, each checked against what is left."""
    ledger = Ledger("p", "r").append(Entry(EntryKind.ALLOCATED, budget, "p", "r"))
    for i, amount in enumerate(amounts):
        verdict = ledger.check(Entry(EntryKind.COMMITTED, amount, "p", "r", f"app-{i}"))
        assert verdict.accepted == (amount <= ledger.balance.available_fen)
        if verdict.accepted:
            ledger = ledger.append(Entry(EntryKind.COMMITTED, amount, "p", "r", f"app-{i}"))
        else:
            assert verdict.code == "budget_exhausted"
    assert 0 <= ledger.balance.available_fen <= budget


# --------------------------------------------------------------------------------------------------------------
# Tranches
# --------------------------------------------------------------------------------------------------------------


@st.composite
def basis_points(draw: st.DrawFn) -> list[Decimal]:
    """1–6 positive shares in 0.01 % steps adding up to exactly 1."""
    cuts = sorted(draw(st.sets(st.integers(1, 9_999), max_size=5)))
    edges = [0, *cuts, 10_000]
    return [Decimal(b - a) / 10_000 for a, b in zip(edges, edges[1:], strict=False)]


@settings(max_examples=500)
@given(st.integers(1, 10**12), basis_points())
def test_tranches_always_add_up_to_the_amount(amount: int, shares: list[Decimal]) -> None:
    assert sum(shares) == 1
    expected = [share_of(amount, s) for s in shares[:-1]]
    try:
        parts = split_amount(amount, shares)
    except TranchePlanError as refused:
        assert refused.code == "tranche_too_small"
        assert min([*expected, amount - sum(expected)]) <= 0
        return
    assert sum(parts) == amount and min(parts) > 0
    assert list(parts[:-1]) == expected  # every tranche but the last is its share rounded down
    assert parts[-1] >= share_of(amount, shares[-1])  # the last one takes the remainder
    assert parts[-1] - share_of(amount, shares[-1]) < len(shares)  # … which is less than a fen per tranche
    plan = plan_tranches(amount, [TrancheSpec(f"m{i}", s) for i, s in enumerate(shares)])
    check_plan(amount, plan)


# --------------------------------------------------------------------------------------------------------------
# Bookings
# --------------------------------------------------------------------------------------------------------------

DAY = datetime(2026, 6, 1, tzinfo=PROGRAMME_ZONE)
WINDOWS = (Interval(DAY + timedelta(hours=8), DAY + timedelta(hours=12)),
           Interval(DAY + timedelta(hours=12), DAY + timedelta(hours=17)),
           Interval(DAY + timedelta(hours=19), DAY + timedelta(hours=22)))
RESOURCE = Resource("res-1", "prov-1", ResourceKind.COMPUTE, "A100 节点", PriceUnit.HOUR, 5_000, WINDOWS)
requests_ = st.lists(st.tuples(st.integers(6 * 4, 23 * 4), st.integers(1, 12), st.booleans()), max_size=40)


def _minutes(interval: Interval) -> set[int]:
    start = int((interval.start - DAY).total_seconds() // 900)
    end = int((interval.end - DAY).total_seconds() // 900)
    return set(range(start, end))


@settings(max_examples=300, deadline=None)
@given(requests_)
def test_accepted_bookings_never_overlap(requests: list[tuple[int, int, bool]]) -> None:
    open_quarters = set().union(*(_minutes(w) for w in WINDOWS))
    bookings: list[Booking] = []
    for i, (start_quarter, quarters, cancel_later) in enumerate(requests):
        interval = Interval(DAY + timedelta(minutes=15 * start_quarter),
                            DAY + timedelta(minutes=15 * (start_quarter + quarters)))
        taken = set().union(*(_minutes(b.interval) for b in bookings if b.status == BookingStatus.BOOKED))
        # The oracle, quarter by quarter: inside the calendar and clear of every live booking.
        expected = _minutes(interval) <= open_quarters and not (_minutes(interval) & taken)
        try:
            check_booking(RESOURCE, bookings, interval)
        except BookingRefused as refused:
            event(f"booking refused: {refused.code}")
            assert not expected
            continue
        event("booking accepted")
        assert expected
        booking = Booking(f"b-{i}", RESOURCE.id, "ent-1", interval)
        bookings.append(booking_transition(booking, BookingAction.CANCEL, Actor.ENTERPRISE) if cancel_later
                        else booking)
        live = [b for b in bookings if b.status == BookingStatus.BOOKED]
        for j, a in enumerate(live):
            assert any(w.contains(a.interval) for w in RESOURCE.availability)
            for b in live[j + 1:]:
                assert not a.interval.overlaps(b.interval)


# --------------------------------------------------------------------------------------------------------------
# Vouchers
# --------------------------------------------------------------------------------------------------------------

TERMS = VoucherTerms(20_000, 100_000, 365, frozenset({ResourceKind.COMPUTE, ResourceKind.INSTRUMENT}),
                     CoverageTable((CoverageRule(Decimal("0.3"), full_below_fen=10_000),)))
claims = st.lists(st.tuples(st.sampled_from(["b1", "b2", "b3", "b4", "b5"]), st.integers(0, 100_000),
                            st.one_of(st.none(), st.integers(-5, 30_000)), st.sampled_from(["ent-1", "ent-2"]),
                            st.sampled_from(list(ResourceKind)), st.integers(-5, 400)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(claims)
def test_a_voucher_is_never_spent_twice_or_beyond_its_value(requests: list[tuple]) -> None:  # type: ignore[type-arg]
    voucher, issued = issue(TERMS, id="v", programme_id="p", round_id="r", enterprise_id="ent-1", on=ON,
                            issued_this_year_fen=0, round_available_fen=TERMS.face_value_fen)
    ledger = Ledger("p", "r").append(Entry(EntryKind.ALLOCATED, TERMS.face_value_fen, "p", "r")).append(issued)
    for booking, fee_fen, amount, enterprise, kind, day in requests:
        request = RedemptionRequest(booking, enterprise, "prov", kind, fee_fen, ON + timedelta(days=day),
                                    amount_fen=amount)
        try:
            voucher, entries = redeem(voucher, request, ON)
        except VoucherRefused as refused:
            event(f"redemption refused: {refused.code}")
            continue
        event("redeemed")
        (entry,) = entries
        ledger = ledger.append(entry)
        assert enterprise == "ent-1" and kind in TERMS.allowed_kinds
        assert voucher.issued_on <= request.service_date <= voucher.expires_on
        full = fee_fen if fee_fen < 10_000 else share_of(fee_fen, Decimal("0.3"))
        assert 0 < entry.amount_fen <= full
    assert voucher.redeemed_fen <= voucher.face_value_fen
    assert len({r.booking_id for r in voucher.redemptions}) == len(voucher.redemptions)
    assert ledger.reference_balance("v").voucher_redeemed == voucher.redeemed_fen


# --------------------------------------------------------------------------------------------------------------
# 免申即享
# --------------------------------------------------------------------------------------------------------------

AWARD_RULE = AutomaticAwardRule("r", "奖励", "p", "r", (rule("tier_held", "hnte"),), "湖州市", "item", "group")
firms = st.lists(st.tuples(st.booleans(), st.integers(0, 30_000), st.integers(0, 20_000)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(firms, st.integers(0, 200_000), st.integers(1, 40_000), st.integers(1, 30_000))
def test_an_award_run_never_exceeds_budget_or_caps(candidates: list[tuple[bool, int, int]], budget: int,
                                                   amount: int, cap: int) -> None:
    facts = [replace(FIRM, enterprise_id=f"e{i}", uscc=f"U{i:03d}",
                     held_tiers=frozenset({"hnte"} if holds else set()))
             for i, (holds, _, _) in enumerate(candidates)]
    group = {f"e{i}": received for i, (_, received, _) in enumerate(candidates)}
    in_round = {f"e{i}": awarded for i, (_, _, awarded) in enumerate(candidates)}
    result = run(AWARD_RULE, facts, amounts=[DatedAmount("湖州市", "item", amount, date(2025, 1, 1))], on=ON,
                 round_available_fen=budget, per_enterprise_cap_fen=cap, group_received=group,
                 awarded_in_round=in_round)
    assert result.total_fen <= budget
    for award in result.awards:
        assert 0 < award.amount_fen == amount - group[award.enterprise_id]
        assert award.amount_fen + in_round[award.enterprise_id] <= cap
    assert len(result.awards) + len(result.skipped) + result.not_eligible == len(facts)
