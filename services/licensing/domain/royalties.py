"""Royalty schedules, payments and the yearly figures per institute. Pure rules.

A licence's royalty (open_licences.Royalty, or a negotiated one) sets what falls due: a lump sum once at the
start; an entry fee at the start, then a running royalty each period on the sales (or profit) the licensee
reports; a running royalty alone each period. Running royalties are due at the end of each period of the term
(quarterly by default): their amount is known only once the period's basis is reported, so the schedule carries the
due date and the rate, and the payment records the amount.

The report of an institute for a year counts what a reader of the programme's statistics asks: income received in
the year (payments by their day), licences that took effect in the year by mode, and the firms reached (distinct
licensees).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from services.licensing.domain.open_licences import Royalty, RoyaltyMode
from services.licensing.domain.values import Term
from shared.errors import InvalidInput


@dataclass(frozen=True)
class Instalment:
    due_on: date
    kind: str  # lump_sum | entry_fee | running_royalty
    amount_fen: int | None = None  # fixed amounts; None for a running royalty (rate × the period's basis)
    rate: Decimal | None = None
    period_start: date | None = None
    period_end: date | None = None


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(royalty: Royalty, term: Term, *, period_months: int = 3, horizon: date | None = None) -> list[Instalment]:
    """What falls due under ``royalty`` over ``term``: fixed amounts at the start, running royalties at the end of
    each period (the last one cut at the term's end). A term without an end runs to ``horizon`` (required then)."""
    if period_months not in (1, 3, 6, 12):
        raise InvalidInput("royalties are settled monthly, quarterly, half-yearly or yearly", field="period_months")
    end = term.end or horizon
    if end is None:
        raise InvalidInput("a schedule of a term without an end needs a horizon", field="horizon")
    due: list[Instalment] = []
    if royalty.mode is RoyaltyMode.LUMP_SUM:
        return [Instalment(term.start, "lump_sum", amount_fen=royalty.lump_sum_fen)]
    if royalty.mode is RoyaltyMode.ENTRY_FEE_PLUS_ROYALTY:
        due.append(Instalment(term.start, "entry_fee", amount_fen=royalty.entry_fee_fen))
    start = term.start
    while start <= end:
        period_end = min(add_months(start, period_months) - timedelta(days=1), end)
        due.append(Instalment(period_end, "running_royalty", rate=royalty.rate, period_start=start,
                              period_end=period_end))
        start = period_end + timedelta(days=1)
    return due


@dataclass(frozen=True)
class Paid:
    """A payment as reconciliation reads it."""

    kind: str  # upfront | royalty | conversion
    paid_on: date
    amount_fen: int
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class Standing:
    instalment: Instalment
    status: str  # paid | outstanding (due, not paid) | upcoming (not yet due)
    paid_fen: int


def reconcile(instalments: list[Instalment], payments: list[Paid], today: date) -> list[Standing]:
    """Each instalment with what was paid towards it: fixed amounts (lump sum, entry fee, conversion) from the up-front
    and conversion payments in date order; a running royalty from the royalty payments naming its period. A running
    royalty counts as paid once any payment for its period is recorded (its amount rests on the basis reported)."""
    fixed_pool = sum(p.amount_fen for p in payments if p.kind in ("upfront", "conversion"))
    standings: list[Standing] = []
    for item in instalments:
        if item.amount_fen is not None:
            paid = min(item.amount_fen, fixed_pool)
            fixed_pool -= paid
            settled = paid >= item.amount_fen
        else:
            paid = sum(p.amount_fen for p in payments if p.kind == "royalty"
                       and p.period_start == item.period_start and p.period_end == item.period_end)
            settled = any(p.kind == "royalty" and p.period_start == item.period_start
                          and p.period_end == item.period_end for p in payments)
        status = "paid" if settled else ("outstanding" if item.due_on <= today else "upcoming")
        standings.append(Standing(item, status, paid))
    return standings


def running_royalty_fen(rate: Decimal, basis_fen: int) -> int:
    """A period's royalty on its reported basis, rounded half up to the fen."""
    if basis_fen < 0:
        raise InvalidInput("the reported basis is not negative", field="basis_fen")
    return int((rate * basis_fen).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


@dataclass(frozen=True)
class LicenceFact:
    """A licence as the report counts it."""

    institute_id: str
    kind: str
    licensee: str
    effective_on: date | None


@dataclass(frozen=True)
class PaymentFact:
    institute_id: str
    paid_on: date
    amount_fen: int


@dataclass
class YearFigures:
    institute_id: str
    year: int
    income_fen: int = 0
    payments: int = 0
    licences_by_mode: Counter[str] = field(default_factory=Counter)
    firms_reached: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, object]:
        return {"institute_id": self.institute_id, "year": self.year, "income_fen": self.income_fen,
                "payments": self.payments, "licences_by_mode": dict(sorted(self.licences_by_mode.items())),
                "licences": sum(self.licences_by_mode.values()), "firms_reached": len(self.firms_reached)}


def yearly_figures(licences: Iterable[LicenceFact], payments: Iterable[PaymentFact],
                   year: int) -> list[YearFigures]:
    """Per institute, for ``year``: income received, licences that took effect by mode, firms reached."""
    figures: dict[str, YearFigures] = {}

    def of(institute: str) -> YearFigures:
        return figures.setdefault(institute, YearFigures(institute, year))

    for licence in licences:
        if licence.effective_on is not None and licence.effective_on.year == year:
            row = of(licence.institute_id)
            row.licences_by_mode[licence.kind] += 1
            row.firms_reached.add(licence.licensee)
    for payment in payments:
        if payment.paid_on.year == year:
            row = of(payment.institute_id)
            row.income_fen += payment.amount_fen
            row.payments += 1
    return [figures[k] for k in sorted(figures)]
