"""The fund ledger (资金台账): append-only entries per programme and round, balances derived from them, the budget
invariant, and the tranches a disbursement is paid in. Pure: no I/O.

Entries
-------
=====================  ==========  ===========================================================================
kind                   reference   effect
=====================  ==========  ===========================================================================
``allocated`` 预算下达  none        raises the round's budget
``committed`` 批准资助  application reserves money for an approved award
``disbursed`` 拨付      application pays part of that reservation (a tranche)
``released`` 释放       either      returns an unpaid reservation to the round (declined, closed early, expired voucher)
``clawed_back`` 追回    either      records paid money recovered from the firm
``voucher_issued``     voucher     reserves a voucher's face value (创新券发放)
``voucher_redeemed``   voucher     pays a provider from that reservation (创新券兑付)
=====================  ==========  ===========================================================================

Every amount is positive; the kind gives the direction. A balance is a **fold** of the entries (:func:`fold`): its
fields are the sums per kind, so ``reconcile`` can compare a stored balance with the entries field by field, and
everything else is derived:

* ``reserved`` (the invariant's "committed": money promised, not yet paid)
  = committed + voucher_issued − disbursed − voucher_redeemed − released
* ``paid`` (the invariant's "disbursed") = disbursed + voucher_redeemed
* ``available`` = budget − reserved − paid; **the invariant is available ≥ 0**, i.e. committed + disbursed ≤ budget.

Payments and releases draw on the reservation of *their own* reference (an application or a voucher), never on
another's, so only a new reservation can break the invariant, and :func:`check_entry` refuses one that would. That
check is what the service runs with the round's balance row locked (``SELECT … FOR UPDATE``): two approvals that
race for the last yuan are serialised by the lock and the second is refused with ``budget_exhausted``.

Clawed-back money is recorded, not re-spent: it does **not** raise ``available``. Recovered funds go back to the
finance bureau (REFERENCE §13.4 names no Huzhou rule [U]); an officer who may re-use them allocates them again,
visibly, with an ``allocated`` entry.

An entry may carry an idempotency ``key``: a disbursement retried with the same key is the same entry and pays once
(:meth:`Ledger.append` returns the ledger unchanged; the service keeps a unique index on the key).

Tranches
--------
An approved amount is paid in tranches against milestones (REFERENCE §13.5, §7.5). :func:`split_amount` divides it
by shares that add up to exactly 1: every tranche but the last is ``amount × share`` **rounded down to the fen**,
and the last takes the remainder, so the tranches always add up to the approved amount, and the fen lost to rounding
are paid at acceptance, with the last milestone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.funding.domain.errors import FundingRuleError
from services.funding.domain.money import require_fen, share_of, yuan


class EntryKind(StrEnum):
    ALLOCATED = "allocated"
    COMMITTED = "committed"
    DISBURSED = "disbursed"
    RELEASED = "released"
    CLAWED_BACK = "clawed_back"
    VOUCHER_ISSUED = "voucher_issued"
    VOUCHER_REDEEMED = "voucher_redeemed"


RESERVING = frozenset({EntryKind.COMMITTED, EntryKind.VOUCHER_ISSUED})
# A payment draws on the reservation of the matching kind: awards pay awards, vouchers pay vouchers.
PAYS_FROM = {EntryKind.DISBURSED: EntryKind.COMMITTED, EntryKind.VOUCHER_REDEEMED: EntryKind.VOUCHER_ISSUED}


class EntryRefused(FundingRuleError):
    """An entry the ledger does not take: it would overspend, pay what was never reserved, or reuse a key."""


@dataclass(frozen=True)
class Entry:
    """One line of the ledger. ``reference`` is the application or voucher the money is for (None only for an
    allocation); ``key`` makes a retried entry the same entry."""

    kind: EntryKind
    amount_fen: int
    programme_id: str
    round_id: str
    reference: str | None = None
    key: str | None = None
    on: date | None = None  # the civil date of the movement (reports); not part of the invariant
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EntryKind(self.kind))
        try:
            require_fen(self.amount_fen, "amount_fen", positive=True)
        except (TypeError, ValueError) as exc:
            raise EntryRefused("invalid_amount", str(exc), field="amount_fen") from None
        if self.kind == EntryKind.ALLOCATED and self.reference is not None:
            raise EntryRefused("unexpected_reference", "an allocation belongs to the round, not to an application or "
                               "voucher", field="reference")
        if self.kind != EntryKind.ALLOCATED and not self.reference:
            raise EntryRefused("missing_reference", f"a {self.kind} entry names the application or voucher it is for",
                               field="reference")


@dataclass(frozen=True)
class Balance:
    """Sums of entries per kind (fen), and what follows from them (module docstring)."""

    allocated: int = 0
    committed: int = 0
    disbursed: int = 0
    released: int = 0
    clawed_back: int = 0
    voucher_issued: int = 0
    voucher_redeemed: int = 0

    def total(self, kind: EntryKind) -> int:
        return int(getattr(self, kind.value))

    def add(self, entry: Entry) -> Balance:
        """The balance with ``entry`` counted (no checks: this is the fold's step; see ``check_entry``)."""
        return replace(self, **{entry.kind.value: self.total(entry.kind) + entry.amount_fen})

    def __add__(self, other: Balance) -> Balance:
        return Balance(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Balance)})

    @property
    def budget_fen(self) -> int:
        return self.allocated

    @property
    def reserved_fen(self) -> int:
        return self.committed + self.voucher_issued - self.disbursed - self.voucher_redeemed - self.released

    @property
    def paid_fen(self) -> int:
        return self.disbursed + self.voucher_redeemed

    @property
    def available_fen(self) -> int:
        return self.budget_fen - self.reserved_fen - self.paid_fen

    @property
    def recoverable_fen(self) -> int:
        """Paid and not yet clawed back: the most a clawback can still recover."""
        return self.paid_fen - self.clawed_back


