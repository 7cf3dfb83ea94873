"""Innovation vouchers (创新券): issued to one enterprise from a voucher programme, spent on delivered bookings of
the resource pool, redeemed by the provider. Pure: no I/O.

Decisions, with the REFERENCE sections they rest on:

* **A voucher is a quota, spent in parts.** 玉环's flow is 申领额度 → 申请使用 → 申请兑付 (§12.2 [C]): the firm is granted
  an amount and then asks to use it, purchase by purchase; 瓯海's vouchers were "red packets" spendable with 4000+
  providers (§12.1). So **partial redemptions are allowed**: each redemption pays for one delivered booking, until
  the face value is spent.
* **Never spent twice:** one booking is redeemed at most once by a voucher, and the redemptions never add up to
  more than the face value.
* **The provider redeems** once the service is delivered: the carrier takes the voucher to the S&T bureau for cash
  in the 2016 design (§12.1); who files is open question 5 of §12, so the actor is data in the transition table.
* **Validity:** a voucher pays for a service delivered between its issue date and its expiry date, both inclusive.
  Zhejiang's validity period is not known (§12.6 [U]): ``VoucherTerms.validity_days`` is a parameter. On expiry
  the unspent value returns to the round (§12.6: "EXPIRED with quota returned to the pool").
* **Only for its firm** (a voucher of another firm is refused) and only for the resource kinds it names.
* **The share of a fee** a voucher may pay is data (:class:`CoverageTable`): the 2016 text lets "30 % or more" of the
  fee be paid (§12.1 [C]); 玉环 pays a purchase below 1万 in full (§12.2); Hangzhou's compute vouchers pay ≤ 30 %
  or ≤ 20 % by service, ≤ 50 % for SMEs (§12.5). The first rule that matches the resource kind and the firm's size
  class applies; the share is rounded down to the fen; what other vouchers already paid for the booking counts
  against it (the share bounds public money per booking, whatever the number of vouchers).
* Not coded: the related-party and "no voucher plus another grant for one service" exclusions are [M] in §12.2
  ("confirm before coding").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from services.funding.domain.actors import Actor
from services.funding.domain.errors import FundingRuleError
from services.funding.domain.ledger import Entry, EntryKind
from services.funding.domain.money import require_fen, require_share, share_of, yuan
from services.funding.domain.resources import ResourceKind


class VoucherStatus(StrEnum):
    ACTIVE = "active"  # spendable while value remains (a spent voucher stays active with 0 left)
    EXPIRED = "expired"  # 已过期: the unspent value went back to the round
    REVOKED = "revoked"  # 已作废: an officer withdrew it (e.g. issued on false data)


class VoucherAction(StrEnum):
    REDEEM = "redeem"  # 兑付
    EXPIRE = "expire"
    REVOKE = "revoke"


@dataclass(frozen=True)
class VoucherRule:
    source: VoucherStatus
    action: VoucherAction
    target: VoucherStatus
    actors: frozenset[Actor]


VOUCHER_TRANSITIONS: tuple[VoucherRule, ...] = (
    VoucherRule(VoucherStatus.ACTIVE, VoucherAction.REDEEM, VoucherStatus.ACTIVE, frozenset({Actor.PROVIDER})),
    VoucherRule(VoucherStatus.ACTIVE, VoucherAction.EXPIRE, VoucherStatus.EXPIRED, frozenset({Actor.SYSTEM})),
    VoucherRule(VoucherStatus.ACTIVE, VoucherAction.REVOKE, VoucherStatus.REVOKED, frozenset({Actor.OFFICER})),
)


class VoucherRefused(FundingRuleError):
    """A voucher that cannot be issued or spent as asked; ``code`` says which rule."""


@dataclass(frozen=True)
class CoverageRule:
    """The share of a booking's fee vouchers may pay, for some resource kinds and size classes (empty: any)."""

    share: Decimal
    resource_kinds: frozenset[ResourceKind] = frozenset()
    size_classes: frozenset[str] = frozenset()
    full_below_fen: int | None = None  # a fee below this is paid in full (玉环: 1万)
    max_per_booking_fen: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        require_share(self.share, "share")
        object.__setattr__(self, "resource_kinds", frozenset(ResourceKind(k) for k in self.resource_kinds))
        object.__setattr__(self, "size_classes", frozenset(str(s) for s in self.size_classes))
        for name in ("full_below_fen", "max_per_booking_fen"):
            if getattr(self, name) is not None:
                require_fen(getattr(self, name), name)

    def applies(self, kind: ResourceKind, size_class: str | None) -> bool:
        return ((not self.resource_kinds or kind in self.resource_kinds)
                and (not self.size_classes or size_class in self.size_classes))

    def limit(self, fee_fen: int) -> int:
        """The most vouchers may pay of ``fee_fen``."""
        if self.full_below_fen is not None and fee_fen < self.full_below_fen:
            allowed = fee_fen
        else:
            allowed = share_of(fee_fen, self.share)
        return allowed if self.max_per_booking_fen is None else min(allowed, self.max_per_booking_fen)


