"""Platform use cases (播种平台): register, read, list, update with If-Match; tenancies (入驻/毕业) that keep the
occupancy and each enterprise's ``platform_id``; the yearly flagship lists (旗舰园区名单); the investment-attraction
map (招商地图).

Every change to a platform, its occupancy or its flagship listing takes the platform's row lock first, bumps its
version (the ETag) and emits ``platform.updated`` with the state after the change, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import String, cast, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain.platforms import FIRST_FLAGSHIP_YEAR, is_flagship, vacancy
from services.registry.models import Enterprise, bus
from services.registry.models.platforms import FlagshipListing, Platform, PlatformTenancy
from services.registry.schemas import platforms as schemas
from services.registry.service.clock import programme_today
from shared.auth import Actor, Principal, Role
from shared.bus.outbox import audit, emit
from shared.db import after_key
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.registry import PlatformRegistered, PlatformState, PlatformUpdated
from shared.http import check_if_match, cursor_date, cursor_datetime, cursor_uuid, decode_cursor, encode_cursor
from shared.ids import HUZHOU_DISTRICTS
from shared.settings import ServiceSettings

Sessions = async_sessionmaker[AsyncSession]

# The profile columns a PlatformCreate/PlatformUpdate may set.
PROFILE_FIELDS = tuple(schemas.PlatformUpdate.model_fields)


# --- who may do what ----------------------------------------------------------------------------------------------

def _operates(principal: Principal, platform_id: uuid.UUID) -> bool:
    """A park operator's token lists the platforms it runs."""
    for raw in principal.platform_ids:
        try:
            if uuid.UUID(str(raw)) == platform_id:
                return True
        except ValueError:
            continue
    return False


def ensure_may_manage_platform(actor: Actor, platform: Platform, *, operator_may: bool) -> None:
    """Admins everywhere, officers in their districts, a park operator on its own platforms where ``operator_may``
    (profile and tenants, but not the flagship lists, which are the programme's decision)."""
    p = actor.principal
    if p.role == Role.ADMIN:
        return
    if p.role == Role.OFFICER:
        if p.can_see_district(platform.district_code):
            return
        raise PermissionDenied(f"district {platform.district_code} is outside this officer's scope",
                               field="district_code")
    if p.role == Role.PARK_OPERATOR and operator_may:
        if _operates(p, platform.id):
            return
        raise PermissionDenied("a park operator may act only on the platforms it runs")
    raise PermissionDenied(f"role {p.role.value} may not change this platform")


def _ensure_may_register(actor: Actor, district_code: str) -> None:
    p = actor.principal
    if p.role not in (Role.ADMIN, Role.OFFICER):
        raise PermissionDenied(f"role {p.role.value} may not register platforms")
    if not p.can_see_district(district_code):
        raise PermissionDenied(f"district {district_code} is outside this officer's scope", field="district_code")


# --- reading ------------------------------------------------------------------------------------------------------

async def _flagship_years(session: AsyncSession, platform_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[int]]:
    ids = list(platform_ids)
    years: dict[uuid.UUID, list[int]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(FlagshipListing.platform_id, FlagshipListing.year)
            .where(FlagshipListing.platform_id.in_(ids))
            .order_by(FlagshipListing.year)
        )
        for platform_id, year in rows:
            years[platform_id].append(year)
    return years


def read_model(platform: Platform, flagship_years: list[int], today: date) -> schemas.PlatformRead:
    occupied = int(platform.occupied)  # type: ignore[attr-defined]
    return schemas.PlatformRead(
        **{f: getattr(platform, f) for f in PROFILE_FIELDS},
        id=platform.id,
        district_name=HUZHOU_DISTRICTS.get(platform.district_code, platform.district_code),
        occupied=occupied,
        vacancy=vacancy(platform.capacity, occupied),
        flagship=is_flagship(flagship_years, today.year),
        flagship_years=flagship_years,
        created_at=platform.created_at,
        updated_at=platform.updated_at,
        version=platform.version,
    )


async def _read(session: AsyncSession, platform: Platform) -> schemas.PlatformRead:
    years = await _flagship_years(session, [platform.id])
    return read_model(platform, years.get(platform.id, []), programme_today())


def _state(read: schemas.PlatformRead) -> dict[str, Any]:
    """The platform as events carry it."""
    fields = set(PlatformState.model_fields) - {"platform_id"}
    return {"platform_id": read.id, **{f: getattr(read, f) for f in fields}}


