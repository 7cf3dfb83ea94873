"""The unit of work: one transaction of a use case, with the events and audit entries it records (DESIGN §4.2–4.3).

A use case opens one, changes rows through its session, and records what happened; the unit of work writes the
outbox and audit rows at commit, in the same transaction, so that a change, its events and its audit entry commit
together or not at all:

    async with work(actor) as uow:
        enterprise = await ENTERPRISES.get_for_change(uow.session, actor, enterprise_id, if_match=if_match)
        enterprise.name = "…"
        uow.emit(EnterpriseUpdated(...), subject=str(enterprise.id))
        uow.audit("enterprise.update", "enterprise", str(enterprise.id), changes)

What cannot be left to each use case is done here, once:

- **A change without an audit entry fails** at commit (a programming error, caught by every test that writes).
- **Lost updates become 412.** Versioned rows (:class:`shared.db.Versioned`) are updated ``WHERE version = <the
  version read>``; a concurrent writer that got there first makes the flush find no row, and the use case answers
  412 instead of silently overwriting (on SQLite, where ``FOR UPDATE`` means nothing, this is the only guard).
- **A race for a unique slot becomes 409.** An IntegrityError on a unique constraint or index (or a PostgreSQL
  exclusion constraint: two overlapping bookings) becomes a Conflict naming the field; the message comes from the
  constraint's ``info={"conflict": (field, message)}`` where the model declares one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, UniqueConstraint, event, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.exc import StaleDataError

from shared.bus.outbox import audit_row, event_row, insert_rows
from shared.bus.tables import BusTables
from shared.db import LOCK_ONLY, hold_write_lock, is_postgres
from shared.errors import Conflict, PreconditionFailed

if TYPE_CHECKING:
    from shared.auth import Actor
    from shared.events.envelope import CloudEvent, EventPayload
    from shared.settings import ServiceSettings


class UnauditedChange(RuntimeError):
    """A unit of work changed rows but recorded no audit entry: a bug in the use case, never the caller's fault."""


# --- unique slots -------------------------------------------------------------------------------------------------

@cache
def _unique_slots(metadata: MetaData) -> dict[str, tuple[str, str]]:
    """Constraint or index name, and "table(col, col)", → (field, message) of every unique constraint and index
    (a column's ``unique=True`` is a UniqueConstraint too)."""
    slots: dict[str, tuple[str, str]] = {}
    for table in metadata.tables.values():
        uniques: list[Any] = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        uniques += [i for i in table.indexes if i.unique]
        uniques.append(table.primary_key)  # natural keys (a year and a district, a version) are slots too
        for exclusion in (c for c in table.constraints if isinstance(c, ExcludeConstraint)):
            # A PostgreSQL exclusion constraint (no two bookings of one resource overlap) is a slot named only by
            # its words: its "columns" are expressions.
            if isinstance(exclusion.name, str):
                slots[exclusion.name] = exclusion.info.get("conflict") or ("", "this overlaps an existing record")
        for unique in uniques:
            names = [c.name for c in unique.columns]
            # The words: the constraint's own, or its one column's (``mapped_column(unique=True, info=...)``).
            declared = unique.info.get("conflict") or (len(names) == 1 and list(unique.columns)[0].info.get("conflict"))
            slot = declared or (
                names[-1], f"a record with this {' and '.join(n.replace('_', ' ') for n in names)} already exists")
            slots[f"{table.name}({', '.join(names)})"] = slot
            if isinstance(unique.name, str):
                slots[unique.name] = slot
    return slots


_UNIQUE_VIOLATION, _EXCLUSION_VIOLATION = "23505", "23P01"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


def conflict_of(error: IntegrityError, metadata: MetaData) -> Conflict | None:
    """The 409 for a unique violation (PostgreSQL names the constraint; SQLite names table.columns); None for
    other integrity errors (a foreign key, a NOT NULL), which are bugs or input the use case should have checked."""
    slots = _unique_slots(metadata)
    original = error.orig
    constraint = getattr(getattr(original, "__cause__", None), "constraint_name", None) or getattr(
        original, "constraint_name", None)
    sqlstate = getattr(getattr(original, "__cause__", None), "sqlstate", None) or getattr(original, "sqlstate", None)
    slot = None
    if constraint is not None and sqlstate in (_UNIQUE_VIOLATION, _EXCLUSION_VIOLATION):
        slot = slots.get(constraint, ("", "this record already exists"))
    else:
        match = _SQLITE_UNIQUE.search(str(original))
        if match:
            parts = [p.strip() for p in match.group(1).split(",")]
            table = parts[0].split(".")[0]
            key = f"{table}({', '.join(p.split('.')[-1] for p in parts)})"
            slot = slots.get(key, (parts[-1].split(".")[-1], "this record already exists"))
    if slot is None:
        return None
    field, message = slot
    return Conflict(message, field=field or None)


@contextmanager
def translated_errors(metadata: MetaData) -> Iterator[None]:
    """Database refusals that are answers, not faults: a lost race on a version (412) or a unique slot (409)."""
    try:
        yield
    except StaleDataError:
        raise PreconditionFailed("the record was changed by another request while this one changed it; read it "
                                 "again and retry") from None
    except IntegrityError as error:
        conflict = conflict_of(error, metadata)
        if conflict is None:
            raise
        raise conflict from None


# --- the unit of work --------------------------------------------------------------------------------------------

