"""The service kit itself (shared/uow.py, repository.py, scope.py, pagination.py, db.Versioned), on PostgreSQL and on
SQLite, with a small model of its own and the real bus tables: what every service relies on when it converts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, Uuid, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.auth import Actor, Principal, Role
from shared.bus.tables import bus_tables
from shared.db import UTCDateTime, Versioned, create_engine, new_metadata, session_factory
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from shared.events.envelope import CloudEvent, EventPayload
from shared.http import cursor_datetime, cursor_int, encode_cursor
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, Assigned, InDistrict, OnPlatform, OwnUscc, ScopeRule
from shared.uow import UnauditedChange, Work
from tests.support import DB_SUFFIX, PG_SERVER, ensure_database, settings_for


class Base(DeclarativeBase):
    metadata = new_metadata()


BUS = bus_tables(Base.metadata)
SERIAL_TAKEN = "this serial number is already registered"
LABEL_TAKEN = "this label is taken"


class Gadget(Versioned, Base):
    """A record other callers change too, with three kinds of unique slot: a column's ``unique=True``, a named
    constraint that says what to tell the caller, and a unique index that does."""

    __tablename__ = "kit_gadgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    serial: Mapped[str | None] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(20))
    district_code: Mapped[str] = mapped_column(String(6), default="330502")
    uscc: Mapped[str | None] = mapped_column(String(18))
    platform_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))

    __table_args__ = (
        UniqueConstraint("serial", name="uq_kit_gadgets_serial", info={"conflict": ("serial", SERIAL_TAKEN)}),
        Index("ix_kit_gadgets_label", "label", unique=True, info={"conflict": ("label", LABEL_TAKEN)}),
    )


class GadgetAssignment(Base):
    """A reviewer assigned a gadget (the Assigned tie's table)."""

    __tablename__ = "kit_gadget_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gadget_id: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(200))


class GadgetNote(Base):
    """A row that refers to a gadget (a foreign key), as a flag refers to an award."""

    __tablename__ = "kit_gadget_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gadget_id: Mapped[int] = mapped_column(Integer, ForeignKey("kit_gadgets.id"))


class GadgetRenamed(EventPayload):
    event_type: ClassVar[str] = "seedbed.kit.gadget.renamed.v1"
    topic: ClassVar[str] = "seedbed.kit.gadget"

    gadget_id: int
    name: str


OFFICER = Actor(Principal("officer-kit", Role.OFFICER, districts=("330502",)), "req-kit")


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
async def work(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Work]:
    """Units of work on a fresh database holding the kit's model and the real bus tables."""
    if request.param == "postgres":
        name = f"seedbed_test_kit{DB_SUFFIX}"
        try:
            await ensure_database(PG_SERVER, name)
        except OSError as exc:
            pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER} ({exc}); run the suite with `make test`")
        url = f"{PG_SERVER}/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'kit.db'}"
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    try:
        yield Work(session_factory(engine), settings_for("registry", url), BUS, Base.metadata)
    finally:
        await engine.dispose()


async def count(work: Work, table: Any, *where: Any) -> int:
    """Rows committed, read by a session of its own."""
    async with work.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def stored(work: Work, gadget_id: int) -> Gadget | None:
    async with work.sessions() as session:
        return await session.get(Gadget, gadget_id)


async def audits(work: Work, action: str) -> list[dict[str, Any]]:
    async with work.sessions() as session:
        rows = await session.execute(select(BUS.audit_log).where(BUS.audit_log.c.action == action)
                                     .order_by(BUS.audit_log.c.id))
        return [dict(r._mapping) for r in rows]


async def make(work: Work, *gadgets: Gadget) -> None:
    async with work(OFFICER) as uow:
        uow.session.add_all(gadgets)
        uow.audit("gadget.make", "gadget", ",".join(str(g.id) for g in gadgets), {"count": len(gadgets)})


# --- a lost version race is 412 ------------------------------------------------------------------------------------