async def get_platform(sessions: Sessions, actor: Actor, platform_id: uuid.UUID) -> schemas.PlatformRead:
    # Platforms are public within the programme: every authenticated role reads them (the route says which).
    async with sessions() as session:
        platform = await session.get(Platform, platform_id)
        if platform is None:
            raise NotFound(f"no platform {platform_id}")
        return await _read(session, platform)


def _filtered(  # type: ignore[no-untyped-def]
    query, *, platform_type: str | None, district_code: str | None, positioning: str | None, flagship: bool | None,
    has_vacancy: bool | None, min_vacancy: int | None, year: int,
):
    if platform_type is not None:
        query = query.where(Platform.platform_type == platform_type)
    if district_code is not None:
        query = query.where(Platform.district_code == district_code)
    if positioning is not None:
        # Cluster codes are validated identifiers, so the quoted code is an exact element match inside the JSON
        # list on both backends (PostgreSQL json and SQLite text) without dialect-specific JSON operators.
        pattern = '%"' + positioning.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
        query = query.where(cast(Platform.positioning, String).like(pattern, escape="\\"))
    free = Platform.capacity - Platform.occupied  # type: ignore[attr-defined]
    if has_vacancy is True:
        query = query.where(free >= 1)
    elif has_vacancy is False:
        query = query.where(free <= 0)
    if min_vacancy is not None:
        query = query.where(free >= min_vacancy)
    if flagship is not None:
        listed = exists().where(FlagshipListing.platform_id == Platform.id, FlagshipListing.year == year)
        query = query.where(listed if flagship else ~listed)
    return query


_SORT_COLUMNS = {"name": Platform.name, "created_at": Platform.created_at}


async def list_platforms(
    sessions: Sessions,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None = None,
    sort: str = "name",
    platform_type: str | None = None,
    district_code: str | None = None,
    positioning: str | None = None,
    flagship: bool | None = None,
    has_vacancy: bool | None = None,
    min_vacancy: int | None = None,
) -> tuple[list[schemas.PlatformRead], str | None]:
    """Filtered list with keyset pagination on (sort column, id): stable under inserts."""
    today = programme_today()
    descending = sort.startswith("-")
    column = _SORT_COLUMNS[sort.lstrip("-")]
    query = _filtered(select(Platform), platform_type=platform_type, district_code=district_code,
                      positioning=positioning, flagship=flagship, has_vacancy=has_vacancy, min_vacancy=min_vacancy,
                      year=today.year)
    if cursor:
        key, after_id = decode_cursor(cursor, cursor_datetime if column is Platform.created_at else str, cursor_uuid)
        query = query.where(after_key(column, Platform.id, key, after_id, descending=descending))
    order = (column.desc(), Platform.id.desc()) if descending else (column.asc(), Platform.id.asc())
    async with sessions() as session:
        rows = list((await session.scalars(query.order_by(*order).limit(limit + 1))).all())
        page = rows[:limit]
        years = await _flagship_years(session, [p.id for p in page])
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor([getattr(last, column.key), str(last.id)])
    return [read_model(p, years.get(p.id, []), today) for p in page], next_cursor


async def platform_map(
    sessions: Sessions,
    actor: Actor,
    *,
    platform_type: str | None = None,
    district_code: str | None = None,
    positioning: str | None = None,
    has_vacancy: bool | None = None,
    min_vacancy: int | None = None,
) -> schemas.MapFeatureCollection:
    """The investment-attraction map (招商地图): every matching platform as a GeoJSON Point feature.

    Not paginated: a FeatureCollection is one document, and the city has hundreds of platforms, not millions.
    """
    today = programme_today()
    query = _filtered(select(Platform), platform_type=platform_type, district_code=district_code,
                      positioning=positioning, flagship=None, has_vacancy=has_vacancy, min_vacancy=min_vacancy,
                      year=today.year)
    async with sessions() as session:
        platforms = list((await session.scalars(query.order_by(Platform.name, Platform.id))).all())
        years = await _flagship_years(session, [p.id for p in platforms])
    features = []
    for platform in platforms:
        read = read_model(platform, years.get(platform.id, []), today)
        features.append(schemas.MapFeature(
            id=str(read.id),
            # RFC 7946 §3.1.1: longitude first.
            geometry=schemas.PointGeometry(coordinates=(read.longitude, read.latitude)),
            properties=schemas.MapFeatureProperties(
                name=read.name, type=read.platform_type, district=read.district_code, district_name=read.district_name,
                functional_zone=read.functional_zone, address=read.address, positioning=read.positioning,
                capacity=read.capacity, occupied=read.occupied, vacancy=read.vacancy, flagship=read.flagship,
            ),
        ))
    return schemas.MapFeatureCollection(features=features)


