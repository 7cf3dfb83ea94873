"""Open licence (开放许可, 专利法 arts. 50–52, REFERENCE §6.1): the declaration, when it may be made, and how a
licensee obtains its ordinary licence. Pure rules.

* The holder declares in writing that anyone may exploit the patent, stating the royalty's **mode** (一次性付费
  lump sum, 提成 running royalty, 入门费 + 提成 entry fee plus royalty) and **standard**, and the term [V].
* A utility-model or design patent's declaration carries a 专利权评价报告 (evaluation report) [V].
* It is refused while an exclusive or sole licence is in force, while the patent is pledged without the pledgee's
  consent, while annual fees are unpaid, or without every co-owner's consent (实施细则, [C]/[M]), and for a patent
  not granted (a declaration comes only after the grant is published).
* Withdrawal is in writing and published; licences already granted are untouched [V].
* A licensee **notifies the holder in writing and pays** per the published standard, and so obtains an ordinary
  licence (art. 51) [V]: the licence takes effect once both hold (:func:`effective_on`).

CNIPA's 2024 guide ceilings (fixed fee ≤ 2000万元, royalty ≤ 20% of net sales or ≤ 40% of profit) are "generally"
so [C]: :class:`OpenLicencePolicy` reports a standard above them as a warning, and refuses it only when told to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.licensing.domain.licences import Grant, exclusive_or_sole_during
from services.licensing.domain.patents import FeeStatus, LegalStatus, PatentType, PledgeStatus, Standing
from services.licensing.domain.values import Term, optional_line, percent, share
from shared.errors import Conflict, InvalidInput

FEN_PER_WAN = 1_000_000


class RoyaltyMode(StrEnum):
    LUMP_SUM = "lump_sum"  # 一次性付费
    RUNNING_ROYALTY = "running_royalty"  # 提成
    ENTRY_FEE_PLUS_ROYALTY = "entry_fee_plus_royalty"  # 入门费 + 提成


class RoyaltyBasis(StrEnum):
    NET_SALES = "net_sales"  # 净销售额
    PROFIT = "profit"  # 利润


class DeclarationStatus(StrEnum):
    IN_FORCE = "in_force"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class OpenLicencePolicy:
    """The guide ceilings (CNIPA 2024 notice, [C]) and whether they are refusals or warnings."""

    max_fixed_fen: int = 2000 * FEN_PER_WAN  # 2000万元
    max_rate: dict[RoyaltyBasis, Decimal] | None = None
    ceilings_refuse: bool = False

    def rate_ceiling(self, basis: RoyaltyBasis) -> Decimal:
        ceilings = self.max_rate or {RoyaltyBasis.NET_SALES: Decimal("0.20"), RoyaltyBasis.PROFIT: Decimal("0.40")}
        return ceilings[basis]


DEFAULT_POLICY = OpenLicencePolicy()


@dataclass(frozen=True)
class Royalty:
    """许可使用费支付方式与标准: the fixed amounts in fen and the rate as a fraction of its basis."""

    mode: RoyaltyMode
    lump_sum_fen: int | None = None
    entry_fee_fen: int | None = None
    rate: Decimal | None = None
    basis: RoyaltyBasis | None = None

    def __post_init__(self) -> None:
        needs = {
            RoyaltyMode.LUMP_SUM: ("lump_sum_fen",),
            RoyaltyMode.RUNNING_ROYALTY: ("rate", "basis"),
            RoyaltyMode.ENTRY_FEE_PLUS_ROYALTY: ("entry_fee_fen", "rate", "basis"),
        }[self.mode]
        for name in ("lump_sum_fen", "entry_fee_fen", "rate", "basis"):
            given = getattr(self, name) is not None
            if name in needs and not given:
                raise InvalidInput(f"a {self.mode.value} royalty states its {name.replace('_fen', '')}",
                                   field=f"royalty.{name}")
            if name not in needs and given:
                raise InvalidInput(f"a {self.mode.value} royalty has no {name.replace('_fen', '')}",
                                   field=f"royalty.{name}")
        for name in ("lump_sum_fen", "entry_fee_fen"):
            amount = getattr(self, name)
            if amount is not None and amount <= 0:
                raise InvalidInput("an amount is above 0 fen", field=f"royalty.{name}")
        if self.rate is not None:
            share(self.rate, "royalty.rate")

    @property
    def upfront_fen(self) -> int:
        """What a licensee pays to obtain the licence: the lump sum or the entry fee; a running royalty alone is paid
        on sales as they come, so nothing is due up front."""
        return self.lump_sum_fen or self.entry_fee_fen or 0

    def warnings(self, policy: OpenLicencePolicy = DEFAULT_POLICY) -> list[str]:
        found = []
        fixed = self.lump_sum_fen or self.entry_fee_fen
        if fixed is not None and fixed > policy.max_fixed_fen:
            found.append(f"a fixed fee above {policy.max_fixed_fen // FEN_PER_WAN}万元 exceeds CNIPA's guide ceiling")
        if self.rate is not None and self.basis is not None and self.rate > policy.rate_ceiling(self.basis):
            found.append(f"a royalty of {percent(self.rate)} of {self.basis.value} exceeds CNIPA's guide ceiling of "
                         f"{percent(policy.rate_ceiling(self.basis))}")
        return found


@dataclass(frozen=True)
class Declaration:
    """开放许可声明 as the holder makes it."""

    royalty: Royalty
    standard: str  # the standard in words (how sales are reported, when royalties fall due …)
    term: Term
    evaluation_report_no: str | None = None


def check_declarable(declaration: Declaration, standing: Standing, patent_type: PatentType,
                     licences: Iterable[Grant], *, policy: OpenLicencePolicy = DEFAULT_POLICY) -> list[str]:
    """Refuse a declaration the law does not allow now (409 naming what blocks it; 422 for what is missing from
    it); return the warnings it is accepted with."""
    if not optional_line(declaration.standard):
        raise InvalidInput("the declaration states the royalty standard", field="standard")
    if patent_type in (PatentType.UTILITY_MODEL, PatentType.DESIGN) and not optional_line(
            declaration.evaluation_report_no):
        raise InvalidInput(f"a {patent_type.value} patent's open licence needs its evaluation report "
                           "(专利权评价报告) number", field="evaluation_report_no")
    if standing.transferred:
        raise Conflict("the patent has been transferred; only its patentee may declare an open licence",
                       field="patent")
    if standing.legal_status is not LegalStatus.GRANTED:
        raise Conflict(f"the patent is {standing.legal_status.value}: an open licence is declared only for a granted "
                       "patent in force", field="legal_status")
    blocking = exclusive_or_sole_during(licences, declaration.term)
    if blocking:
        first = blocking[0]
        raise Conflict(f"a {first.kind.value} licence to {first.licensee} is in force during the declared term: no "
                       "open licence while an exclusive or sole licence holds", field="licences",
                       blocking_licence_ids=[str(g.id) for g in blocking if g.id])
    if standing.pledge_status is PledgeStatus.PLEDGED and not standing.pledgee_consented:
        raise Conflict("the patent is pledged and the pledgee's consent is not recorded", field="pledgee_consented")
    if standing.fee_status is FeeStatus.UNPAID:
        raise Conflict("annual fees are unpaid: no open licence until they are paid", field="fee_status")
    missing = [p.name for p in standing.patentees if not p.consented]
    if missing:
        raise Conflict(f"every co-owner consents to an open licence; not recorded for: {', '.join(missing)}",
                       field="patentees")
    warnings = declaration.royalty.warnings(policy)
    if warnings and policy.ceilings_refuse:
        raise InvalidInput("; ".join(warnings), field="royalty")
    return warnings


def check_withdrawable(status: DeclarationStatus) -> None:
    if status is not DeclarationStatus.IN_FORCE:
        raise Conflict("this open licence was withdrawn already", field="status")


def check_takeable(status: DeclarationStatus, term: Term, notice_on: date) -> None:
    """A licensee's written notice is taken while the declaration is in force and within its term."""
    if status is not DeclarationStatus.IN_FORCE:
        raise Conflict("the open licence was withdrawn; licences are no longer obtained by notice", field="patent")
    if not term.covers(notice_on):
        raise Conflict(f"the notice ({notice_on}) falls outside the declared term", field="notice_on")


def effective_on(notice_on: date | None, payments: Iterable[tuple[date, int]], due_fen: int) -> date | None:
    """The day the open licence takes effect: once the written notice is given *and* the up-front amount paid (the
    later of the notice and the payment that completed it), or None while either is missing."""
    if notice_on is None:
        return None
    paid = 0
    completed: date | None = notice_on if due_fen == 0 else None
    for day, amount in sorted(payments):
        paid += amount
        if completed is None and paid >= due_fen:
            completed = day
    if completed is None:
        return None
    return max(notice_on, completed)
