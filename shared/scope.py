"""Who may read and who may manage which rows: the scopes of DESIGN §6, declared once per aggregate.

A role reaches a row through a *tie*: an officer through the row's district, an enterprise through its own USCC,
a park operator through its platforms, an institute through its own id; admins and services reach every row. An
aggregate declares, for reading and for managing, which roles it admits and through which of its columns:

    ENTERPRISES = ScopeRule(
        readers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Enterprise.district_code), ...},
        managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Enterprise.district_code), ...},
    )

The same rule answers both questions a use case asks: as a SQL condition for lists and statistics
(:meth:`ScopeRule.readable`), and as a check of one loaded row (:meth:`ScopeRule.ensure_readable` /
:meth:`ScopeRule.ensure_manageable`). A role the rule does not name reaches nothing: scopes fail closed.

Rows outside a caller's reading scope are reported as absent (404), so that callers cannot learn which records
exist; a readable row the caller may not manage is 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor, Principal, Role
from shared.errors import NotFound, PermissionDenied


class Tie(Protocol):
    """How a row is tied to a principal's claim."""

    def condition(self, principal: Principal) -> ColumnElement[bool]: ...

    def holds(self, principal: Principal, row: Any) -> bool: ...

    def refusal(self, row: Any) -> tuple[str, str | None]:
        """Why a row fails this tie, and the field that decides it (for a 403 that names both)."""
        ...


@dataclass(frozen=True)
class _Everywhere:
    """Every row (admins, services, and roles an aggregate opens entirely)."""

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return true()

    def holds(self, principal: Principal, row: Any) -> bool:
        return True

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return "", None


EVERYWHERE: Tie = _Everywhere()


def _value(row: Any, column: Any) -> Any:
    """The column's value on an ORM object, a Core row, or a mapping of values (a record about to be created)."""
    return row[column.key] if isinstance(row, Mapping) else getattr(row, column.key)


@dataclass(frozen=True)
class InDistrict:
    """An officer's rows: those of the districts in the token, or all of them for a city-wide officer (an officer
    with neither reaches none)."""

    column: Any

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return true() if principal.city_wide else self.column.in_(principal.districts)

    def holds(self, principal: Principal, row: Any) -> bool:
        return principal.city_wide or _value(row, self.column) in principal.districts

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return f"district {_value(row, self.column)} is outside this officer's scope", self.column.key


@dataclass(frozen=True)
class OwnUscc:
    """An enterprise's own rows, by its USCC."""

    column: Any

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return false() if not principal.uscc else self.column == principal.uscc

    def holds(self, principal: Principal, row: Any) -> bool:
        return principal.uscc is not None and _value(row, self.column) == principal.uscc

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return "an enterprise may act only on its own record", None