# --- registering and updating -------------------------------------------------------------------------------------

def _duplicate_name(name: str, existing: uuid.UUID) -> Conflict:
    return Conflict(f"a platform named {name} is already registered", field="name",
                    existing=f"/v1/platforms/{existing}")


async def register_platform(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, data: schemas.PlatformCreate
) -> schemas.PlatformRead:
    _ensure_may_register(actor, data.district_code)
    async with sessions.begin() as session:
        existing = await session.scalar(select(Platform.id).where(Platform.name == data.name))
        if existing is not None:
            raise _duplicate_name(data.name, existing)
        platform = Platform(**data.model_dump())
        session.add(platform)
        try:
            await session.flush()
        except IntegrityError:
            # A concurrent request registered the same name between our check and our insert.
            raise Conflict(f"a platform named {data.name} is already registered", field="name") from None
        await session.refresh(platform, ["occupied"])
        read = read_model(platform, [], programme_today())
        await emit(session, bus, settings, PlatformRegistered(**_state(read)), subject=str(platform.id), actor=actor)
        await audit(session, bus, actor, action="platform.register", entity_type="platform",
                    entity_id=str(platform.id), changes=data.model_dump(mode="json"))
    return read


async def _lock_platform(session: AsyncSession, platform_id: uuid.UUID, *, field: str | None = None) -> Platform:
    """The platform, locked for this transaction before anything is read, so that concurrent entries cannot
    overfill it and concurrent updates cannot both pass the same If-Match.

    The lock is a write that changes nothing: on PostgreSQL it takes the row lock, and on SQLite (where FOR UPDATE
    does not exist and the driver opens the transaction at the first write) it takes the database's write lock
    first, so the reads that follow see the latest committed tenancies instead of failing at commit."""
    locked = await session.execute(
        update(Platform).where(Platform.id == platform_id)
        # Naming updated_at keeps its onupdate from firing: taking the lock is not a change.
        .values(version=Platform.version, updated_at=Platform.updated_at)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"no platform {platform_id}", field=field)
    platform = await session.get(Platform, platform_id)
    assert platform is not None
    return platform


async def update_platform(
    sessions: Sessions,
    settings: ServiceSettings,
    actor: Actor,
    platform_id: uuid.UUID,
    data: schemas.PlatformUpdate,
    if_match: str | None,
) -> schemas.PlatformRead:
    changes = data.model_dump(exclude_unset=True)
    for name in sorted(schemas.REQUIRED_FIELDS & changes.keys()):
        if changes[name] is None:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    async with sessions.begin() as session:
        platform = await _lock_platform(session, platform_id)
        ensure_may_manage_platform(actor, platform, operator_may=True)
        if actor.principal.role == Role.PARK_OPERATOR:
            forbidden = sorted(schemas.OFFICER_ONLY_FIELDS & changes.keys())
            if forbidden:
                raise PermissionDenied(f"a park operator may not change {', '.join(forbidden)}; "
                                       "ask a programme officer", field=forbidden[0])
        if "district_code" in changes and not actor.principal.can_see_district(changes["district_code"]):
            # Moving a platform to another district needs authority over the new district too.
            raise PermissionDenied(f"district {changes['district_code']} is outside this officer's scope",
                                   field="district_code")
        check_if_match(if_match, platform.version)
        before = {k: getattr(platform, k) for k in changes}
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if not changed:
            return await _read(session, platform)  # nothing to record: no new version, no event
        occupied = int(platform.occupied)  # type: ignore[attr-defined]
        if "capacity" in changed and changed["capacity"] < occupied:
            raise Conflict(f"capacity {changed['capacity']} is below the {occupied} current tenants; "
                           "record their graduation first", field="capacity", occupied=occupied)
        if "name" in changed:
            existing = await session.scalar(select(Platform.id).where(Platform.name == changed["name"]))
            if existing is not None:
                raise _duplicate_name(changed["name"], existing)
        for key, value in changed.items():
            setattr(platform, key, value)
        platform.version += 1
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(f"a platform named {changed.get('name')} is already registered", field="name") from None
        read = await _read(session, platform)
        await emit(session, bus, settings, PlatformUpdated(**_state(read), changed_fields=sorted(changed)),
                   subject=str(platform.id), actor=actor)
        await audit(session, bus, actor, action="platform.update", entity_type="platform", entity_id=str(platform.id),
                    changes={k: {"from": before[k], "to": v} for k, v in changed.items()})
    return read


