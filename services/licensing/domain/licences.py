"""Licences and transfers (许可 / 转让) of a patent: which grants may stand beside which. Pure rules.

Kinds (专利实施许可合同的类型):

* **exclusive** (独占许可): within its territory and term only the licensee exploits the patent, not even the
  holder: it blocks every other licence overlapping it in both time and territory;
* **sole** (排他许可): the licensee and the holder exploit it, nobody else: it blocks licences to *other* licensees
  overlapping it, but not the holder's own use (which is no licence);
* **ordinary** (普通许可): beside any number of other ordinary licences; blocked by an overlapping exclusive or sole
  one (to another licensee);
* **open** (开放许可下的普通许可, art. 51) and **trial** (先用后转's free trial licence) are ordinary licences for these
  rules;
* **transfer** (转让): the patent changes hands; licences already granted survive it (专利法 / 民法典 art. 868's
  reading, [M]); after it the holder grants nothing more.

An open-licence declaration in force forbids granting an exclusive or sole licence (art. 51, REFERENCE §6.1 [V]).
Two grants *overlap* when their terms share a day and their territories a region (values.Territory).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.licensing.domain.values import Term, Territory
from shared.errors import Conflict


class LicenceKind(StrEnum):
    TRANSFER = "transfer"  # 转让
    EXCLUSIVE = "exclusive"  # 独占许可
    SOLE = "sole"  # 排他许可
    ORDINARY = "ordinary"  # 普通许可
    OPEN = "open"  # 开放许可: an ordinary licence taken under the declaration (notice + payment)
    TRIAL = "trial"  # 先用后转: the free trial licence, then converted or lapsed


# The kinds a holder grants by contract (the others arise from a declaration or a trial).
NEGOTIATED = (LicenceKind.TRANSFER, LicenceKind.EXCLUSIVE, LicenceKind.SOLE, LicenceKind.ORDINARY)


class LicenceStatus(StrEnum):
    PENDING = "pending"  # open licence: notice or payment still missing
    ACTIVE = "active"
    TRIAL = "trial"  # the free trial runs
    CONVERTED = "converted"  # a trial converted (paid): the rights agreed up front now hold
    LAPSED = "lapsed"  # a trial ended without conversion
    TERMINATED = "terminated"  # ended early (rescinded, or by agreement)


# Grants that hold rights now or are about to (a pending open licence is a licensee's claim the holder must honour).
IN_FORCE = frozenset({LicenceStatus.PENDING, LicenceStatus.ACTIVE, LicenceStatus.TRIAL, LicenceStatus.CONVERTED})


def exclusivity(kind: LicenceKind) -> LicenceKind:
    """The kind as the overlap rules read it: open and trial licences are ordinary ones."""
    return LicenceKind.ORDINARY if kind in (LicenceKind.OPEN, LicenceKind.TRIAL) else kind


@dataclass(frozen=True)
class Grant:
    """A licence as the overlap rules see it."""

    kind: LicenceKind
    licensee: str  # the licensee's USCC (or name)
    territory: Territory
    term: Term
    status: LicenceStatus = LicenceStatus.ACTIVE
    id: uuid.UUID | None = None

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE

    def overlaps(self, other: Grant) -> bool:
        return self.term.overlaps(other.term) and self.territory.overlaps(other.territory)


def clash(a: Grant, b: Grant) -> bool:
    """Whether ``a`` and ``b`` cannot both stand: they overlap, and one is exclusive, or one is sole and the other
    goes to someone else. Transfers are not licences and clash with none."""
    ka, kb = exclusivity(a.kind), exclusivity(b.kind)
    if LicenceKind.TRANSFER in (ka, kb) or not a.overlaps(b):
        return False
    if LicenceKind.EXCLUSIVE in (ka, kb):
        return True
    return LicenceKind.SOLE in (ka, kb) and a.licensee != b.licensee


def blocking(new: Grant, existing: Iterable[Grant]) -> list[Grant]:
    """The grants in force that ``new`` clashes with."""
    return [g for g in existing if g.in_force and clash(new, g)]


def check_grant(new: Grant, existing: Iterable[Grant], *, open_licence_in_force: bool) -> None:
    """Refuse ``new`` (409 naming the field) when a grant in force blocks it, or when it is exclusive or sole while an
    open-licence declaration is in force."""
    kind = exclusivity(new.kind)
    if open_licence_in_force and kind in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE):
        raise Conflict(f"an open licence is declared for this patent: no {kind.value} licence may be granted while it "
                       "is in force (专利法 art. 51); withdraw the declaration first", field="kind")
    clashes = blocking(new, existing)
    if clashes:
        first = clashes[0]
        raise Conflict(
            f"a {first.kind.value} licence to {first.licensee} ({_span(first)}) overlaps this {new.kind.value} "
            f"licence in term and territory", field="term", blocking_licence_ids=[str(g.id) for g in clashes if g.id])


def exclusive_or_sole_during(existing: Iterable[Grant], term: Term) -> list[Grant]:
    """The exclusive or sole licences in force during any part of ``term`` (they block an open-licence declaration
    for that term, whatever their territory: the declaration offers the whole country)."""
    return [g for g in existing if g.in_force and exclusivity(g.kind) in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE)
            and g.term.overlaps(term)]


def _span(grant: Grant) -> str:
    end = grant.term.end.isoformat() if grant.term.end else "expiry"
    return f"{grant.term.start.isoformat()}–{end}, {'/'.join(grant.territory.regions)}"