async def test_two_units_changing_the_same_read_version_one_commits_the_other_is_412(work: Work) -> None:
    await make(work, Gadget(id=1, name="original"))
    both_read = asyncio.Barrier(2)

    async def rename(name: str) -> str:
        async with work(OFFICER) as uow:
            gadget = await uow.session.get(Gadget, 1)
            assert gadget is not None and gadget.version == 1
            await both_read.wait()  # each read version 1 before either writes
            changes = apply_changes(gadget, {"name": name})
            uow.audit("gadget.rename", "gadget", "1", changes)
            uow.emit(GadgetRenamed(gadget_id=1, name=name), subject="1")
        return name

    outcomes = await asyncio.gather(rename("first"), rename("second"), return_exceptions=True)

    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1 and [type(o) for o in outcomes if not isinstance(o, str)] == [PreconditionFailed], outcomes
    gadget = await stored(work, 1)
    assert gadget is not None and (gadget.name, gadget.version) == (winners[0], 2)
    assert [a["changes"] for a in await audits(work, "gadget.rename")] == [
        {"name": {"from": "original", "to": winners[0]}}]
    assert await count(work, BUS.outbox, BUS.outbox.c.event_type == GadgetRenamed.event_type) == 1


async def test_apply_changes_moves_the_version_once_and_not_for_the_same_values(work: Work) -> None:
    await make(work, Gadget(id=1, name="original", code="G-1"))
    async with work(OFFICER) as uow:
        gadget = await uow.session.get(Gadget, 1)
        assert apply_changes(gadget, {"name": "original", "code": "G-1"}) == {}
        assert gadget.version == 1
        # Nothing changed: no audit entry is owed.
    async with work(OFFICER) as uow:
        gadget = await uow.session.get(Gadget, 1)
        changes = apply_changes(gadget, {"name": "renamed", "code": "G-2"})
        assert changes == {"name": {"from": "original", "to": "renamed"}, "code": {"from": "G-1", "to": "G-2"}}
        uow.audit("gadget.rename", "gadget", "1", changes)
    gadget = await stored(work, 1)
    assert gadget is not None and (gadget.name, gadget.code, gadget.version) == ("renamed", "G-2", 2)


# --- a taken unique slot is 409 naming the field -------------------------------------------------------------------

@pytest.mark.parametrize(("values", "field", "message"), [
    ({"code": "G-1"}, "code", None),  # a column's unique=True: the kit's own words, naming the column
    ({"serial": "S-1"}, "serial", SERIAL_TAKEN),  # a constraint's info={"conflict": (field, message)}
    ({"label": "L-1"}, "label", LABEL_TAKEN),  # a unique index's info
    ({"id": 1}, "id", None),  # the primary key is a slot too
])
async def test_a_unique_violation_is_a_conflict_naming_the_field(
        work: Work, values: dict[str, Any], field: str, message: str | None) -> None:
    await make(work, Gadget(id=1, name="first", code="G-1", serial="S-1", label="L-1"))
    with pytest.raises(Conflict) as refused:
        async with work(OFFICER) as uow:
            uow.session.add(Gadget(**{"id": 2, "name": "second", **values}))
            uow.audit("gadget.make", "gadget", "2", values)
            uow.emit(GadgetRenamed(gadget_id=2, name="second"), subject="2")
    assert refused.value.field == field
    if message is None:
        assert field.replace("_", " ") in refused.value.detail
    else:
        assert refused.value.detail == message
    assert await count(work, Gadget.__table__) == 1
    assert await count(work, BUS.outbox) == 0
    assert await count(work, BUS.audit_log) == 1  # the first gadget's only


async def test_two_units_racing_for_one_unique_slot_one_commits_the_other_is_409(work: Work) -> None:
    both_added = asyncio.Barrier(2)

    async def register(gadget_id: int) -> int:
        async with work(OFFICER) as uow:
            await both_added.wait()
            uow.session.add(Gadget(id=gadget_id, name=f"gadget {gadget_id}", serial="S-RACE"))
            uow.audit("gadget.make", "gadget", str(gadget_id), {"serial": "S-RACE"})
        return gadget_id

    outcomes = await asyncio.gather(register(1), register(2), return_exceptions=True)

    winners = [o for o in outcomes if isinstance(o, int)]
    refusals = [o for o in outcomes if not isinstance(o, int)]
    assert len(winners) == 1 and [type(r) for r in refusals] == [Conflict], outcomes
    assert (refusals[0].field, refusals[0].detail) == ("serial", SERIAL_TAKEN)  # type: ignore[union-attr]
    assert await count(work, Gadget.__table__) == 1 and await count(work, BUS.audit_log) == 1