def fold(entries: Iterable[Entry]) -> Balance:
    balance = Balance()
    for entry in entries:
        balance = balance.add(entry)
    return balance


@dataclass(frozen=True)
class Verdict:
    """Whether an entry keeps the ledger sound; ``code`` and ``detail`` say why not."""

    accepted: bool
    code: str | None = None
    detail: str = ""

    def raise_if_refused(self) -> None:
        if not self.accepted:
            raise EntryRefused(self.code or "refused", self.detail)


ACCEPTED = Verdict(True)


def check_entry(balance: Balance, entry: Entry, reference: Balance = Balance()) -> Verdict:
    """Whether ``entry`` may follow a round whose entries fold to ``balance``; ``reference`` is the fold of the
    entries of ``entry.reference`` alone (the application's or voucher's own money).

    * a reservation (``committed``, ``voucher_issued``) must fit in what the round has available;
    * a payment must fit in its reference's reservation of the matching kind;
    * a release must fit in its reference's reservation;
    * a clawback must fit in what its reference was paid and has not yet returned.
    """
    kind, amount = entry.kind, entry.amount_fen
    if kind == EntryKind.ALLOCATED:
        return ACCEPTED
    if kind in RESERVING:
        other = EntryKind.VOUCHER_ISSUED if kind == EntryKind.COMMITTED else EntryKind.COMMITTED
        if reference.total(other):
            return Verdict(False, "kind_mismatch", f"{entry.reference} already holds a {other} reservation; an "
                                                   "application and a voucher never share a reference")
        if amount > balance.available_fen:
            return Verdict(False, "budget_exhausted", f"the round has {yuan(max(balance.available_fen, 0))} left, "
                                                      f"less than {yuan(amount)}")
        return ACCEPTED
    if kind in PAYS_FROM:
        source = PAYS_FROM[kind]
        if reference.total(source) == 0:
            return Verdict(False, "nothing_reserved", f"{entry.reference} has no {source} entry to pay from")
        if amount > reference.reserved_fen:
            return Verdict(False, "beyond_reservation", f"{entry.reference} has {yuan(reference.reserved_fen)} "
                                                        f"reserved, less than the {yuan(amount)} to pay")
        return ACCEPTED
    if kind == EntryKind.RELEASED:
        if amount > reference.reserved_fen:
            return Verdict(False, "beyond_reservation", f"{entry.reference} has {yuan(reference.reserved_fen)} "
                                                        f"reserved, less than the {yuan(amount)} to release")
        return ACCEPTED
    if amount > reference.recoverable_fen:  # clawed_back
        return Verdict(False, "beyond_paid", f"{entry.reference} was paid {yuan(reference.recoverable_fen)} not yet "
                                             f"recovered, less than the {yuan(amount)} to claw back")
    return ACCEPTED


