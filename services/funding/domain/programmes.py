"""The fund pool (配套基金池) → programme (资金项目) → round (批次), and the dated amounts they pay. Pure: no I/O.

* A **fund pool** is a budget an issuer sets aside for the programme (e.g. the city's 2026 播种计划 matching fund).
* A **programme** spends part of it through one instrument (资助, 补贴, 贴息, 创新券, 股权跟投, 揭榜挂帅 bounty), under
  one mode (申报制, 快申快享, 免申即享: REFERENCE §13.3), with a per-enterprise cap and eligibility rules.
* A **round** is one call of a programme: its own budget, dates and (optionally) a tighter cap and extra rules.

Every amount is **data**: budgets and caps are fields of these records, and the reward amounts of REFERENCE §13.2
(≤ 20万 for a first HNTE recognition in 湖州 2025 …) are :class:`DatedAmount` rows keyed by issuer, item and
effective dates, chosen by :func:`amount_in_force`. The §13.2 figures themselves live in ``reference_data`` as demo
data; no rule here knows a figure.

Dates are civil dates (Asia/Shanghai) and **inclusive**: a round that closes on 30 June accepts applications all
day on 30 June, as a published call reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.funding.domain.eligibility import EligibilityRule
from services.funding.domain.errors import FundingRuleError
from services.funding.domain.money import require_fen, yuan


class Instrument(StrEnum):
    """How a programme pays (DESIGN §2, issue 13)."""

    GRANT = "grant"  # 资助 / 奖励: money for a project or a recognition
    SUBSIDY = "subsidy"  # 补贴 / 补助: a share of costs already incurred (R&D expense, equipment …)
    LOAN_INTEREST_SUBSIDY = "loan_interest_subsidy"  # 贷款贴息
    INNOVATION_VOUCHER = "innovation_voucher"  # 创新券 (REFERENCE §12)
    EQUITY_CO_INVESTMENT = "equity_co_investment"  # 股权跟投 / 基金配套投资
    CHALLENGE_BOUNTY = "challenge_bounty"  # 揭榜挂帅: the public share of a bounty (REFERENCE §7)


class IssuerLevel(StrEnum):
    """Who pays (REFERENCE §12.6 ``issuerLevel``, §13.5 ``sourceLevel``)."""

    PROVINCE = "province"  # 省
    CITY = "city"  # 市 (湖州市本级)
    COUNTY = "county"  # 区县 (吴兴、南浔、德清、长兴、安吉, 南太湖新区)
    YANGTZE_DELTA = "yangtze_delta"  # 长三角 (cross-region vouchers, §12.4)


class AwardMode(StrEnum):
    """REFERENCE §13.3: how a benefit reaches a firm."""

    APPLICATION = "application"  # 申报制: the firm applies; the office reviews
    FAST_TRACK = "fast_track"  # 快申快享: a short application where the data are not yet enough
    AUTOMATIC = "automatic"  # 免申即享: data matching lists the firms; they only confirm


class RoundPhase(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class ProgrammeError(FundingRuleError):
    """A pool, programme or round that cannot be recorded as given, or a round that is not open."""


def _require_dates(opens_on: date, closes_on: date) -> None:
    if closes_on < opens_on:
        raise ProgrammeError("closes_before_opening", f"closes on {closes_on.isoformat()}, before it opens on "
                             f"{opens_on.isoformat()}", field="closes_on")


def _require_money(value: object, name: str, *, positive: bool = True) -> None:
    try:
        require_fen(value, name, positive=positive)
    except (TypeError, ValueError) as exc:
        raise ProgrammeError("invalid_amount", str(exc), field=name) from None


@dataclass(frozen=True)
class DatedAmount:
    """One amount an issuer pays for one item, from a date (REFERENCE §13: "store them as dated, per-issuer data").
    ``ceiling``: the text says "最高 / ≤" (the office may pay less) rather than a fixed sum."""

    issuer: str  # e.g. "湖州市"
    item: str  # what it pays for, e.g. "hnte_first_recognition"
    amount_fen: int
    effective_from: date
    effective_until: date | None = None  # inclusive; None: until replaced
    ceiling: bool = True
    source: str = ""
    confidence: str = "U"  # REFERENCE tags: V, C, M, U

    def __post_init__(self) -> None:
        _require_money(self.amount_fen, "amount_fen")
        if self.effective_until is not None:
            _require_dates(self.effective_from, self.effective_until)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)


def amount_in_force(amounts: Iterable[DatedAmount], *, issuer: str, item: str, on: date) -> DatedAmount:
    """The issuer's amount for ``item`` on ``on``: of the rows in force, the one that took effect last (a new
    year's figure replaces the old one without the old row being edited). ProgrammeError when there is none, or
    when two rows take effect on the same day."""
    in_force = [a for a in amounts if a.issuer == issuer and a.item == item and a.in_force(on)]
    if not in_force:
        raise ProgrammeError("no_amount_in_force", f"{issuer} has no amount for {item} in force on {on.isoformat()}",
                             issuer=issuer, item=item)
    latest = max(a.effective_from for a in in_force)
    candidates = [a for a in in_force if a.effective_from == latest]
    if len(candidates) > 1:
        # Two figures from the same day: the data are wrong, and guessing would pay the wrong amount.
        raise ProgrammeError("ambiguous_amount", f"{issuer} has {len(candidates)} amounts for {item} taking effect on "
                             f"{latest.isoformat()}", issuer=issuer, item=item)
    return candidates[0]


@dataclass(frozen=True)
class FundPool:
    """配套基金池: the money an issuer sets aside for the programme in a period."""

    id: str
    name: str
    issuer: str
    budget_fen: int
    opens_on: date
    closes_on: date

    def __post_init__(self) -> None:
        _require_money(self.budget_fen, "budget_fen")
        _require_dates(self.opens_on, self.closes_on)


@dataclass(frozen=True)
class Programme:
    """资金项目: one way of spending part of a pool."""

    id: str
    pool_id: str
    name: str
    instrument: Instrument
    issuer: str
    issuer_level: IssuerLevel
    budget_fen: int
    per_enterprise_cap_fen: int
    opens_on: date
    closes_on: date
    mode: AwardMode = AwardMode.APPLICATION
    eligibility: tuple[EligibilityRule, ...] = ()
    # 从高、从优、不重复 (REFERENCE §13.4): programmes in one group pay a firm once a year, the highest amount.
    conflict_group: str | None = None
    source: str = ""  # the policy text the programme implements

    def __post_init__(self) -> None:
        object.__setattr__(self, "instrument", Instrument(self.instrument))
        object.__setattr__(self, "issuer_level", IssuerLevel(self.issuer_level))
        object.__setattr__(self, "mode", AwardMode(self.mode))
        object.__setattr__(self, "eligibility", tuple(self.eligibility))
        _require_money(self.budget_fen, "budget_fen")
        _require_money(self.per_enterprise_cap_fen, "per_enterprise_cap_fen")
        _require_dates(self.opens_on, self.closes_on)
        if self.per_enterprise_cap_fen > self.budget_fen:
            raise ProgrammeError("cap_above_budget", f"the per-enterprise cap {yuan(self.per_enterprise_cap_fen)} "
                                 f"exceeds the budget {yuan(self.budget_fen)}", field="per_enterprise_cap_fen")


@dataclass(frozen=True)
class Round:
    """批次: one call of a programme. ``per_enterprise_cap_fen`` None: the programme's cap applies."""

    id: str
    programme_id: str
    name: str
    budget_fen: int
    opens_on: date
    closes_on: date
    per_enterprise_cap_fen: int | None = None
    eligibility: tuple[EligibilityRule, ...] = ()  # in addition to the programme's

    def __post_init__(self) -> None:
        object.__setattr__(self, "eligibility", tuple(self.eligibility))
        _require_money(self.budget_fen, "budget_fen")
        if self.per_enterprise_cap_fen is not None:
            _require_money(self.per_enterprise_cap_fen, "per_enterprise_cap_fen")
        _require_dates(self.opens_on, self.closes_on)