# --- tenancies (入驻 / 毕业) -----------------------------------------------------------------------------------------

def tenancy_read(tenancy: PlatformTenancy, enterprise: Enterprise) -> schemas.TenancyRead:
    return schemas.TenancyRead(
        id=tenancy.id, platform_id=tenancy.platform_id, enterprise_id=tenancy.enterprise_id,
        enterprise_uscc=enterprise.uscc, enterprise_name=enterprise.name, entered_on=tenancy.entered_on,
        left_on=tenancy.left_on, exit_kind=tenancy.exit_kind, exit_reason=tenancy.exit_reason,
        current=tenancy.left_on is None,
    )


async def _tenancy_changed(
    session: AsyncSession, settings: ServiceSettings, actor: Actor, platform: Platform, enterprise: Enterprise,
    *, change: str, occupied_before: int, details: dict[str, Any],
) -> None:
    """After a tenancy changed: the occupancy recounted, the event with the new occupancy, and an audit entry on
    both the platform and the enterprise (whose ``platform_id`` moved)."""
    await session.flush()
    await session.refresh(platform, ["occupied"])
    read = await _read(session, platform)
    await emit(session, bus, settings,
               PlatformUpdated(**_state(read), changed_fields=["occupied"], tenant_enterprise_id=enterprise.id,
                               tenancy_change=change),
               subject=str(platform.id), actor=actor)
    occupancy = {"from": occupied_before, "to": read.occupied}
    await audit(session, bus, actor, action=f"platform.tenant_{change}", entity_type="platform",
                entity_id=str(platform.id), changes={"enterprise_id": enterprise.id, "occupied": occupancy, **details})
    await audit(session, bus, actor, action=f"enterprise.platform_{change}", entity_type="enterprise",
                entity_id=str(enterprise.id), changes={"platform_id": platform.id, **details})


async def enter_tenant(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, platform_id: uuid.UUID, data: schemas.TenancyCreate
) -> schemas.TenancyRead:
    if data.entered_on > programme_today():
        raise InvalidInput("entered_on is in the future; record the entry on the day it happens", field="entered_on")
    async with sessions.begin() as session:
        platform = await _lock_platform(session, platform_id)
        ensure_may_manage_platform(actor, platform, operator_may=True)
        if data.enterprise_id is not None:
            enterprise = await session.get(Enterprise, data.enterprise_id)
            if enterprise is None:
                raise NotFound(f"no enterprise {data.enterprise_id}", field="enterprise_id")
        else:
            enterprise = await session.scalar(select(Enterprise).where(Enterprise.uscc == data.uscc))
            if enterprise is None:
                raise NotFound(f"no enterprise with USCC {data.uscc} is registered", field="uscc")
        current = await session.scalar(select(PlatformTenancy).where(
            PlatformTenancy.enterprise_id == enterprise.id, PlatformTenancy.left_on.is_(None)))
        if current is not None:
            raise Conflict("the enterprise is a current tenant of a platform; record its graduation or leaving first",
                           field="enterprise_id",
                           existing=f"/v1/platforms/{current.platform_id}/tenancies/{current.id}")
        last_left = await session.scalar(select(func.max(PlatformTenancy.left_on))
                                         .where(PlatformTenancy.enterprise_id == enterprise.id))
        if last_left is not None and data.entered_on < last_left:
            raise InvalidInput(f"entered_on is before the enterprise left its previous platform on {last_left}",
                               field="entered_on")
        occupied = int(platform.occupied)  # type: ignore[attr-defined]
        if occupied >= platform.capacity:
            raise Conflict(f"the platform is full ({occupied} of {platform.capacity} places taken)",
                           field="platform_id", occupied=occupied, capacity=platform.capacity)
        tenancy = PlatformTenancy(platform_id=platform.id, enterprise_id=enterprise.id, entered_on=data.entered_on)
        session.add(tenancy)
        enterprise.platform_id = platform.id
        enterprise.version += 1  # the enterprise's representation (platform_id) changed: a new ETag
        platform.version += 1
        try:
            await session.flush()
        except IntegrityError:
            # The partial unique index: the same firm entered another platform concurrently.
            raise Conflict("the enterprise just entered another platform", field="enterprise_id") from None
        await _tenancy_changed(session, settings, actor, platform, enterprise, change="entered",
                               occupied_before=occupied,
                               details={"tenancy_id": tenancy.id, "entered_on": tenancy.entered_on})
        return tenancy_read(tenancy, enterprise)