async def test_other_integrity_errors_are_not_conflicts(work: Work) -> None:
    with pytest.raises(IntegrityError):
        async with work(OFFICER) as uow:
            uow.session.add(Gadget(id=1, name=None))  # NOT NULL: a bug, not an answer
            uow.audit("gadget.make", "gadget", "1", {})
    assert await count(work, Gadget.__table__) == 0


# --- a change without an audit entry is refused ---------------------------------------------------------------------

async def test_a_new_row_without_an_audit_entry_raises_and_writes_nothing(work: Work) -> None:
    with pytest.raises(UnauditedChange):
        async with work(OFFICER) as uow:
            uow.session.add(Gadget(id=1, name="unaudited"))
            uow.emit(GadgetRenamed(gadget_id=1, name="unaudited"), subject="1")
    assert await count(work, Gadget.__table__) == 0
    assert await count(work, BUS.outbox) == 0 and await count(work, BUS.audit_log) == 0


async def test_a_changed_row_without_an_audit_entry_raises_and_changes_nothing(work: Work) -> None:
    await make(work, Gadget(id=1, name="original"))
    with pytest.raises(UnauditedChange):
        async with work(OFFICER) as uow:
            gadget = await uow.session.get(Gadget, 1)
            apply_changes(gadget, {"name": "unaudited"})
    with pytest.raises(UnauditedChange):
        async with work(OFFICER) as uow:
            await uow.session.execute(update(Gadget).where(Gadget.id == 1).values(name="bulk"))
    with pytest.raises(UnauditedChange):
        async with work(OFFICER) as uow:
            await uow.session.delete(await uow.session.get(Gadget, 1))
    gadget = await stored(work, 1)
    assert gadget is not None and (gadget.name, gadget.version) == ("original", 1)
    assert await count(work, BUS.audit_log) == 1 and await count(work, BUS.outbox) == 0


async def test_a_unit_that_only_reads_needs_no_audit_entry(work: Work) -> None:
    await make(work, Gadget(id=1, name="original"))
    async with work(OFFICER) as uow:
        assert (await uow.session.get(Gadget, 1)) is not None
    assert await count(work, BUS.audit_log) == 1


# --- events and audit entries are written at commit, and only then ------------------------------------------------

async def test_events_and_audit_entries_are_written_at_commit(work: Work) -> None:
    async with work(OFFICER) as uow:
        uow.session.add(Gadget(id=1, name="made"))
        uow.emit(GadgetRenamed(gadget_id=1, name="made"), subject="1")
        uow.audit("gadget.make", "gadget", "1", {"name": "made"})
        await uow.flush()
        # Before the commit nothing of them is in the transaction: a use case that fails later leaves none.
        assert await uow.session.scalar(select(func.count()).select_from(BUS.outbox)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(BUS.audit_log)) == 0
    async with work.sessions() as session:
        (event,) = (await session.execute(select(BUS.outbox))).all()
        (entry,) = (await session.execute(select(BUS.audit_log))).all()
    assert (event.event_type, event.key, event.topic) == (GadgetRenamed.event_type, "1", work.settings.topic("seedbed.kit.gadget"))
    assert (entry.actor, entry.actor_role, entry.action, entry.entity_id, entry.request_id) == (
        "officer-kit", "officer", "gadget.make", "1", "req-kit")
    assert entry.changes == {"name": "made"}


async def test_nothing_is_written_when_the_unit_of_work_raises(work: Work) -> None:
    with pytest.raises(RuntimeError, match="the use case failed"):
        async with work(OFFICER) as uow:
            uow.session.add(Gadget(id=1, name="made"))
            uow.emit(GadgetRenamed(gadget_id=1, name="made"), subject="1")
            uow.audit("gadget.make", "gadget", "1", {"name": "made"})
            await uow.flush()
            raise RuntimeError("the use case failed")
    assert await count(work, Gadget.__table__) == 0
    assert await count(work, BUS.outbox) == 0 and await count(work, BUS.audit_log) == 0