def _within(child: str, opens_on: date, closes_on: date, parent: str, p_opens: date, p_closes: date) -> None:
    if opens_on < p_opens or closes_on > p_closes:
        raise ProgrammeError("outside_parent_dates", f"the {child} runs {opens_on.isoformat()}–{closes_on.isoformat()}, "
                             f"outside its {parent}'s {p_opens.isoformat()}–{p_closes.isoformat()}", field="opens_on")


def check_programme(programme: Programme, pool: FundPool, siblings: Iterable[Programme] = ()) -> None:
    """A programme fits its pool: same pool, dates inside the pool's, and with the pool's other programmes
    (``siblings``) a total budget within the pool's. ProgrammeError otherwise."""
    if programme.pool_id != pool.id:
        raise ProgrammeError("wrong_parent", f"programme {programme.id} belongs to pool {programme.pool_id}, not "
                             f"{pool.id}", field="pool_id")
    _within("programme", programme.opens_on, programme.closes_on, "pool", pool.opens_on, pool.closes_on)
    check_budget_split(pool.budget_fen, [programme.budget_fen, *(p.budget_fen for p in siblings
                                                                  if p.id != programme.id)], "pool")


def check_children_fit(pool: FundPool, programmes: Iterable[Programme]) -> None:
    """After a change of a pool: its programmes still run inside its dates and their budgets (what the pool has
    committed to them) add up to no more than its budget."""
    programmes = list(programmes)
    for programme in programmes:
        _within("programme", programme.opens_on, programme.closes_on, "pool", pool.opens_on, pool.closes_on)
    check_budget_split(pool.budget_fen, [p.budget_fen for p in programmes], "pool")


