"""Enterprise use cases: register, read, list and search, update with optimistic concurrency, audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.registry.models import Enterprise, bus
from services.registry.schemas import enterprises as schemas
from services.registry.service.access import ENTERPRISE_SCOPE, ENTERPRISES, sees_personal_data
from services.registry.service.evaluations import reevaluate_enterprise
from services.registry.service.figures import refresh_size_class
from shared.auth import Actor, Role
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.registry import EnterpriseRegistered, EnterpriseState, EnterpriseUpdated
from shared.http import check_if_match, cursor_datetime, cursor_int, cursor_uuid
from shared.ids import uscc_division_code
from shared.pagination import Key, paginate
from shared.personal_data import mask_email, mask_name, mask_phone
from shared.repository import apply_changes
from shared.row_cache import RowCache
from shared.uow import Work

PUBLIC_STATE_FIELDS = tuple(f for f in EnterpriseState.model_fields if f != "enterprise_id")


def public_state(enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise's public profile as events carry it (no personal data)."""
    return {"enterprise_id": enterprise.id, **{f: getattr(enterprise, f) for f in PUBLIC_STATE_FIELDS}}


async def register_enterprise(work: Work, actor: Actor, data: schemas.EnterpriseCreate) -> Enterprise:
    ENTERPRISE_SCOPE.ensure_manageable(actor, {"district_code": data.district_code, "uscc": data.uscc})
    async with work(actor) as uow:
        session = uow.session
        # Checked first for the better answer (where the record is); a concurrent registration of the same USCC
        # that slips past it is refused by the unique key (409 from the unit of work).
        existing = (await session.execute(
            select(Enterprise.id, Enterprise.uscc, Enterprise.district_code, Enterprise.platform_id)
            .where(Enterprise.uscc == data.uscc)
        )).first()
        if existing is not None:
            raise _duplicate(actor, data.uscc, existing)
        enterprise = Enterprise(
            **data.model_dump(), registration_division_code=uscc_division_code(data.uscc, check_org_code=False)
        )
        session.add(enterprise)
        await uow.flush()
        uow.emit(EnterpriseRegistered(**public_state(enterprise)), subject=str(enterprise.id))
        uow.audit("enterprise.register", "enterprise", str(enterprise.id), data.model_dump(mode="json"))
    return enterprise


def _duplicate(actor: Actor, uscc: str, existing: Row[Any]) -> Conflict:
    """The USCC is taken; the record is pointed to only for a caller who may read it (its id is not revealed to
    an officer of another district or another firm)."""
    message = f"an enterprise with USCC {uscc} already exists"
    if ENTERPRISE_SCOPE.may_read(actor, existing):
        return Conflict(message, field="uscc", existing=f"/v1/enterprises/{existing.id}")
    return Conflict(message, field="uscc")


# The hottest read of the suite (mobile apps and other systems poll it): plain Core, one statement, no ORM
# identity map and no transaction; the row reads like an Enterprise for the scope checks and the response.
_BY_ID = select(Enterprise.__table__).where(Enterprise.__table__.c.id == bindparam("enterprise_id"))


@dataclass(slots=True)
class CachedEnterprise:
    """One version of a row with the answers already made from it, by whether the reader sees personal data."""

    row: Any
    bodies: dict[bool, bytes] = field(default_factory=dict)


async def read_enterprise_json(
    reads: AsyncEngine, cache: RowCache | None, actor: Actor, enterprise_id: uuid.UUID, *, fresh: bool = False
) -> tuple[bytes, int]:
    """The enterprise as this actor may see it, serialised, and its version. From the row cache when it holds the
    row (``fresh`` reads the database, and refreshes the cache); the scope check runs on every read."""
    entry = cache.get(enterprise_id) if cache is not None and not fresh else None
    if entry is None:
        generation = cache.generation if cache is not None else 0
        async with reads.connect() as conn:
            row = (await conn.execute(_BY_ID, {"enterprise_id": enterprise_id})).first()
        if row is None:
            raise NotFound(f"no enterprise {enterprise_id}")
        entry = CachedEnterprise(row)
        if cache is not None:
            cache.put(enterprise_id, entry, generation)
    ENTERPRISE_SCOPE.ensure_readable(actor, entry.row, enterprise_id)
    sees = sees_personal_data(actor, entry.row)
    body = entry.bodies.get(sees)
    if body is None:
        body = entry.bodies[sees] = read_model(actor, entry.row).model_dump_json().encode()
    return body, entry.row.version