@dataclass(frozen=True)
class CoverageTable:
    """Rules tried in order, the more specific first; no matching rule: vouchers pay nothing of that fee."""

    rules: tuple[CoverageRule, ...]

    def rule_for(self, kind: ResourceKind, size_class: str | None) -> CoverageRule | None:
        return next((r for r in self.rules if r.applies(kind, size_class)), None)

    def limit(self, fee_fen: int, kind: ResourceKind, size_class: str | None) -> int:
        rule = self.rule_for(kind, size_class)
        return 0 if rule is None else rule.limit(fee_fen)


@dataclass(frozen=True)
class VoucherTerms:
    """A voucher round's terms (REFERENCE §12.6 ``VoucherScheme``; its budget is the round's ledger)."""

    face_value_fen: int  # per issue (玉环: 2万 per application)
    per_enterprise_annual_cap_fen: int  # 玉环: 10万 per firm per year
    validity_days: int  # [U]: Zhejiang's validity period is not known
    allowed_kinds: frozenset[ResourceKind]
    coverage: CoverageTable

    def __post_init__(self) -> None:
        require_fen(self.face_value_fen, "face_value_fen", positive=True)
        require_fen(self.per_enterprise_annual_cap_fen, "per_enterprise_annual_cap_fen", positive=True)
        if self.validity_days < 1:
            raise ValueError("a voucher is valid for at least a day")
        object.__setattr__(self, "allowed_kinds", frozenset(ResourceKind(k) for k in self.allowed_kinds))
        if not self.allowed_kinds:
            raise ValueError("a voucher pays for at least one kind of resource")


@dataclass(frozen=True)
class Redemption:
    booking_id: str
    provider_id: str
    amount_fen: int
    fee_fen: int
    service_date: date


@dataclass(frozen=True)
class Voucher:
    id: str
    programme_id: str
    round_id: str
    enterprise_id: str
    face_value_fen: int
    issued_on: date
    expires_on: date  # inclusive
    allowed_kinds: frozenset[ResourceKind]
    coverage: CoverageTable
    status: VoucherStatus = VoucherStatus.ACTIVE
    redemptions: tuple[Redemption, ...] = ()
    released_fen: int = 0  # returned to the round on expiry or revocation
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", VoucherStatus(self.status))
        require_fen(self.face_value_fen, "face_value_fen", positive=True)

    @property
    def redeemed_fen(self) -> int:
        return sum(r.amount_fen for r in self.redemptions)

    @property
    def remaining_fen(self) -> int:
        """What the voucher can still pay (0 once expired or revoked: the rest went back to the round)."""
        return self.face_value_fen - self.redeemed_fen - self.released_fen

    @property
    def exhausted(self) -> bool:
        return self.remaining_fen == 0