def check_round(round_: Round, programme: Programme, siblings: Iterable[Round] = ()) -> None:
    """A round fits its programme: dates inside, a cap no higher than the programme's and no higher than its own
    budget, and with the programme's other rounds a total budget within the programme's."""
    if round_.programme_id != programme.id:
        raise ProgrammeError("wrong_parent", f"round {round_.id} belongs to programme {round_.programme_id}, not "
                             f"{programme.id}", field="programme_id")
    _within("round", round_.opens_on, round_.closes_on, "programme", programme.opens_on, programme.closes_on)
    cap = round_.per_enterprise_cap_fen
    if cap is not None and cap > programme.per_enterprise_cap_fen:
        raise ProgrammeError("cap_above_programme_cap", f"the round's cap {yuan(cap)} exceeds the programme's "
                             f"{yuan(programme.per_enterprise_cap_fen)}", field="per_enterprise_cap_fen")
    if cap is not None and cap > round_.budget_fen:
        raise ProgrammeError("cap_above_budget", f"the round's cap {yuan(cap)} exceeds its budget "
                             f"{yuan(round_.budget_fen)}", field="per_enterprise_cap_fen")
    check_budget_split(programme.budget_fen, [round_.budget_fen, *(r.budget_fen for r in siblings
                                                                   if r.id != round_.id)], "programme")


def check_budget_split(parent_budget_fen: int, child_budgets_fen: Iterable[int], parent: str) -> None:
    """The children's budgets add up to no more than the parent's."""
    total = sum(child_budgets_fen)
    if total > parent_budget_fen:
        raise ProgrammeError("over_allotted", f"the budgets under this {parent} add up to {yuan(total)}, more than "
                             f"its {yuan(parent_budget_fen)}", field="budget_fen", total_fen=total,
                             parent_budget_fen=parent_budget_fen)


def phase(opens_on: date, closes_on: date, on: date) -> RoundPhase:
    if on < opens_on:
        return RoundPhase.UPCOMING
    return RoundPhase.OPEN if on <= closes_on else RoundPhase.CLOSED


def require_open(round_: Round, on: date) -> None:
    """Applications (and automatic awards, and voucher issues) are taken only while the round is open."""
    current = phase(round_.opens_on, round_.closes_on, on)
    if current == RoundPhase.UPCOMING:
        raise ProgrammeError("round_not_open", f"round {round_.name} opens on {round_.opens_on.isoformat()}",
                             field="round_id", opens_on=round_.opens_on.isoformat())
    if current == RoundPhase.CLOSED:
        raise ProgrammeError("round_closed", f"round {round_.name} closed on {round_.closes_on.isoformat()}",
                             field="round_id", closes_on=round_.closes_on.isoformat())


def enterprise_cap(programme: Programme, round_: Round) -> int:
    """What one enterprise may receive from the round in all: the round's cap where it sets one, never above the
    programme's."""
    if round_.per_enterprise_cap_fen is None:
        return programme.per_enterprise_cap_fen
    return min(round_.per_enterprise_cap_fen, programme.per_enterprise_cap_fen)


def rules_for(programme: Programme, round_: Round) -> tuple[EligibilityRule, ...]:
    """The programme's rules, then the round's own."""
    return (*programme.eligibility, *round_.eligibility)