def _uuids(values: tuple[str, ...]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue  # a malformed claim reaches nothing
    return ids


@dataclass(frozen=True)
class OnPlatform:
    """A park operator's rows: those on the platforms (parks) in the token."""

    column: Any

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        ids = _uuids(principal.platform_ids)
        return self.column.in_(ids) if ids else false()

    def holds(self, principal: Principal, row: Any) -> bool:
        value = _value(row, self.column)
        return value is not None and value in _uuids(principal.platform_ids)

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return "a park operator may act only on its own platforms", self.column.key


@dataclass(frozen=True)
class OwnInstitute:
    """An institute's own rows (its patents), by the institute id in the token."""

    column: Any

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return false() if not principal.institute_id else self.column == principal.institute_id

    def holds(self, principal: Principal, row: Any) -> bool:
        return principal.institute_id is not None and _value(row, self.column) == principal.institute_id

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return "an institute may act only on its own records", self.column.key


@dataclass(frozen=True)
class InStates:
    """Rows in one of ``states`` (what an aggregate shows to every reader once it is public: a published scenario)."""

    column: Any
    states: frozenset[str]

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return self.column.in_(sorted(self.states))

    def holds(self, principal: Principal, row: Any) -> bool:
        return _value(row, self.column) in self.states

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return f"a record in state {_value(row, self.column)} is not public", self.column.key


@dataclass(frozen=True)
class IsSet:
    """Rows whose ``column`` holds a value: a mark that stays once set (a challenge ever published keeps its
    ``published_at`` however it ends; one cancelled before publication never has it)."""

    column: Any

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return self.column.is_not(None)

    def holds(self, principal: Principal, row: Any) -> bool:
        return _value(row, self.column) is not None

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return "the record is not public", self.column.key


@dataclass(frozen=True)
class Assigned:
    """A reviewer's rows: those an assignment row ties to the reviewer (the token's subject), as an officer assigned
    them. The row alone does not say who is assigned, so the tie is decided in SQL only: lists add
    :meth:`condition`, and :class:`shared.repository.Records` checks one loaded row with a query
    (:meth:`ScopeRule.check_readable`); :meth:`holds` refuses to guess."""

    column: Any  # the row's id
    assigned: Any  # the assignment's column naming the row
    reviewer: Any  # the assignment's column naming the reviewer

    in_sql = True

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return self.column.in_(select(self.assigned).where(self.reviewer == principal.subject))

    def holds(self, principal: Principal, row: Any) -> bool:
        raise TypeError("an assignment is found in SQL: check the row with ScopeRule.check_readable")

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return "a reviewer reaches only what they are assigned", None


@dataclass(frozen=True)
class AnyOf:
    """Rows reached through any of ``ties`` (an officer's district, or what is public)."""

    ties: tuple[Tie, ...]

    def condition(self, principal: Principal) -> ColumnElement[bool]:
        return or_(*(tie.condition(principal) for tie in self.ties))

    def holds(self, principal: Principal, row: Any) -> bool:
        return any(tie.holds(principal, row) for tie in self.ties)

    def refusal(self, row: Any) -> tuple[str, str | None]:
        return self.ties[0].refusal(row)


@dataclass(frozen=True)
class ScopeRule:
    """The roles that may read and manage an aggregate's rows, each through its tie. ``noun`` names the aggregate
    in refusals ("no enterprise <id>")."""

    noun: str
    readers: Mapping[Role, Tie]
    managers: Mapping[Role, Tie]

    def readable(self, actor: Actor) -> ColumnElement[bool]:
        """The SQL condition of the rows ``actor`` may read: add it to every list and count."""
        tie = self.readers.get(actor.principal.role)
        return false() if tie is None else tie.condition(actor.principal)

    def manageable(self, actor: Actor) -> ColumnElement[bool]:
        tie = self.managers.get(actor.principal.role)
        return false() if tie is None else tie.condition(actor.principal)

    def may_read(self, actor: Actor, row: Any) -> bool:
        tie = self.readers.get(actor.principal.role)
        return tie is not None and tie.holds(actor.principal, row)

    def may_manage(self, actor: Actor, row: Any) -> bool:
        tie = self.managers.get(actor.principal.role)
        return tie is not None and tie.holds(actor.principal, row)

    def ensure_readable(self, actor: Actor, row: Any, row_id: Any) -> None:
        """NotFound (not 403) for a row outside the reading scope: its existence is not revealed."""
        if not self.may_read(actor, row):
            raise NotFound(f"no {self.noun} {row_id}")

    async def check_readable(self, session: AsyncSession, actor: Actor, row: Any, row_id: Any) -> None:
        """:meth:`ensure_readable` for one loaded row, asking the database when the caller's tie is decided in SQL
        (:class:`Assigned`)."""
        tie = self.readers.get(actor.principal.role)
        if getattr(tie, "in_sql", False):
            assert tie is not None
            key = type(row).__mapper__.primary_key[0]  # the row is an ORM object: its table's (single) key
            if not await session.scalar(select(exists().where(key == row_id, tie.condition(actor.principal)))):
                raise NotFound(f"no {self.noun} {row_id}")
            return
        self.ensure_readable(actor, row, row_id)

    def ensure_manageable(self, actor: Actor, row: Any) -> None:
        """403 naming the reason and the deciding field. ``row`` may be a mapping of the values of a record about
        to be created, or of a change (a district a record moves to)."""
        tie = self.managers.get(actor.principal.role)
        if tie is None:
            raise PermissionDenied(f"role {actor.principal.role.value} may not change {self.noun} records")
        if not tie.holds(actor.principal, row):
            reason, field = tie.refusal(row)
            raise PermissionDenied(reason, field=field)


@dataclass(frozen=True)
class DistrictScope:
    """The rows a caller's numbers (or a ranking) cover: those ``rule`` lets it read, narrowed to one district when
    it asks for one. Which districts a caller reaches is the rule's tie (an officer's districts), never restated
    here; ``column`` is the district the rows count under."""

    rule: ScopeRule
    column: Any
    actor: Actor
    district_code: str | None = None

    def __post_init__(self) -> None:
        # Asking for a district outside one's reach is refused (403), not answered with empty numbers.
        if self.district_code is not None and not self.covers(self.district_code):
            tie = self.rule.readers.get(self.actor.principal.role)
            row = {self.column.key: self.district_code}
            reason = tie.refusal(row)[0] if tie is not None else f"district {self.district_code} is out of reach"
            raise PermissionDenied(reason, field="district_code")

    def covers(self, district_code: str) -> bool:
        """Whether the numbers include the rows of ``district_code``."""
        return (self.district_code in (None, district_code)
                and self.rule.may_read(self.actor, {self.column.key: district_code}))

    def apply(self, query: Select[Any]) -> Select[Any]:
        query = query.where(self.rule.readable(self.actor))
        return query if self.district_code is None else query.where(self.column == self.district_code)
