"""Yearly list editions (清单, published in numbered batches: 2026年第1批 …): which lists there are, how an edition is
named and numbered, and how one edition differs from the one before. Pure rules.

REFERENCE §14.1: national scenario lists are issued **in batches** ([V]); §14.3: targets change between a draft and
the final text, "version the data" ([C]). No Huzhou list format was found (§14.4, [U]), so an edition keeps every
entry as the service knew it when the edition was published: a later change to a record shows in the next edition
and in the differences between the two, never in the edition already out.

* Numbers run from 1 within a list and a year, without gaps: the service numbers an edition while holding a lock on
  (list, year), so that officers publishing at the same moment get consecutive numbers.
* An edition is published for this year or the next (a list prepared in December for January); a past year's
  list cannot be published afterwards, since its snapshot would be today's records under a past date.
* The differences are taken from the edition before it in the same list, whatever its year: the first edition of
  2027 is compared with the last of 2026. The first edition of a list has nothing to differ from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from shared.errors import InvalidInput

KEY = "id"  # every entry of an edition names its record by "id"


class ListKind(StrEnum):
    """The lists published in editions."""

    SCENARIOS = "scenarios"  # 产业链场景应用清单
    CHALLENGES = "challenges"  # 揭榜挂帅榜单
    FLAGSHIP_PARKS = "flagship_parks"  # 旗舰园区名单 (flagship platforms of the year, from the registry)


TITLES = {
    ListKind.SCENARIOS: "湖州市产业链场景应用清单",
    ListKind.CHALLENGES: "湖州市揭榜挂帅榜单",
    ListKind.FLAGSHIP_PARKS: "湖州市播种平台旗舰园区名单",
}

# The field each kind of entry is known by in a difference (its title, a park's name).
LABELS = {ListKind.SCENARIOS: "title", ListKind.CHALLENGES: "title", ListKind.FLAGSHIP_PARKS: "name"}


def list_kind(value: str) -> ListKind:
    try:
        return ListKind(value)
    except ValueError:
        raise InvalidInput(f"unknown list {value!r}; one of: {', '.join(ListKind)}", field="kind") from None


def edition_title(kind: ListKind, year: int, number: int) -> str:
    """``2026年第1批湖州市产业链场景应用清单``."""
    return f"{year}年第{number}批{TITLES[kind]}"


def check_edition_year(year: int, today: date) -> int:
    """This year or the next: a past year's list is not published after the fact."""
    if year not in (today.year, today.year + 1):
        raise InvalidInput(f"an edition is published for this year ({today.year}) or the next, not {year}",
                           field="year", years_allowed=[today.year, today.year + 1])
    return year


@dataclass(frozen=True)
class Differences:
    """What changed from the previous edition: entries added and removed (as they stood in the edition that had
    them) and entries in both whose fields changed (each field with its value before and after)."""

    added: tuple[Mapping[str, Any], ...]
    removed: tuple[Mapping[str, Any], ...]
    changed: tuple[Mapping[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed)}


def differences(previous: Sequence[Mapping[str, Any]] | None, current: Sequence[Mapping[str, Any]],
                label: str) -> Differences:
    """How ``current`` differs from ``previous`` (None: the first edition, everything is added). Entries are
    matched by their ``id``; the order of the current edition is kept, removed entries keep the previous order;
    ``label`` names the field shown with a changed entry."""
    before = {entry[KEY]: entry for entry in previous or ()}
    now = {entry[KEY]: entry for entry in current}
    if len(before) != len(previous or ()) or len(now) != len(current):
        raise ValueError("an edition lists each record once")
    added = tuple(entry for entry in current if entry[KEY] not in before)
    removed = tuple(entry for entry in previous or () if entry[KEY] not in now)
    changed = []
    for entry in current:
        old = before.get(entry[KEY])
        if old is None:
            continue
        fields = {name: {"from": old.get(name), "to": entry.get(name)}
                  for name in sorted(old.keys() | entry.keys()) if old.get(name) != entry.get(name)}
        if fields:
            changed.append({KEY: entry[KEY], label: entry.get(label), "fields": fields})
    return Differences(added, removed, tuple(changed))