async def test_a_consumers_unit_emits_events_caused_by_the_event_it_applies(work: Work) -> None:
    applied = CloudEvent.of(GadgetRenamed(gadget_id=7, name="elsewhere"), service="registry", subject="7",
                            correlation_id="flow-42")
    # A read model copies changes audited at their source: its unit needs no audit entry of its own.
    async with work(None, system_actor="kit.gadgets", caused_by=applied, audited=False) as uow:
        uow.session.add(Gadget(id=7, name="elsewhere"))
        uow.emit(GadgetRenamed(gadget_id=7, name="copied"), subject="7")
    async with work.sessions() as session:
        (event,) = (await session.execute(select(BUS.outbox))).all()
    headers = dict(event.headers)
    assert (headers["ce_causationid"], headers["ce_correlationid"]) == (applied.id, "flow-42")
    assert await count(work, BUS.audit_log) == 0
    with pytest.raises(UnauditedChange):  # the same change in an audited unit is refused
        async with work(None, caused_by=applied) as uow:
            uow.session.add(Gadget(id=8, name="unaudited"))


# --- keyset pages ----------------------------------------------------------------------------------------------------

KEYS = (Key(Gadget.made_at, cursor_datetime), Key(Gadget.id, cursor_int))
START = datetime(2026, 3, 1, 8, 30, 15, 250_000, tzinfo=UTC)