async def update_enterprise(
    work: Work, actor: Actor, enterprise_id: uuid.UUID, data: schemas.EnterpriseUpdate, if_match: str | None
) -> Enterprise:
    changes = data.model_dump(exclude_unset=True)
    for name in schemas.REQUIRED_FIELDS & changes.keys():
        if changes[name] is None:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    async with work(actor) as uow:
        session = uow.session
        enterprise = await ENTERPRISES.get_for_change(session, actor, enterprise_id)
        if actor.principal.role == Role.ENTERPRISE:
            forbidden = sorted(changes.keys() - schemas.SELF_SERVICE_FIELDS)
            if forbidden:
                raise PermissionDenied(f"an enterprise may not change {', '.join(forbidden)}; ask a programme officer",
                                       field=forbidden[0])
        if "district_code" in changes:
            # Moving a firm to another district needs authority over the new district too.
            ENTERPRISE_SCOPE.ensure_manageable(actor, {"district_code": changes["district_code"],
                                                       "uscc": enterprise.uscc})
        # After the refusals: a request refused whatever the version is refused as such (RFC 9110 §13.2.1).
        check_if_match(if_match, enterprise.version)
        changed = apply_changes(enterprise, changes)
        if not changed:
            return enterprise  # nothing to record: no new version, no event
        # Now, so that a writer that lost the race is answered 412 before anything is recomputed.
        await uow.flush()
        if "industry_code" in changed:
            # The size class and every tier's general conditions read the industry: recompute them now.
            await refresh_size_class(session, enterprise)
            await reevaluate_enterprise(uow, enterprise.id)
        uow.emit(EnterpriseUpdated(**public_state(enterprise), changed_fields=sorted(changed)),
                 subject=str(enterprise.id))
        uow.audit("enterprise.update", "enterprise", str(enterprise.id), changed)
    return enterprise


_SORT_COLUMNS = {"name": Enterprise.name, "created_at": Enterprise.created_at, "uscc": Enterprise.uscc}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_enterprises(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    limit: int,
    cursor: str | None = None,
    sort: str = "created_at",
    district_code: str | None = None,
    sector: str | None = None,
    cluster: str | None = None,
    size_class: str | None = None,
    pool: str | None = None,
    platform_id: uuid.UUID | None = None,
    q: str | None = None,
) -> tuple[list[Enterprise], str | None]:
    """Filtered, searched, sorted list with keyset pagination on (sort column, id): stable under inserts."""
    descending = sort.startswith("-")
    column = _SORT_COLUMNS[sort.lstrip("-")]
    query = ENTERPRISES.select(actor)
    for col, value in ((Enterprise.district_code, district_code), (Enterprise.sector, sector),
                       (Enterprise.cluster, cluster), (Enterprise.size_class, size_class), (Enterprise.pool, pool),
                       (Enterprise.platform_id, platform_id)):
        if value is not None:
            query = query.where(col == value)
    if q:
        pattern = _like(q.strip())
        query = query.where(or_(Enterprise.name.ilike(pattern, escape="\\"), Enterprise.short_name.ilike(pattern, escape="\\"),
                                Enterprise.main_products.ilike(pattern, escape="\\"),
                                Enterprise.technical_capabilities.ilike(pattern, escape="\\")))
    keys = (Key(column, cursor_datetime if column is Enterprise.created_at else str), Key(Enterprise.id, cursor_uuid))
    async with sessions() as session:
        return await paginate(session, query, keys=keys, limit=limit, cursor=cursor, descending=descending)


async def audit_trail(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    table = bus.audit_log
    async with sessions() as session:
        enterprise = await ENTERPRISES.get(session, actor, enterprise_id)
        if actor.principal.role not in (Role.ADMIN, Role.OFFICER):
            raise PermissionDenied("the audit trail is for programme officers")
        return await paginate(session, select(table).where(table.c.entity_id == str(enterprise.id)),
                              keys=(Key(table.c.id, cursor_int),), limit=limit, cursor=cursor)


# --- personal data ------------------------------------------------------------------------------------------------

# The personal fields of an enterprise and how each is masked (the API and the XLSX export both use it).
PERSONAL_DATA_MASKS = {"legal_representative": mask_name, "contact_name": mask_name, "contact_phone": mask_phone,
                       "contact_email": mask_email}


def read_model(actor: Actor, enterprise: Enterprise) -> schemas.EnterpriseRead:
    """The response for this actor: personal data masked unless the actor works the case."""
    read = schemas.EnterpriseRead.model_validate(enterprise)
    if sees_personal_data(actor, enterprise):
        return read
    masked = {name: mask(getattr(read, name)) for name, mask in PERSONAL_DATA_MASKS.items()}
    return read.model_copy(update={**masked, "personal_data_masked": True})
