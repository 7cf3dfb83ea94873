"""Trial-then-transfer (先用后转, Zhejiang, REFERENCE §6.2 [C]): a free trial licence whose conversion is agreed up
front, then a paid conversion or a lapse. Pure rules.

The holder and the firm agree before the trial the **conversion mode** (转让 transfer, 许可 licence, 作价投资 equity)
and the **price or the formula** that sets it; the firm uses the result free of charge during the **trial period**
(its length is the contract's: no statutory default was found, [U], so :class:`TrialPolicy` bounds it only when
told to), optionally insured (先用后转保险, a policy number). Reminders go out a configurable number of days before
the trial ends. Then::

    trial ──convert (paid, on or before the last day)──▶ converted
      └────lapse (the day after the last day)──────────▶ lapsed

A trial whose last day has passed has lapsed, whether or not the lapse job has recorded it yet: a conversion after
it is refused (409), and the parties agree a new trial or a plain licence instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.licensing.domain.licences import LicenceStatus
from services.licensing.domain.values import Term, optional_line
from shared.errors import Conflict, InvalidInput


class ConversionMode(StrEnum):
    TRANSFER = "transfer"  # 转让
    LICENCE = "licence"  # 许可
    EQUITY = "equity"  # 作价投资 / 作价入股


@dataclass(frozen=True)
class TrialPolicy:
    reminder_days: int = 14  # how long before the last day the reminder goes out [U]: the programme's choice
    max_trial_days: int | None = None  # no statutory limit found ([U]); set one to bound trials


DEFAULT_TRIAL_POLICY = TrialPolicy()


@dataclass(frozen=True)
class TrialTerms:
    conversion_mode: ConversionMode
    trial: Term  # the free trial period; it must end
    price_fen: int | None = None  # the agreed conversion price
    price_formula: str | None = None  # or the formula that sets it (e.g. 3% of the first two years' sales)
    insurance_policy_no: str | None = None

    def __post_init__(self) -> None:
        if self.trial.end is None:
            raise InvalidInput("a free trial has a last day", field="trial_end")
        if self.price_fen is None and not optional_line(self.price_formula):
            raise InvalidInput("the conversion price or its formula is agreed before the trial", field="price_fen")
        if self.price_fen is not None and self.price_fen <= 0:
            raise InvalidInput("a conversion price is above 0 fen", field="price_fen")

    def check(self, policy: TrialPolicy = DEFAULT_TRIAL_POLICY) -> None:
        assert self.trial.end is not None
        days = (self.trial.end - self.trial.start).days + 1
        if policy.max_trial_days is not None and days > policy.max_trial_days:
            raise InvalidInput(f"a trial of {days} days is longer than the {policy.max_trial_days} days allowed",
                               field="trial_end")


def lapses_on(trial_end: date) -> date:
    return trial_end + timedelta(days=1)


def check_convertible(status: LicenceStatus, trial_end: date, today: date, *, price_fen: int | None,
                      paid_fen: int) -> None:
    """A conversion is made during the trial (its last day included), paying at least the agreed price (or, with a
    formula, an amount the parties worked out: above 0)."""
    if status is LicenceStatus.LAPSED or (status is LicenceStatus.TRIAL and today > trial_end):
        raise Conflict(f"the trial lapsed on {lapses_on(trial_end)}: it can no longer be converted; agree a new "
                       "trial or a licence instead", field="status", lapsed_on=lapses_on(trial_end).isoformat())
    if status is not LicenceStatus.TRIAL:
        raise Conflict(f"the licence is {status.value}, not in its trial", field="status")
    if price_fen is not None and paid_fen < price_fen:
        raise InvalidInput(f"the conversion pays the agreed price of {price_fen} fen (got {paid_fen})",
                           field="amount_fen")
    if paid_fen <= 0:
        raise InvalidInput("a conversion is paid", field="amount_fen")


def reminder_due(status: LicenceStatus, trial_end: date, reminded_on: date | None, today: date,
                 policy: TrialPolicy = DEFAULT_TRIAL_POLICY) -> bool:
    """Whether the trial-ending reminder goes out today: within ``reminder_days`` of the last day, once."""
    return (status is LicenceStatus.TRIAL and reminded_on is None
            and trial_end - timedelta(days=policy.reminder_days) <= today <= trial_end)


def lapse_due(status: LicenceStatus, trial_end: date, today: date) -> bool:
    return status is LicenceStatus.TRIAL and today > trial_end