async def end_tenancy(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, platform_id: uuid.UUID, tenancy_id: uuid.UUID,
    data: schemas.TenancyExit,
) -> schemas.TenancyRead:
    if data.left_on > programme_today():
        raise InvalidInput("left_on is in the future; record the graduation on the day it happens", field="left_on")
    async with sessions.begin() as session:
        platform = await _lock_platform(session, platform_id)
        ensure_may_manage_platform(actor, platform, operator_may=True)
        tenancy = await session.get(PlatformTenancy, tenancy_id)
        if tenancy is None or tenancy.platform_id != platform.id:
            raise NotFound(f"no tenancy {tenancy_id} in platform {platform_id}")
        if tenancy.left_on is not None:
            raise Conflict(f"the tenancy already ended on {tenancy.left_on} ({tenancy.exit_kind})")
        if data.left_on < tenancy.entered_on:
            raise InvalidInput(f"left_on is before the entry on {tenancy.entered_on}", field="left_on")
        enterprise = await session.get(Enterprise, tenancy.enterprise_id)
        assert enterprise is not None  # the foreign key cascades deletions
        occupied = int(platform.occupied)  # type: ignore[attr-defined]
        tenancy.left_on, tenancy.exit_kind, tenancy.exit_reason = data.left_on, data.kind, data.reason
        if enterprise.platform_id == platform.id:
            enterprise.platform_id = None
            enterprise.version += 1
        platform.version += 1
        await _tenancy_changed(session, settings, actor, platform, enterprise, change=data.kind,
                               occupied_before=occupied,
                               details={"tenancy_id": tenancy.id, "left_on": data.left_on, "reason": data.reason})
        return tenancy_read(tenancy, enterprise)


def _ensure_may_read_tenants(actor: Actor, platform: Platform) -> None:
    p = actor.principal
    if p.role in (Role.ADMIN, Role.SERVICE):
        return
    ensure_may_manage_platform(actor, platform, operator_may=True)


async def get_tenancy(
    sessions: Sessions, actor: Actor, platform_id: uuid.UUID, tenancy_id: uuid.UUID
) -> schemas.TenancyRead:
    async with sessions() as session:
        platform = await session.get(Platform, platform_id)
        if platform is None:
            raise NotFound(f"no platform {platform_id}")
        _ensure_may_read_tenants(actor, platform)
        row = (await session.execute(
            select(PlatformTenancy, Enterprise).join(Enterprise, Enterprise.id == PlatformTenancy.enterprise_id)
            .where(PlatformTenancy.id == tenancy_id, PlatformTenancy.platform_id == platform_id)
        )).first()
    if row is None:
        raise NotFound(f"no tenancy {tenancy_id} in platform {platform_id}")
    return tenancy_read(*row)


async def list_tenancies(
    sessions: Sessions, actor: Actor, platform_id: uuid.UUID, *, status: str, limit: int, cursor: str | None
) -> tuple[list[schemas.TenancyRead], str | None]:
    """The platform's tenants, latest entry first, keyset-paginated on (entered_on, id)."""
    async with sessions() as session:
        platform = await session.get(Platform, platform_id)
        if platform is None:
            raise NotFound(f"no platform {platform_id}")
        _ensure_may_read_tenants(actor, platform)
        query = (select(PlatformTenancy, Enterprise).join(Enterprise, Enterprise.id == PlatformTenancy.enterprise_id)
                 .where(PlatformTenancy.platform_id == platform_id))
        if status == "current":
            query = query.where(PlatformTenancy.left_on.is_(None))
        elif status == "former":
            query = query.where(PlatformTenancy.left_on.is_not(None))
        if cursor:
            key, after_id = decode_cursor(cursor, cursor_date, cursor_uuid)
            query = query.where(after_key(PlatformTenancy.entered_on, PlatformTenancy.id, key, after_id, descending=True))
        query = query.order_by(PlatformTenancy.entered_on.desc(), PlatformTenancy.id.desc()).limit(limit + 1)
        rows = list((await session.execute(query)).all())
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor([last.entered_on.isoformat(), str(last.id)])
    return [tenancy_read(t, e) for t, e in page], next_cursor


