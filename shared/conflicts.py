"""The conflict-of-interest rule of expert review (回避), shared by every service whose experts review firms'
applications (scenarios' challenges, funding's programmes): a reviewer whose own organisation is a party to an
application, or who declared a tie with one (a shareholding, employment, an office), is kept off it, and every tie
found is named. Pure: the declarations as a service keeps them are ``shared.reviewers``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Conflict, InvalidInput


class TieKind(StrEnum):
    """A tie a reviewer declares with an organisation."""

    SHAREHOLDER = "shareholder"  # 持股
    EMPLOYMENT = "employment"  # 任职 / 雇佣 (now or recently: the declaration says)
    OFFICER = "officer"  # 董事、监事、高级管理人员


SAME_ORGANISATION = "same_organisation"  # the reviewer's own organisation is the party


def uscc_key(uscc: str) -> str:
    # Compared as codes are written on certificates: spaces and case are not part of a USCC.
    return uscc.strip().upper()


@dataclass(frozen=True)
class DeclaredTie:
    uscc: str
    kind: TieKind

    def __post_init__(self) -> None:
        object.__setattr__(self, "uscc", uscc_key(self.uscc))
        try:
            object.__setattr__(self, "kind", TieKind(self.kind))
        except ValueError:
            raise InvalidInput(f"unknown tie {self.kind!r}; one of: {', '.join(TieKind)}", field="kind") from None


@dataclass(frozen=True)
class Reviewer:
    """A reviewer as the conflict rule sees them: their organisation's USCC (None for an independent expert) and
    the ties they declared."""

    reviewer_id: str
    organisation_uscc: str | None = None
    ties: tuple[DeclaredTie, ...] = ()

    def __post_init__(self) -> None:
        if self.organisation_uscc is not None:
            object.__setattr__(self, "organisation_uscc", uscc_key(self.organisation_uscc))
        object.__setattr__(self, "ties", tuple(self.ties))


@dataclass(frozen=True)
class FoundTie:
    """A tie between a reviewer and a party to an application."""

    uscc: str
    party: str  # "applicant" or "partner"
    kind: str  # a TieKind, or SAME_ORGANISATION


def ties_between(reviewer: Reviewer, applicant_uscc: str, partner_usccs: Iterable[str] = ()) -> tuple[FoundTie, ...]:
    """Every tie of the reviewer with the applicant or any partner, applicant first."""
    parties = [(uscc_key(applicant_uscc), "applicant"), *((uscc_key(p), "partner") for p in partner_usccs)]
    found: list[FoundTie] = []
    for uscc, party in parties:
        if reviewer.organisation_uscc == uscc:
            found.append(FoundTie(uscc, party, SAME_ORGANISATION))
        found.extend(FoundTie(uscc, party, tie.kind.value) for tie in reviewer.ties if tie.uscc == uscc)
    return tuple(found)


class ConflictOfInterest(Conflict):
    title = "Conflict of interest"


def check_assignment(reviewer: Reviewer, applicant_uscc: str, partner_usccs: Iterable[str] = ()) -> None:
    """Refuse a reviewer tied to the applicant or a partner (回避), naming every tie (409 ``ties``)."""
    found = ties_between(reviewer, applicant_uscc, partner_usccs)
    if found:
        listed = "; ".join(f"{t.kind} with the {t.party} {t.uscc}" for t in found)
        raise ConflictOfInterest(f"reviewer {reviewer.reviewer_id} must recuse: {listed}", field="reviewer_id",
                                 ties=[{"uscc": t.uscc, "party": t.party, "kind": t.kind} for t in found])
