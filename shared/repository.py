"""Loading an aggregate's rows by the caller's scope, and for change under the right guard.

Every service declares one :class:`Records` per aggregate (its model and its :class:`shared.scope.ScopeRule`) and
loads through it, so that no use case reads a row outside the caller's scope or changes one without its guards:

- :meth:`Records.get` — the row if the caller may read it; NotFound otherwise (existence is not revealed).
- :meth:`Records.get_for_change` — the row read under ``FOR UPDATE`` on PostgreSQL (SQLite: under its write lock),
  held to the end of the transaction, once the caller may manage it and its If-Match names the current version (428 without, 412 when
  stale). The version-checked UPDATE of :class:`shared.db.Versioned` guards the rest of the way on every backend.
- :meth:`Records.select` — a select of the readable rows, for lists (with :func:`shared.pagination.paginate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.db import hold_write_lock
from shared.errors import NotFound, PreconditionFailed
from shared.http import check_if_match
from shared.scope import ScopeRule

T = TypeVar("T")


def refuse_version_of_absent(if_match: str | None, absent: str) -> None:
    """A first write of a record may come without If-Match, or with ``*``; one naming a version of what does not
    exist yet is stale (412)."""
    if if_match is not None and if_match.strip() != "*":
        raise PreconditionFailed(f"{absent}; If-Match names a version that does not exist")


def apply_changes(row: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Set the columns whose value differs and move the row's version (its ETag) once; the changed columns as
    ``{name: {"from": old, "to": new}}`` (the audit entry's shape), empty (and no new version) when nothing
    differs."""
    changed = {}
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            changed[name] = {"from": before, "to": value}
            setattr(row, name, value)
    if changed:
        row.version += 1
    return changed


# get_for_change's If-Match when the route takes none (the change is guarded by the state the row must be in).
_NOT_GIVEN = object()


@dataclass(frozen=True)
class Records(Generic[T]):
    """An aggregate's rows as one caller may see and change them."""

    model: type[T]
    scope: ScopeRule

    def select(self, actor: Actor) -> Select[tuple[T]]:
        return select(self.model).where(self.scope.readable(actor))

    async def get(self, session: AsyncSession, actor: Actor, row_id: Any) -> T:
        row = await session.get(self.model, row_id)
        if row is None:
            raise NotFound(f"no {self.scope.noun} {row_id}")
        await self.scope.check_readable(session, actor, row, row_id)
        return row

    async def get_for_change(self, session: AsyncSession, actor: Actor, row_id: Any, *,
                             if_match: str | None | object = _NOT_GIVEN, optional_if_match: bool = False) -> T:
        """The row, locked, for a change by ``actor``. ``if_match``: the header as sent (checked against the
        row's version; None is 428 unless ``optional_if_match``); leave it out where the change is guarded by
        other means (a state the row must be in)."""
        # PostgreSQL locks the row; SQLite ignores that, and takes its database-wide write lock here instead, so that
        # on both the checks a use case makes next are not overtaken before it commits. FOR NO KEY UPDATE, the lock
        # PostgreSQL's own UPDATE takes when it changes no key: it excludes every other change of the row as FOR
        # UPDATE does, but not the KEY SHARE lock that another transaction's insert of a row referring to this one
        # takes for its foreign key check, so that insert neither waits for this change nor closes a lock cycle with
        # it (e.g. a flag naming an award that a payment holding the award waits to pay).
        await hold_write_lock(session, self.model.__table__)  # type: ignore[attr-defined]
        # populate_existing: a row this session read before is refreshed from the locked read, never stale.
        row = await session.get(self.model, row_id, with_for_update={"key_share": True}, populate_existing=True)
        if row is None:
            raise NotFound(f"no {self.scope.noun} {row_id}")
        await self.scope.check_readable(session, actor, row, row_id)
        self.scope.ensure_manageable(actor, row)
        if if_match is not _NOT_GIVEN and not (optional_if_match and if_match is None):
            check_if_match(if_match, row.version)  # type: ignore[arg-type, attr-defined]
        return row