def issue(terms: VoucherTerms, *, id: str, programme_id: str, round_id: str, enterprise_id: str, on: date,
          issued_this_year_fen: int, round_available_fen: int, face_value_fen: int | None = None) -> tuple[Voucher, Entry]:
    """A voucher for ``enterprise_id`` and the ledger entry that reserves its value. ``issued_this_year_fen``: the
    face value already issued to the firm in ``on``'s year; ``round_available_fen``: the round's balance (locked)."""
    value = terms.face_value_fen if face_value_fen is None else face_value_fen
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise VoucherRefused("not_positive", f"a voucher's value is a positive number of fen, not {value!r}",
                             field="face_value_fen")
    if value > terms.face_value_fen:
        raise VoucherRefused("above_face_value", f"{yuan(value)} is above the {yuan(terms.face_value_fen)} a voucher "
                             "of this round may carry", field="face_value_fen")
    headroom = terms.per_enterprise_annual_cap_fen - issued_this_year_fen
    if value > headroom:
        raise VoucherRefused("above_enterprise_cap", f"the firm may receive {yuan(max(headroom, 0))} more in vouchers "
                             f"in {on.year} (cap {yuan(terms.per_enterprise_annual_cap_fen)})", field="face_value_fen",
                             remaining_fen=max(headroom, 0))
    if value > round_available_fen:
        raise VoucherRefused("budget_exhausted", f"the voucher round has {yuan(max(round_available_fen, 0))} left, "
                             f"less than {yuan(value)}", field="face_value_fen")
    voucher = Voucher(id, programme_id, round_id, enterprise_id, value, on,
                      on + timedelta(days=terms.validity_days - 1), terms.allowed_kinds, terms.coverage)
    entry = Entry(EntryKind.VOUCHER_ISSUED, value, programme_id, round_id, id, f"voucher:{id}:issued", on)
    return voucher, entry


@dataclass(frozen=True)
class RedemptionRequest:
    """A provider's claim for one delivered booking. ``amount_fen`` None: as much as the voucher may pay."""

    booking_id: str
    enterprise_id: str  # the firm that booked
    provider_id: str
    resource_kind: ResourceKind
    fee_fen: int
    service_date: date
    size_class: str | None = None
    paid_by_other_vouchers_fen: int = 0  # already paid for this booking by other vouchers
    amount_fen: int | None = None


@dataclass(frozen=True)
class VoucherCommand:
    action: VoucherAction
    actor: Actor
    on: date
    request: RedemptionRequest | None = None  # redeem
    note: str = ""  # revoke: why


def share_limit(voucher: Voucher, request: RedemptionRequest) -> int:
    """What vouchers may still pay of the booking's fee under the coverage table."""
    allowed = voucher.coverage.limit(request.fee_fen, request.resource_kind, request.size_class)
    return max(allowed - request.paid_by_other_vouchers_fen, 0)


def payable(voucher: Voucher, request: RedemptionRequest) -> int:
    """The most this voucher can pay for the booking: its share, bounded by its remaining value."""
    return min(share_limit(voucher, request), voucher.remaining_fen)