def check_allocation(programme_budget_fen: int, allocated_to_rounds_fen: int, amount_fen: int) -> Verdict:
    """An ``allocated`` entry to a round keeps the programme's rounds within the programme's budget."""
    if allocated_to_rounds_fen + amount_fen > programme_budget_fen:
        return Verdict(False, "programme_over_allocated", f"the programme's rounds would hold "
                                                          f"{yuan(allocated_to_rounds_fen + amount_fen)}, more than its "
                                                          f"budget {yuan(programme_budget_fen)}")
    return ACCEPTED


@dataclass(frozen=True)
class Ledger:
    """The entries of one round, in order: the in-memory model of the rules (the service keeps the same entries in
    a table and a locked balance row, and calls ``check_entry`` itself)."""

    programme_id: str
    round_id: str
    entries: tuple[Entry, ...] = ()

    @property
    def balance(self) -> Balance:
        return fold(self.entries)

    def reference_balance(self, reference: str) -> Balance:
        return fold(e for e in self.entries if e.reference == reference)

    def check(self, entry: Entry) -> Verdict:
        if (entry.programme_id, entry.round_id) != (self.programme_id, self.round_id):
            return Verdict(False, "wrong_round", f"the entry is for {entry.programme_id}/{entry.round_id}, not "
                                                 f"{self.programme_id}/{self.round_id}")
        return check_entry(self.balance, entry, self.reference_balance(entry.reference) if entry.reference
                           else Balance())

    def append(self, entry: Entry) -> Ledger:
        """The ledger with ``entry`` appended; the same ledger if an entry with its key is already there and is the
        same entry (a retry); EntryRefused if the key was used for another entry or the entry is refused."""
        if entry.key is not None:
            earlier = next((e for e in self.entries if e.key == entry.key), None)
            if earlier is not None:
                if _same_movement(earlier, entry):
                    return self
                raise EntryRefused("key_reused", f"key {entry.key} was used for another entry", field="key")
        self.check(entry).raise_if_refused()
        return replace(self, entries=(*self.entries, entry))


def _same_movement(a: Entry, b: Entry) -> bool:
    # A retry may come a day later or with another note; it is the same entry if it moves the same money.
    return (a.kind, a.amount_fen, a.programme_id, a.round_id, a.reference) == \
        (b.kind, b.amount_fen, b.programme_id, b.round_id, b.reference)


def balances_by_round(entries: Iterable[Entry]) -> dict[tuple[str, str], Balance]:
    """(programme id, round id) → balance."""
    found: dict[tuple[str, str], Balance] = {}
    for entry in entries:
        key = (entry.programme_id, entry.round_id)
        found[key] = found.get(key, Balance()).add(entry)
    return found


def balances_by_programme(entries: Iterable[Entry]) -> dict[str, Balance]:
    """programme id → balance: the sum of its rounds' balances."""
    found: dict[str, Balance] = {}
    for (programme_id, _), balance in balances_by_round(entries).items():
        found[programme_id] = found.get(programme_id, Balance()) + balance
    return found


@dataclass(frozen=True)
class Discrepancy:
    field: str
    recorded: int
    derived: int


def reconcile(recorded: Balance, entries: Iterable[Entry], *, budget_fen: int | None = None) -> tuple[Discrepancy, ...]:
    """Every field where a recorded balance (the service's balance row) differs from the fold of the entries, and,
    given the round's published ``budget_fen``, a difference between it and the allocations. Empty: reconciled."""
    derived = fold(entries)
    found = [Discrepancy(f.name, getattr(recorded, f.name), getattr(derived, f.name)) for f in fields(Balance)
             if getattr(recorded, f.name) != getattr(derived, f.name)]
    if budget_fen is not None and budget_fen != derived.allocated:
        found.append(Discrepancy("budget_fen", budget_fen, derived.allocated))
    return tuple(found)


# --------------------------------------------------------------------------------------------------------------
# Tranches
# --------------------------------------------------------------------------------------------------------------


