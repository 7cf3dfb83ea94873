"""Held tiers (认定): the certification's life and its validity period. Pure rules: no I/O.

A certification is ``active`` from the moment an officer records it until it ends, once, in one of three ways:
``expired`` (its validity period passed), ``revoked`` (撤销, an officer's decision with a reason) or
``superseded`` (a newer certificate of the same tier renewed it). An ended certification never changes again.
At most one certification of a tier is active for an enterprise at a time (the database holds that too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.registry.domain.dates import add_years


class CertificationStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


# The only transitions there are: an active certification ends; an ended one stays as it ended.
ENDINGS = frozenset({CertificationStatus.EXPIRED, CertificationStatus.REVOKED, CertificationStatus.SUPERSEDED})


class CertificationTransitionError(ValueError):
    """A transition the life of a certification does not have (e.g. revoking an expired one)."""


@dataclass(frozen=True)
class Ending:
    """How an active certification ends: its new status, the day it ended on, and why."""

    status: CertificationStatus
    ended_on: date
    reason: str


def end(current: str, ending: Ending) -> Ending:
    """``ending`` if a certification in status ``current`` may end that way; CertificationTransitionError naming
    the allowed transitions otherwise."""
    if ending.status not in ENDINGS:
        raise CertificationTransitionError(f"{ending.status} is not an ending of a certification")
    if current != CertificationStatus.ACTIVE:
        raise CertificationTransitionError(
            f"the certification is {current}; only an active one can become {ending.status} "
            f"(an active certification may become: {', '.join(sorted(ENDINGS))})")
    return ending


def revocation(today: date, reason: str) -> Ending:
    return Ending(CertificationStatus.REVOKED, today, reason)


def expiry(valid_until: date) -> Ending:
    """Validity is inclusive of ``valid_until``: the certification ends the day after."""
    return Ending(CertificationStatus.EXPIRED, valid_until + timedelta(days=1), "validity period ended")


def renewal(valid_from: date, certificate_no: str) -> Ending:
    return Ending(CertificationStatus.SUPERSEDED, valid_from, f"renewed by certificate {certificate_no}")


class InvalidValidity(ValueError):
    """A validity period that cannot be recorded; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def validity(valid_from: date | None, valid_until: date | None, today: date, validity_years: int) -> tuple[date, date]:
    """The period a new certificate is recorded with: from ``valid_from`` (default today) to ``valid_until``
    (default ``validity_years`` later, the day before the anniversary). Refused: an end before the start, or a
    period already over (only certificates still in force are recorded)."""
    start = valid_from or today
    until = valid_until or add_years(start, validity_years) - timedelta(days=1)
    if until < start:
        raise InvalidValidity("valid_until is before valid_from", "valid_until")
    if until < today:
        raise InvalidValidity("the validity is already over; record only certificates still in force", "valid_until")
    return start, until