def _redeem(voucher: Voucher, command: VoucherCommand) -> tuple[Voucher, tuple[Entry, ...]]:
    request = command.request
    if request is None:
        raise VoucherRefused("missing_input", "a redemption names the booking it pays for", field="request")
    require_fen(request.fee_fen, "fee_fen")
    if not voucher.issued_on <= request.service_date:
        raise VoucherRefused("before_issue", f"the service on {request.service_date.isoformat()} precedes the "
                             f"voucher (issued {voucher.issued_on.isoformat()})", field="service_date")
    if request.service_date > voucher.expires_on:
        raise VoucherRefused("expired", f"the voucher expired on {voucher.expires_on.isoformat()}; the service was on "
                             f"{request.service_date.isoformat()}", field="service_date")
    if request.enterprise_id != voucher.enterprise_id:
        raise VoucherRefused("other_enterprise", "the voucher belongs to another enterprise than the booking's",
                             field="voucher_id")
    if request.resource_kind not in voucher.allowed_kinds:
        raise VoucherRefused("resource_not_covered", f"the voucher does not pay for {request.resource_kind} (it pays "
                             f"for {', '.join(sorted(voucher.allowed_kinds))})", field="resource_kind")
    if any(r.booking_id == request.booking_id for r in voucher.redemptions):
        raise VoucherRefused("already_redeemed", f"booking {request.booking_id} was already paid with this voucher",
                             field="booking_id")
    if voucher.remaining_fen == 0:
        raise VoucherRefused("exhausted", "the voucher's value is spent", field="voucher_id")
    limit = share_limit(voucher, request)
    if limit == 0:
        raise VoucherRefused("share_exhausted", "vouchers may pay nothing more of this booking's fee",
                             field="amount_fen")
    amount = payable(voucher, request) if request.amount_fen is None else request.amount_fen
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise VoucherRefused("not_positive", f"a redemption is a positive number of fen, not {amount!r}",
                             field="amount_fen")
    if amount > limit:
        raise VoucherRefused("above_share", f"vouchers may pay {yuan(limit)} more of the {yuan(request.fee_fen)} fee, "
                             f"not {yuan(amount)}", field="amount_fen", limit_fen=limit)
    if amount > voucher.remaining_fen:
        raise VoucherRefused("beyond_remaining_value", f"the voucher has {yuan(voucher.remaining_fen)} left, less than "
                             f"{yuan(amount)}", field="amount_fen", remaining_fen=voucher.remaining_fen)
    redemption = Redemption(request.booking_id, request.provider_id, amount, request.fee_fen, request.service_date)
    entry = Entry(EntryKind.VOUCHER_REDEEMED, amount, voucher.programme_id, voucher.round_id, voucher.id,
                  f"voucher:{voucher.id}:redeemed:{request.booking_id}", command.on)
    return replace(voucher, redemptions=(*voucher.redemptions, redemption)), (entry,)


def _release(voucher: Voucher, command: VoucherCommand) -> tuple[Voucher, tuple[Entry, ...]]:
    if command.action == VoucherAction.EXPIRE and command.on <= voucher.expires_on:
        raise VoucherRefused("not_yet_expired", f"the voucher is valid until {voucher.expires_on.isoformat()}",
                             field="action")
    if command.action == VoucherAction.REVOKE and not command.note.strip():
        raise VoucherRefused("missing_input", "a revocation says why", field="note")
    remaining = voucher.remaining_fen
    released = replace(voucher, released_fen=voucher.released_fen + remaining, note=command.note)
    if remaining == 0:
        return released, ()
    return released, (Entry(EntryKind.RELEASED, remaining, voucher.programme_id, voucher.round_id, voucher.id,
                            f"voucher:{voucher.id}:released", command.on),)


def transition(voucher: Voucher, command: VoucherCommand) -> tuple[Voucher, tuple[Entry, ...]]:
    """Redeem, expire or revoke; the voucher after the move and its ledger entries. VoucherRefused otherwise."""
    options = [r for r in VOUCHER_TRANSITIONS if r.source == voucher.status]
    rule = next((r for r in options if r.action == command.action), None)
    if rule is None:
        code = {VoucherStatus.EXPIRED: "expired", VoucherStatus.REVOKED: "revoked"}.get(voucher.status,
                                                                                       "transition_not_allowed")
        raise VoucherRefused(code, f"the voucher is {voucher.status}; {command.action} is not one of its transitions "
                             f"(allowed: {', '.join(r.action for r in options) or 'none'})", field="action",
                             allowed=[str(r.action) for r in options])
    if command.actor not in rule.actors:
        raise VoucherRefused("actor_not_allowed", f"{command.action} of a voucher is for "
                             f"{'/'.join(sorted(rule.actors))}, not {command.actor}", field="action",
                             allowed=[str(r.action) for r in options])
    moved, entries = (_redeem if command.action == VoucherAction.REDEEM else _release)(voucher, command)
    return replace(moved, status=rule.target), entries


def redeem(voucher: Voucher, request: RedemptionRequest, on: date) -> tuple[Voucher, tuple[Entry, ...]]:
    return transition(voucher, VoucherCommand(VoucherAction.REDEEM, Actor.PROVIDER, on, request))