class TrancheCondition(StrEnum):
    """What releases a tranche (REFERENCE §13.5 ``condition``)."""

    MILESTONE = "milestone"  # 阶段考核 passed
    ACCEPTANCE = "acceptance"  # 结题验收 passed
    NONE = "none"  # paid on agreement (a one-off reward)


class TranchePlanError(FundingRuleError):
    """Shares or tranches that do not add up to the approved amount."""


@dataclass(frozen=True)
class TrancheSpec:
    """One tranche as planned: the milestone it follows and its share of the amount."""

    milestone: str
    share: Decimal
    condition: TrancheCondition = TrancheCondition.MILESTONE
    planned_on: date | None = None


@dataclass(frozen=True)
class Tranche:
    index: int  # 0, 1, … in payment order
    milestone: str
    amount_fen: int
    condition: TrancheCondition = TrancheCondition.MILESTONE
    planned_on: date | None = None
    paid_on: date | None = None

    @property
    def paid(self) -> bool:
        return self.paid_on is not None


def split_amount(amount_fen: int, shares: Sequence[Decimal]) -> tuple[int, ...]:
    """``amount_fen`` split by ``shares`` (positive Decimals adding up to exactly 1): each part but the last is its
    share rounded down to the fen, the last takes the remainder. TranchePlanError if a part would be 0 fen."""
    try:
        require_fen(amount_fen, "amount_fen", positive=True)
    except (TypeError, ValueError) as exc:
        raise TranchePlanError("invalid_amount", str(exc), field="amount_fen") from None
    if not shares:
        raise TranchePlanError("no_tranches", "a plan has at least one tranche", field="tranches")
    for share in shares:
        if not isinstance(share, Decimal) or not share.is_finite() or share <= 0:
            raise TranchePlanError("invalid_share", f"each share is a positive Decimal, not {share!r}",
                                   field="tranches")
    if sum(shares, Decimal(0)) != 1:
        raise TranchePlanError("shares_not_whole", f"the shares add up to {sum(shares, Decimal(0))}, not 1",
                               field="tranches")
    parts = [share_of(amount_fen, share) for share in shares[:-1]]
    parts.append(amount_fen - sum(parts))
    if min(parts) <= 0:
        raise TranchePlanError("tranche_too_small", f"{yuan(amount_fen)} split {len(shares)} ways leaves a tranche "
                               "of 0", field="tranches")
    return tuple(parts)


def plan_tranches(amount_fen: int, specs: Sequence[TrancheSpec]) -> tuple[Tranche, ...]:
    amounts = split_amount(amount_fen, [spec.share for spec in specs])
    return tuple(Tranche(i, spec.milestone, amount, TrancheCondition(spec.condition), spec.planned_on)
                 for i, (spec, amount) in enumerate(zip(specs, amounts, strict=True)))


def single_tranche(amount_fen: int, milestone: str = "agreement signed") -> tuple[Tranche, ...]:
    """A one-off payment: the whole amount, released by the agreement itself (a reward, a 免申即享 award)."""
    return (Tranche(0, milestone, amount_fen, TrancheCondition.NONE),)


def check_plan(amount_fen: int, tranches: Sequence[Tranche]) -> None:
    """Tranches indexed 0…n−1 in order, none of them paid yet, each positive, adding up to ``amount_fen`` exactly."""
    if not tranches:
        raise TranchePlanError("no_tranches", "a plan has at least one tranche", field="tranches")
    if [t.index for t in tranches] != list(range(len(tranches))):
        raise TranchePlanError("bad_order", "tranches are numbered 0, 1, … in payment order", field="tranches")
    if any(t.paid for t in tranches):
        raise TranchePlanError("already_paid", "a new plan has no paid tranche", field="tranches")
    for tranche in tranches:
        try:
            require_fen(tranche.amount_fen, "amount_fen", positive=True)
        except (TypeError, ValueError) as exc:
            raise TranchePlanError("invalid_amount", f"tranche {tranche.index}: {exc}", field="tranches") from None
    total = sum(t.amount_fen for t in tranches)
    if total != amount_fen:
        raise TranchePlanError("not_the_amount", f"the tranches add up to {yuan(total)}, not the approved "
                               f"{yuan(amount_fen)}", field="tranches", total_fen=total, amount_fen=amount_fen)