async def _twenty_five(work: Work) -> list[int]:
    """25 gadgets whose ids do not follow their times, three to a timestamp (ties the id must break); their ids in
    (made_at, id) order."""
    gadgets = [Gadget(id=(i * 7) % 25 + 1, name=f"g{i}", made_at=START + timedelta(minutes=i // 3)) for i in range(25)]
    await make(work, *gadgets)
    return [g.id for g in sorted(gadgets, key=lambda g: (g.made_at, g.id))]


async def _every_page(work: Work, query: Any, *, descending: bool) -> tuple[list[Any], list[int]]:
    seen: list[Any] = []
    sizes: list[int] = []
    cursor = None
    while True:
        async with work.sessions() as session:
            rows, cursor = await paginate(session, query, keys=KEYS, limit=10, cursor=cursor, descending=descending)
        seen += rows
        sizes.append(len(rows))
        if cursor is None:
            return seen, sizes
        assert len(sizes) < 5, "the pages never end"


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_paginate_returns_every_row_once_in_order(work: Work, descending: bool) -> None:
    in_order = await _twenty_five(work)
    expected = in_order[::-1] if descending else in_order

    entities, sizes = await _every_page(work, select(Gadget), descending=descending)
    assert [g.id for g in entities] == expected and sizes == [10, 10, 5]

    rows, sizes = await _every_page(work, select(Gadget.id, Gadget.made_at), descending=descending)
    assert [r.id for r in rows] == expected and sizes == [10, 10, 5]


FORGED = {
    "not base64": "%%%",
    "not json": "bm90IGpzb24",
    "not a list": encode_cursor({"made_at": 1}),  # type: ignore[arg-type]
    "one value short": encode_cursor(["2026-03-01T08:30:15+00:00"]),
    "not a time": encode_cursor(["not-a-date", 3]),
    "not an id": encode_cursor(["2026-03-01T08:30:15+00:00", "seven"]),
    "a boolean id": encode_cursor(["2026-03-01T08:30:15+00:00", True]),
    # A time without its zone: paginate never writes one (the column is UTCDateTime, which refuses naive times).
    "a time without zone": encode_cursor(["2026-03-01T08:30:15", 3]),
}


@pytest.mark.parametrize("cursor", list(FORGED.values()), ids=list(FORGED))
async def test_a_forged_cursor_is_invalid_input(work: Work, cursor: str) -> None:
    await _twenty_five(work)
    with pytest.raises(InvalidInput) as refused:
        async with work.sessions() as session:
            await paginate(session, select(Gadget), keys=KEYS, limit=10, cursor=cursor)
    assert refused.value.field == "cursor"


# --- scope rules: the SQL condition and the check of a loaded row agree ------------------------------------------

P1, P2 = uuid.uuid4(), uuid.uuid4()
U1, U2, U3 = "91330502MA2B00001X", "91330502MA2B00002X", "91330521MA2B00003X"
PLACED = {1: ("330502", U1, P1), 2: ("330502", U2, None), 3: ("330503", U1, P2), 4: ("330521", U3, P1),
          5: ("330503", U2, None), 6: ("330521", U1, P2)}
RULE = ScopeRule(
    noun="gadget",
    readers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Gadget.district_code),
             Role.ENTERPRISE: OwnUscc(Gadget.uscc), Role.PARK_OPERATOR: OnPlatform(Gadget.platform_id)},
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Gadget.district_code),
              Role.ENTERPRISE: OwnUscc(Gadget.uscc)},
)
EVERY = set(PLACED)
# principal → (the rows it reads, the rows it manages)
REACH: list[tuple[Principal, set[int], set[int]]] = [
    (Principal("admin", Role.ADMIN), EVERY, EVERY),
    (Principal("o1", Role.OFFICER, districts=("330502",)), {1, 2}, {1, 2}),
    (Principal("o2", Role.OFFICER, districts=("330502", "330503")), {1, 2, 3, 5}, {1, 2, 3, 5}),
    (Principal("city", Role.OFFICER, city_wide=True), EVERY, EVERY),  # the token said "districts": ["*"]
    (Principal("o0", Role.OFFICER), set(), set()),  # an officer with no district listed reaches none
    (Principal("e1", Role.ENTERPRISE, uscc=U1), {1, 3, 6}, {1, 3, 6}),
    (Principal("e0", Role.ENTERPRISE), set(), set()),  # an enterprise token without its USCC reaches nothing
    (Principal("p1", Role.PARK_OPERATOR, platform_ids=(str(P1),)), {1, 4}, set()),
    (Principal("p2", Role.PARK_OPERATOR, platform_ids=("not-a-uuid", str(P2))), {3, 6}, set()),
    (Principal("p0", Role.PARK_OPERATOR), set(), set()),
    (Principal("reviewer", Role.REVIEWER), set(), set()),  # roles the rule does not name reach nothing
    (Principal("institute", Role.INSTITUTE, institute_id="inst-1"), set(), set()),
    (Principal("service", Role.SERVICE), set(), set()),
]


@pytest.mark.parametrize(("principal", "reads", "manages"), REACH, ids=[f"{p.role}-{p.subject}" for p, _, _ in REACH])
async def test_scope_rule_sql_condition_and_row_check_agree(
        work: Work, principal: Principal, reads: set[int], manages: set[int]) -> None:
    await make(work, *(Gadget(id=i, name=f"g{i}", district_code=d, uscc=u, platform_id=p)
                       for i, (d, u, p) in PLACED.items()))
    actor = Actor(principal, None)
    async with work.sessions() as session:
        by_sql = set(await session.scalars(Records(Gadget, RULE).select(actor).with_only_columns(Gadget.id)))
        managed_by_sql = set(await session.scalars(select(Gadget.id).where(RULE.manageable(actor))))
        rows = list(await session.scalars(select(Gadget)))
    assert by_sql == {g.id for g in rows if RULE.may_read(actor, g)} == reads
    assert managed_by_sql == {g.id for g in rows if RULE.may_manage(actor, g)} == manages
    for gadget in rows:
        if gadget.id not in reads:
            with pytest.raises(NotFound):
                RULE.ensure_readable(actor, gadget, gadget.id)
        elif gadget.id not in manages:
            with pytest.raises(PermissionDenied):
                RULE.ensure_manageable(actor, gadget)
        else:
            RULE.ensure_readable(actor, gadget, gadget.id)
            RULE.ensure_manageable(actor, gadget)


# --- a reviewer's rows: what an assignment ties to them (decided in SQL) ---------------------------------------------