class UnitOfWork:
    """One use case's transaction. Use through :class:`Work` (``async with work(actor) as uow``)."""

    def __init__(self, work: Work, actor: Actor | None, *, system_actor: str = "system",
                 caused_by: CloudEvent | None = None, audited: bool = True) -> None:
        self.work = work
        self.actor = actor
        self.system_actor = system_actor
        # The event a consumer is applying: what this unit emits is caused by it and shares its correlation.
        self.caused_by = caused_by
        # A read model kept from another service's events copies changes audited at their source: no entry here.
        self.audited = audited
        self.session: AsyncSession = work.sessions()
        self._events: list[dict[str, Any]] = []
        self._audits: list[dict[str, Any]] = []
        self._changed_rows = False

    @property
    def settings(self) -> ServiceSettings:
        return self.work.settings

    async def __aenter__(self) -> UnitOfWork:
        await self.session.begin()
        event.listen(self.session.sync_session, "before_flush", self._note_changes)
        event.listen(self.session.sync_session, "do_orm_execute", self._note_statement)
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            if exc is not None:
                await self.session.rollback()
                if isinstance(exc, StaleDataError):
                    # A row this unit read changed before it read it again under its lock (a populate_existing
                    # reload): the same lost race as at flush, answered the same way, not as a fault.
                    raise PreconditionFailed("the record was changed by another request while this one read it; "
                                             "read it again and retry") from None
                return
            await self.commit()
        finally:
            event.remove(self.session.sync_session, "before_flush", self._note_changes)
            event.remove(self.session.sync_session, "do_orm_execute", self._note_statement)
            await self.session.close()

    def _note_changes(self, session: Session, _context: Any, _instances: Any) -> None:
        if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
            self._changed_rows = True

    def _note_statement(self, state: ORMExecuteState) -> None:
        """Bulk writes (Core INSERT/UPDATE/DELETE through the session) count as changes too; the bus's own rows
        and a statement that only takes a lock do not."""
        if not (state.is_insert or state.is_update or state.is_delete) or state.execution_options.get(LOCK_ONLY):
            return
        table = getattr(state.statement, "table", None)
        if table is None or table.name not in self.work.bus_table_names:
            self._changed_rows = True

    # What a use case records ------------------------------------------------------------------------------------

    def emit(self, payload: EventPayload, *, subject: str, causation_id: str | None = None) -> None:
        """An event of this change, published by the relay once the transaction commits."""
        cause = self.caused_by
        self._events.append(event_row(
            self.settings, payload, subject=subject, actor=self.actor,
            causation_id=causation_id or (cause.id if cause else None),
            correlation_id=cause.correlation_id if cause else None))

    def audit(self, action: str, entity_type: str, entity_id: str, changes: dict[str, Any]) -> None:
        """The audit entry of this change: who (the unit's actor, or the system), when, what, from which request."""
        self._audits.append(audit_row(self.actor, action=action, entity_type=entity_type, entity_id=entity_id,
                                      changes=changes, system_actor=self.system_actor))

    def audit_rows(self, rows: list[dict[str, Any]]) -> None:
        """Audit rows made elsewhere with :func:`shared.bus.outbox.audit_row` (bulk use cases)."""
        self._audits.extend(rows)

    def event_rows(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows made elsewhere with :func:`shared.bus.outbox.event_row` (bulk use cases)."""
        self._events.extend(rows)

    async def lock(self, *name: object) -> None:
        """Hold a lock named by ``name`` (e.g. ``"pool_quotas", 2026``) until this unit of work ends: for an
        invariant over a set of rows that no single row, version or unique key can hold (a year's quotas replaced
        as a whole). Concurrent units of work taking the same name run one after the other.

        PostgreSQL: a transaction-level advisory lock on a stable 64-bit hash of the name. SQLite: the database's
        one write lock, taken now rather than at the first write (a write that matches no row takes it), so that
        what this unit reads next is what it will write over."""
        if is_postgres(self.session):
            digest = hashlib.blake2b(repr(name).encode(), digest_size=8).digest()
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": int.from_bytes(digest, "big", signed=True)})
        else:
            await hold_write_lock(self.session, self.work.tables.outbox)

    # The transaction -------------------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write pending changes now (to read generated values, or to learn of a lost race before going on)."""
        with translated_errors(self.work.metadata):
            await self.session.flush()

    async def commit(self) -> None:
        tables = self.work.tables
        with translated_errors(self.work.metadata):
            await self.session.flush()
            if self.audited and self._changed_rows and not self._audits:
                raise UnauditedChange("this unit of work changed rows but recorded no audit entry")
            await insert_rows(self.session, tables.outbox, self._events)
            await insert_rows(self.session, tables.audit_log, self._audits)
            await self.session.commit()
        self._events, self._audits = [], []


class Work:
    """Where a service's units of work come from: its sessions, settings, bus tables and metadata. The app keeps
    one (``shared.app.WorkOf``); workers and jobs make their own."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: ServiceSettings, tables: BusTables,
                 metadata: MetaData) -> None:
        self.sessions = sessions
        self.settings = settings
        self.tables = tables
        self.metadata = metadata
        self.bus_table_names = frozenset(t.name for t in vars(tables).values())

    def __call__(self, actor: Actor | None, *, system_actor: str = "system", caused_by: CloudEvent | None = None,
                 audited: bool = True) -> UnitOfWork:
        """A unit of work for ``actor`` (None: a job or consumer acting on its own, audited as ``system_actor``;
        ``caused_by``: the event a consumer applies)."""
        return UnitOfWork(self, actor, system_actor=system_actor, caused_by=caused_by, audited=audited)