# --- flagship lists (旗舰园区名单) -----------------------------------------------------------------------------------

def _check_list_year(year: int) -> None:
    # A list may be drawn up ahead for next year; earlier than the first list or further ahead is a typo.
    latest = programme_today().year + 1
    if not FIRST_FLAGSHIP_YEAR <= year <= latest:
        raise InvalidInput(f"year must be between {FIRST_FLAGSHIP_YEAR} and {latest}", field="year")


async def _flagship_changed(session: AsyncSession, settings: ServiceSettings, actor: Actor, platform: Platform,
                            year: int, *, action: str, note: str | None) -> None:
    platform.version += 1
    await session.flush()
    read = await _read(session, platform)
    changed = ["flagship_years"] + (["flagship"] if year == programme_today().year else [])
    await emit(session, bus, settings, PlatformUpdated(**_state(read), changed_fields=changed),
               subject=str(platform.id), actor=actor)
    await audit(session, bus, actor, action=action, entity_type="platform", entity_id=str(platform.id),
                changes={"year": year, "note": note})


async def add_flagship(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, data: schemas.FlagshipListingCreate
) -> schemas.FlagshipListingRead:
    _check_list_year(data.year)
    async with sessions.begin() as session:
        platform = await _lock_platform(session, data.platform_id, field="platform_id")
        ensure_may_manage_platform(actor, platform, operator_may=False)
        if await session.get(FlagshipListing, (data.year, platform.id)) is not None:
            raise Conflict(f"the platform is already on the {data.year} flagship list", field="platform_id",
                           existing=f"/v1/platforms/flagships?year={data.year}")
        listing = FlagshipListing(year=data.year, platform_id=platform.id, note=data.note,
                                  listed_by=actor.principal.subject)
        session.add(listing)
        await _flagship_changed(session, settings, actor, platform, data.year, action="platform.flagship_listed",
                                note=data.note)
        return _listing_read(listing, platform)


async def remove_flagship(
    sessions: Sessions, settings: ServiceSettings, actor: Actor, year: int, platform_id: uuid.UUID
) -> None:
    async with sessions.begin() as session:
        platform = await _lock_platform(session, platform_id)
        ensure_may_manage_platform(actor, platform, operator_may=False)
        listing = await session.get(FlagshipListing, (year, platform.id))
        if listing is None:
            raise NotFound(f"the platform is not on the {year} flagship list")
        await session.delete(listing)
        await _flagship_changed(session, settings, actor, platform, year, action="platform.flagship_delisted",
                                note=listing.note)


def _listing_read(listing: FlagshipListing, platform: Platform) -> schemas.FlagshipListingRead:
    return schemas.FlagshipListingRead(
        year=listing.year, platform_id=platform.id, name=platform.name, platform_type=platform.platform_type,
        district_code=platform.district_code, note=listing.note, listed_at=listing.listed_at,
        listed_by=listing.listed_by,
    )


async def list_flagships(
    sessions: Sessions, actor: Actor, *, year: int | None, limit: int, cursor: str | None
) -> tuple[list[schemas.FlagshipListingRead], str | None]:
    """Year Y's flagship list (this year's by default), by platform name."""
    year = programme_today().year if year is None else year
    query = (select(FlagshipListing, Platform).join(Platform, Platform.id == FlagshipListing.platform_id)
             .where(FlagshipListing.year == year))
    if cursor:
        key, after_id = decode_cursor(cursor, str, cursor_uuid)
        query = query.where(after_key(Platform.name, Platform.id, key, after_id))
    query = query.order_by(Platform.name, Platform.id).limit(limit + 1)
    async with sessions() as session:
        rows = list((await session.execute(query)).all())
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][1]
        next_cursor = encode_cursor([last.name, str(last.id)])
    return [_listing_read(listing, platform) for listing, platform in page], next_cursor