ASSIGNED_RULE = ScopeRule(noun="gadget", readers={Role.REVIEWER: Assigned(Gadget.id, GadgetAssignment.gadget_id,
                                                                          GadgetAssignment.reviewer)},
                          managers={})


async def test_a_reviewer_reads_only_the_rows_assigned_to_them_in_lists_and_one_by_one(work: Work) -> None:
    await make(work, *(Gadget(id=i, name=f"g{i}") for i in (1, 2, 3)))
    async with work(OFFICER) as uow:
        uow.session.add_all([GadgetAssignment(gadget_id=1, reviewer="r1"), GadgetAssignment(gadget_id=3, reviewer="r1"),
                             GadgetAssignment(gadget_id=2, reviewer="r2")])
        uow.audit("gadget.assign", "gadget", "1,2,3", {})
    records = Records(Gadget, ASSIGNED_RULE)
    r1 = Actor(Principal("r1", Role.REVIEWER), None)
    async with work.sessions() as session:
        assert set(await session.scalars(records.select(r1).with_only_columns(Gadget.id))) == {1, 3}
        assert (await records.get(session, r1, 3)).id == 3
        with pytest.raises(NotFound):
            await records.get(session, r1, 2)
        with pytest.raises(NotFound):
            await records.get(session, Actor(Principal("r9", Role.REVIEWER), None), 1)
        gadget = await session.get(Gadget, 1)
    with pytest.raises(TypeError):  # a row alone does not say who is assigned: never guessed
        ASSIGNED_RULE.may_read(r1, gadget)


async def test_a_row_changed_between_a_read_and_the_locked_read_is_412_not_an_error(work: Work) -> None:
    await make(work, Gadget(id=1, name="original"))
    records = Records(Gadget, RULE)
    with pytest.raises(PreconditionFailed):
        async with work(OFFICER) as uow:
            first = await uow.session.get(Gadget, 1)  # held: the session keeps what it read while referenced
            assert first is not None and first.version == 1
            async with work(OFFICER) as other:  # another request changes it meanwhile
                gadget = await other.session.get(Gadget, 1)
                other.audit("gadget.rename", "gadget", "1", apply_changes(gadget, {"name": "renamed"}))
            await records.get_for_change(uow.session, OFFICER, 1)
    assert (await stored(work, 1)).name == "renamed"  # type: ignore[union-attr]


async def test_a_row_held_for_change_still_lets_others_refer_to_it_but_not_change_it(work: Work) -> None:
    """get_for_change takes FOR NO KEY UPDATE on PostgreSQL: another transaction's insert of a row that refers to the
    held one goes ahead at once (no wait, no lock cycle), while another change of the held row waits its turn."""
    if work.settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: nothing runs beside a held change there")
    await make(work, Gadget(id=1, name="original"))
    records = Records(Gadget, RULE)
    held = asyncio.Event()
    release = asyncio.Event()

    async def change() -> None:
        async with work(OFFICER) as uow:
            gadget = await records.get_for_change(uow.session, OFFICER, 1)
            held.set()
            await release.wait()
            uow.audit("gadget.rename", "gadget", "1", apply_changes(gadget, {"name": "first"}))

    async def refer() -> None:
        async with work(OFFICER) as uow:
            uow.session.add(GadgetNote(id=1, gadget_id=1))
            uow.audit("gadget.note", "gadget", "1", {"note": 1})

    async def change_too() -> None:
        async with work(OFFICER) as uow:
            gadget = await records.get_for_change(uow.session, OFFICER, 1)
            uow.audit("gadget.rename", "gadget", "1", apply_changes(gadget, {"name": "second"}))

    holder = asyncio.create_task(change())
    await held.wait()
    await asyncio.wait_for(refer(), 5)  # would wait for the holder's commit under FOR UPDATE
    assert await count(work, GadgetNote.__table__) == 1
    second = asyncio.create_task(change_too())
    await asyncio.sleep(0.3)
    assert not second.done(), "a second change of the held row did not wait for the first"
    release.set()
    await holder
    await second
    assert (await stored(work, 1)).name == "second"  # type: ignore[union-attr]
