"""Platform use cases (播种平台): register, read, list, update with If-Match; tenancies (入驻/毕业) that keep the
occupancy and each enterprise's ``platform_id``; the yearly flagship lists (旗舰园区名单); the investment-attraction
map (招商地图).

Every change to a platform, its occupancy or its flagship listing loads the platform for change first (its row
lock), moves its version (the ETag) and emits ``platform.updated`` with the state after the change, in the same
unit of work.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import String, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain.platforms import FIRST_FLAGSHIP_YEAR, is_flagship, vacancy
from services.registry.models import Enterprise
from services.registry.models.platforms import FlagshipListing, Platform, PlatformTenancy
from services.registry.schemas import platforms as schemas
from services.registry.service.access import ENTERPRISE_SCOPE
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.events.registry import PlatformRegistered, PlatformState, PlatformUpdated
from shared.http import cursor_date, cursor_datetime, cursor_uuid
from shared.ids import HUZHOU_DISTRICTS
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, InDistrict, OnPlatform, ScopeRule
from shared.types import name_key
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]

# The profile columns a PlatformCreate/PlatformUpdate may set.
PROFILE_FIELDS = tuple(schemas.PlatformUpdate.model_fields)


# --- who may do what ----------------------------------------------------------------------------------------------

# Platforms are public within the programme: every role reads them (the routes say which roles come in).
_EVERY_ROLE_READS = {role: EVERYWHERE for role in Role}

# A platform's profile and tenants: admins, officers in the platform's district, the park operator that runs it.
PLATFORM_SCOPE = ScopeRule(
    noun="platform",
    readers=_EVERY_ROLE_READS,
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Platform.district_code),
              Role.PARK_OPERATOR: OnPlatform(Platform.id)},
)
PLATFORMS = Records(Platform, PLATFORM_SCOPE)

# Registering a platform, the district it belongs to and the flagship lists are the programme's decisions, never
# the operator's: admins, and officers in the platform's district.
PROGRAMME_SCOPE = ScopeRule(
    noun="platform",
    readers=_EVERY_ROLE_READS,
    managers={Role.ADMIN: EVERYWHERE, Role.OFFICER: InDistrict(Platform.district_code)},
)
# A platform as the flagship-list use cases load it for change.
LISTED_PLATFORMS = Records(Platform, PROGRAMME_SCOPE)

# A platform as a tenancy's entry or exit loads it: locked for its occupancy, and open to every caller the route
# admits, because who may place a firm or end its stay is decided by the firm, not by the platform:
#
# * entering (入驻) changes the firm's record (its platform_id, and with it who reads the firm): the firm itself or
#   who manages it (an officer of the firm's district, an admin) places it. A park operator does not: it manages no
#   firm, and placing one would bring any firm it names into its own scope;
# * ending a stay (毕业/迁出) is open to the firm's managers, and to the platform's keepers for a firm they read (a
#   park operator's current tenant): ending it only takes the firm out of their scope.
TENANCY_PLATFORMS = Records(Platform, ScopeRule(noun="platform", readers=_EVERY_ROLE_READS,
                                                managers=_EVERY_ROLE_READS))


def _ensure_may_read_tenants(actor: Actor, platform: Platform) -> None:
    """The tenant list names firms: those who keep the platform read it, and the service role reads every one.
    Refused as 403, not 404: the platform itself is public."""
    if actor.principal.role != Role.SERVICE:
        PLATFORM_SCOPE.ensure_manageable(actor, platform)


async def _load_for_change(records: Records[Platform], session: AsyncSession, actor: Actor, platform_id: uuid.UUID,
                           **guard: Any) -> Platform:
    """The platform loaded for change through ``records`` (``guard``: get_for_change's If-Match arguments), its
    occupancy counted once the lock is held."""
    platform = await records.get_for_change(session, actor, platform_id, **guard)
    # On PostgreSQL the locking SELECT re-reads the platform's row once the lock is granted, but counts the
    # tenancies in the snapshot it took before waiting: without a recount, concurrent entries would each see the
    # occupancy from before the others and overfill the platform.
    await session.refresh(platform, ["occupied"])
    return platform


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
    async with sessions() as session:
        platform = await PLATFORMS.get(session, actor, platform_id)
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


# The list's orders: the sort column, then the id (unique, so that ties never skip or repeat a platform).
_SORT_KEYS = {"name": Key(Platform.name, str), "created_at": Key(Platform.created_at, cursor_datetime)}
_BY_ID = Key(Platform.id, cursor_uuid)


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
    """Filtered list in ``sort`` order (``-`` for descending): stable under inserts."""
    today = programme_today()
    query = _filtered(PLATFORMS.select(actor), platform_type=platform_type, district_code=district_code,
                      positioning=positioning, flagship=flagship, has_vacancy=has_vacancy, min_vacancy=min_vacancy,
                      year=today.year)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=(_SORT_KEYS[sort.lstrip("-")], _BY_ID), limit=limit,
                                           cursor=cursor, descending=sort.startswith("-"))
        years = await _flagship_years(session, [p.id for p in page])
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
    query = _filtered(PLATFORMS.select(actor), platform_type=platform_type, district_code=district_code,
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

async def _ensure_name_free(session: AsyncSession, name: str) -> None:
    """Checked first for the better answer (where the platform of that name is; platforms are public); a
    concurrent registration of the same name that slips past it is refused by the unique key (409 from the unit
    of work)."""
    existing = await session.scalar(select(Platform.id).where(Platform.name_key == name_key(name)))
    if existing is not None:
        raise Conflict(f"a platform named {name} is already registered", field="name",
                       existing=f"/v1/platforms/{existing}")


async def register_platform(work: Work, actor: Actor, data: schemas.PlatformCreate) -> schemas.PlatformRead:
    PROGRAMME_SCOPE.ensure_manageable(actor, {"district_code": data.district_code})
    async with work(actor) as uow:
        session = uow.session
        await _ensure_name_free(session, data.name)
        platform = Platform(**data.model_dump())
        session.add(platform)
        await uow.flush()
        await session.refresh(platform, ["occupied"])
        read = read_model(platform, [], programme_today())
        uow.emit(PlatformRegistered(**_state(read)), subject=str(platform.id))
        uow.audit("platform.register", "platform", str(platform.id), data.model_dump(mode="json"))
    return read


async def update_platform(
    work: Work, actor: Actor, platform_id: uuid.UUID, data: schemas.PlatformUpdate, if_match: str | None
) -> schemas.PlatformRead:
    changes = data.model_dump(exclude_unset=True)
    for name in sorted(schemas.REQUIRED_FIELDS & changes.keys()):
        if changes[name] is None:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    async with work(actor) as uow:
        session = uow.session
        platform = await _load_for_change(PLATFORMS, session, actor, platform_id, if_match=if_match)
        if actor.principal.role == Role.PARK_OPERATOR:
            forbidden = sorted(schemas.OFFICER_ONLY_FIELDS & changes.keys())
            if forbidden:
                raise PermissionDenied(f"a park operator may not change {', '.join(forbidden)}; "
                                       "ask a programme officer", field=forbidden[0])
        if "district_code" in changes:
            # Moving a platform to another district needs authority over the new district too.
            PROGRAMME_SCOPE.ensure_manageable(actor, {"district_code": changes["district_code"]})
        # Refusals first, on the values that would change: the checks read the database, whose autoflush must
        # not write a change before it is allowed.
        occupied = int(platform.occupied)  # type: ignore[attr-defined]
        capacity = changes.get("capacity", platform.capacity)
        if capacity != platform.capacity and capacity < occupied:
            raise Conflict(f"capacity {capacity} is below the {occupied} current tenants; "
                           "record their graduation first", field="capacity", occupied=occupied)
        if name_key(changes.get("name", platform.name)) != platform.name_key:  # a new spelling of its own name is free
            await _ensure_name_free(session, changes["name"])
        changed = apply_changes(platform, changes)
        if not changed:
            return await _read(session, platform)  # nothing to record: no new version, no event
        await uow.flush()
        read = await _read(session, platform)
        uow.emit(PlatformUpdated(**_state(read), changed_fields=sorted(changed)), subject=str(platform.id))
        uow.audit("platform.update", "platform", str(platform.id), changed)
    return read


# --- tenancies (入驻 / 毕业) -----------------------------------------------------------------------------------------

def tenancy_read(tenancy: PlatformTenancy, enterprise: Enterprise) -> schemas.TenancyRead:
    return schemas.TenancyRead(
        id=tenancy.id, platform_id=tenancy.platform_id, enterprise_id=tenancy.enterprise_id,
        enterprise_uscc=enterprise.uscc, enterprise_name=enterprise.name, entered_on=tenancy.entered_on,
        left_on=tenancy.left_on, exit_kind=tenancy.exit_kind, exit_reason=tenancy.exit_reason,
        current=tenancy.left_on is None,
    )


async def _entering_enterprise(session: AsyncSession, actor: Actor, data: schemas.TenancyCreate) -> Enterprise:
    """The firm named by id or by USCC, locked (its ``platform_id`` changes with the tenancy), once the caller may
    manage it. A firm outside the caller's reading scope is answered like one that does not exist."""
    if data.enterprise_id is not None:
        enterprise = await session.get(Enterprise, data.enterprise_id, with_for_update=True)
        absent = NotFound(f"no enterprise {data.enterprise_id}", field="enterprise_id")
    else:
        enterprise = await session.scalar(select(Enterprise).where(Enterprise.uscc == data.uscc).with_for_update())
        absent = NotFound(f"no enterprise with USCC {data.uscc} is registered", field="uscc")
    if enterprise is None or not ENTERPRISE_SCOPE.may_read(actor, enterprise):
        raise absent
    ENTERPRISE_SCOPE.ensure_manageable(actor, enterprise)
    return enterprise


async def _tenancy_changed(
    uow: UnitOfWork, platform: Platform, enterprise: Enterprise, tenancy: PlatformTenancy, *, change: str,
    occupied_before: int, details: dict[str, Any],
) -> None:
    """After a tenancy changed: the occupancy recounted, the event with the new occupancy, and an audit entry on
    both the platform and the enterprise (whose ``platform_id`` moved)."""
    # Occupancy is part of the platform's representation: a new ETag, though no column of its row changed.
    platform.version += 1
    await uow.flush()
    details = {"tenancy_id": tenancy.id, **details}
    await uow.session.refresh(platform, ["occupied"])
    read = await _read(uow.session, platform)
    uow.emit(PlatformUpdated(**_state(read), changed_fields=["occupied"], tenant_enterprise_id=enterprise.id,
                             tenancy_change=change),
             subject=str(platform.id))
    occupancy = {"from": occupied_before, "to": read.occupied}
    uow.audit(f"platform.tenant_{change}", "platform", str(platform.id),
              {"enterprise_id": enterprise.id, "occupied": occupancy, **details})
    uow.audit(f"enterprise.platform_{change}", "enterprise", str(enterprise.id),
              {"platform_id": platform.id, **details})


async def enter_tenant(
    work: Work, actor: Actor, platform_id: uuid.UUID, data: schemas.TenancyCreate
) -> schemas.TenancyRead:
    if data.entered_on > programme_today():
        raise InvalidInput("entered_on is in the future; record the entry on the day it happens", field="entered_on")
    async with work(actor) as uow:
        session = uow.session
        platform = await _load_for_change(TENANCY_PLATFORMS, session, actor, platform_id)
        enterprise = await _entering_enterprise(session, actor, data)
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
        # The same firm entering another platform at once is refused by the one-current-tenancy index (409).
        tenancy = PlatformTenancy(platform_id=platform.id, enterprise_id=enterprise.id, entered_on=data.entered_on)
        session.add(tenancy)
        apply_changes(enterprise, {"platform_id": platform.id})
        await _tenancy_changed(uow, platform, enterprise, tenancy, change="entered", occupied_before=occupied,
                               details={"entered_on": tenancy.entered_on})
        read = tenancy_read(tenancy, enterprise)
    return read


async def end_tenancy(
    work: Work, actor: Actor, platform_id: uuid.UUID, tenancy_id: uuid.UUID, data: schemas.TenancyExit
) -> schemas.TenancyRead:
    if data.left_on > programme_today():
        raise InvalidInput("left_on is in the future; record the graduation on the day it happens", field="left_on")
    async with work(actor) as uow:
        session = uow.session
        platform = await _load_for_change(TENANCY_PLATFORMS, session, actor, platform_id)
        tenancy = await session.get(PlatformTenancy, tenancy_id)
        absent = NotFound(f"no tenancy {tenancy_id} in platform {platform_id}")
        if tenancy is None or tenancy.platform_id != platform.id:
            raise absent
        enterprise = await session.get(Enterprise, tenancy.enterprise_id, with_for_update=True)
        assert enterprise is not None  # the foreign key cascades deletions
        keeps_platform = PLATFORM_SCOPE.may_manage(actor, platform)
        reads_firm = ENTERPRISE_SCOPE.may_read(actor, enterprise)
        # The tenancy is known to the platform's keepers (their tenant list) and to the firm's readers: to anyone
        # else it does not exist.
        if not (keeps_platform or reads_firm):
            raise absent
        if tenancy.left_on is not None:
            raise Conflict(f"the tenancy already ended on {tenancy.left_on} ({tenancy.exit_kind})")
        if not (ENTERPRISE_SCOPE.may_manage(actor, enterprise) or (keeps_platform and reads_firm)):
            raise PermissionDenied("the tenant is outside your scope: its own officers or the firm end its stay",
                                   field="enterprise_id")
        if data.left_on < tenancy.entered_on:
            raise InvalidInput(f"left_on is before the entry on {tenancy.entered_on}", field="left_on")
        occupied = int(platform.occupied)  # type: ignore[attr-defined]
        tenancy.left_on, tenancy.exit_kind, tenancy.exit_reason = data.left_on, data.kind, data.reason
        if enterprise.platform_id == platform.id:
            apply_changes(enterprise, {"platform_id": None})
        await _tenancy_changed(uow, platform, enterprise, tenancy, change=data.kind, occupied_before=occupied,
                               details={"left_on": data.left_on, "reason": data.reason})
        read = tenancy_read(tenancy, enterprise)
    return read


async def get_tenancy(
    sessions: Sessions, actor: Actor, platform_id: uuid.UUID, tenancy_id: uuid.UUID
) -> schemas.TenancyRead:
    async with sessions() as session:
        platform = await PLATFORMS.get(session, actor, platform_id)
        _ensure_may_read_tenants(actor, platform)
        row = (await session.execute(
            select(PlatformTenancy, Enterprise).join(Enterprise, Enterprise.id == PlatformTenancy.enterprise_id)
            .where(PlatformTenancy.id == tenancy_id, PlatformTenancy.platform_id == platform.id)
        )).first()
    if row is None:
        raise NotFound(f"no tenancy {tenancy_id} in platform {platform_id}")
    return tenancy_read(*row)


# Latest entry first; the keys are selected as columns of their own, for paginate to read the cursor off the row.
_TENANCY_ORDER = (Key(PlatformTenancy.entered_on, cursor_date), Key(PlatformTenancy.id, cursor_uuid))


async def list_tenancies(
    sessions: Sessions, actor: Actor, platform_id: uuid.UUID, *, status: str, limit: int, cursor: str | None
) -> tuple[list[schemas.TenancyRead], str | None]:
    """The platform's tenants, latest entry first."""
    async with sessions() as session:
        platform = await PLATFORMS.get(session, actor, platform_id)
        _ensure_may_read_tenants(actor, platform)
        query = (select(PlatformTenancy, Enterprise, *(key.column for key in _TENANCY_ORDER))
                 .join(Enterprise, Enterprise.id == PlatformTenancy.enterprise_id)
                 .where(PlatformTenancy.platform_id == platform.id))
        if status == "current":
            query = query.where(PlatformTenancy.left_on.is_(None))
        elif status == "former":
            query = query.where(PlatformTenancy.left_on.is_not(None))
        rows, next_cursor = await paginate(session, query, keys=_TENANCY_ORDER, limit=limit, cursor=cursor,
                                           descending=True)
    return [tenancy_read(row.PlatformTenancy, row.Enterprise) for row in rows], next_cursor


# --- flagship lists (旗舰园区名单) -----------------------------------------------------------------------------------

def _check_list_year(year: int) -> None:
    # A list may be drawn up ahead for next year; earlier than the first list or further ahead is a typo.
    latest = programme_today().year + 1
    if not FIRST_FLAGSHIP_YEAR <= year <= latest:
        raise InvalidInput(f"year must be between {FIRST_FLAGSHIP_YEAR} and {latest}", field="year")


async def _flagship_changed(uow: UnitOfWork, platform: Platform, year: int, *, action: str, note: str | None) -> None:
    # The flagship years are part of the platform's representation: a new ETag, though no column of its row changed.
    platform.version += 1
    await uow.flush()
    read = await _read(uow.session, platform)
    changed = ["flagship_years"] + (["flagship"] if year == programme_today().year else [])
    uow.emit(PlatformUpdated(**_state(read), changed_fields=changed), subject=str(platform.id))
    uow.audit(action, "platform", str(platform.id), {"year": year, "note": note})


async def add_flagship(work: Work, actor: Actor, data: schemas.FlagshipListingCreate) -> schemas.FlagshipListingRead:
    _check_list_year(data.year)
    async with work(actor) as uow:
        session = uow.session
        try:
            platform = await _load_for_change(LISTED_PLATFORMS, session, actor, data.platform_id)
        except NotFound as absent:
            raise NotFound(absent.detail, field="platform_id") from None
        # Checked first for the better answer; a concurrent listing is refused by the primary key (409).
        if await session.get(FlagshipListing, (data.year, platform.id)) is not None:
            raise Conflict(f"the platform is already on the {data.year} flagship list", field="platform_id",
                           existing=f"/v1/platforms/flagships?year={data.year}")
        listing = FlagshipListing(year=data.year, platform_id=platform.id, note=data.note,
                                  listed_by=actor.principal.subject)
        session.add(listing)
        await _flagship_changed(uow, platform, data.year, action="platform.flagship_listed", note=data.note)
        read = _listing_read(listing, platform)
    return read


async def remove_flagship(work: Work, actor: Actor, year: int, platform_id: uuid.UUID) -> None:
    async with work(actor) as uow:
        session = uow.session
        platform = await _load_for_change(LISTED_PLATFORMS, session, actor, platform_id)
        listing = await session.get(FlagshipListing, (year, platform.id))
        if listing is None:
            raise NotFound(f"the platform is not on the {year} flagship list")
        await session.delete(listing)
        await _flagship_changed(uow, platform, year, action="platform.flagship_delisted", note=listing.note)


def _listing_read(listing: FlagshipListing, platform: Platform) -> schemas.FlagshipListingRead:
    return schemas.FlagshipListingRead(
        year=listing.year, platform_id=platform.id, name=platform.name, platform_type=platform.platform_type,
        district_code=platform.district_code, note=listing.note, listed_at=listing.listed_at,
        listed_by=listing.listed_by,
    )


# By platform name; the keys are selected as columns of their own, for paginate to read the cursor off the row.
_FLAGSHIP_ORDER = (Key(Platform.name, str), Key(Platform.id, cursor_uuid))


async def list_flagships(
    sessions: Sessions, actor: Actor, *, year: int | None, limit: int, cursor: str | None
) -> tuple[list[schemas.FlagshipListingRead], str | None]:
    """Year Y's flagship list (this year's by default), by platform name."""
    year = programme_today().year if year is None else year
    query = (select(FlagshipListing, Platform, *(key.column for key in _FLAGSHIP_ORDER))
             .join(Platform, Platform.id == FlagshipListing.platform_id)
             .where(FlagshipListing.year == year, PLATFORM_SCOPE.readable(actor)))
    async with sessions() as session:
        rows, next_cursor = await paginate(session, query, keys=_FLAGSHIP_ORDER, limit=limit, cursor=cursor)
    return [_listing_read(row.FlagshipListing, row.Platform) for row in rows], next_cursor
