"""/v1/platforms: platforms (播种平台), their tenants, the yearly flagship lists and the investment-attraction map."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from services.registry.schemas import platforms as schemas
from services.registry.schemas.enterprises import Cluster, DistrictCode
from services.registry.service import platforms as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page, etag
from shared.types import INT32_MAX, Year, integer_between

router = APIRouter(prefix="/v1/platforms", tags=["platforms"])

# Platforms are public within the programme: every authenticated role reads them.
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.PARK_OPERATOR,
                                        Role.INSTITUTE, Role.SERVICE)]
Registrar = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
# Profile and tenants: officers in their districts, park operators on the platforms they run.
Manager = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.PARK_OPERATOR)]
TenantReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.PARK_OPERATOR, Role.SERVICE)]
# Entering a firm changes the firm's record: the firm itself or who manages it places it, never a park operator
# (service.platforms.TENANCY_PLATFORMS says why). A stay is ended by the firm's side or by the platform's keepers.
Placer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
StayEnder = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.PARK_OPERATOR, Role.ENTERPRISE)]
# Flagship lists are the programme's decision, not the operator's.
ListKeeper = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]

Limit = Annotated[int, Query(ge=1, le=200)]
Vacancy = integer_between(0, INT32_MAX)


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"  # RFC 7946 §12


# Static paths first: /map and /flagships must not be read as a platform id.

@router.get("/map", response_model=schemas.MapFeatureCollection, response_class=GeoJSONResponse,
            summary="Investment-attraction map (招商地图) as a GeoJSON FeatureCollection")
async def platform_map(
    actor: Reader,
    sessions: Sessions,
    type: Annotated[schemas.PlatformType | None, Query(description="platform type")] = None,  # noqa: A002
    district_code: Annotated[DistrictCode | None, Query()] = None,
    positioning: Annotated[Cluster | None, Query(description='a "4210" cluster code the platform targets')] = None,
    has_vacancy: Annotated[bool | None, Query(description="true: places free; false: full")] = None,
    min_vacancy: Annotated[Vacancy | None, Query(description="at least this many free places")] = None,
) -> schemas.MapFeatureCollection:
    return await service.platform_map(sessions, actor, platform_type=type, district_code=district_code,
                                      positioning=positioning, has_vacancy=has_vacancy, min_vacancy=min_vacancy)


@router.get("/flagships", response_model=Page[schemas.FlagshipListingRead], summary="One year's flagship list")
async def list_flagships(
    actor: Reader,
    sessions: Sessions,
    year: Annotated[Year | None, Query(description="the list's year; this year (Asia/Shanghai) by default")] = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> Page[schemas.FlagshipListingRead]:
    items, next_cursor = await service.list_flagships(sessions, actor, year=year, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/flagships", status_code=201, response_model=schemas.FlagshipListingRead,
             summary="Put a platform on a year's flagship list",
             responses={409: {"description": "already on that year's list"}})
async def add_flagship(
    body: schemas.FlagshipListingCreate, actor: ListKeeper, work: WorkOf, response: Response
) -> schemas.FlagshipListingRead:
    listing = await service.add_flagship(work, actor, body)
    response.headers["Location"] = f"/v1/platforms/flagships/{listing.year}/{listing.platform_id}"
    return listing


@router.delete("/flagships/{year}/{platform_id}", status_code=204, response_class=Response,
               summary="Take a platform off a year's flagship list")
async def remove_flagship(year: Year, platform_id: uuid.UUID, actor: ListKeeper, work: WorkOf) -> Response:
    await service.remove_flagship(work, actor, year, platform_id)
    return Response(status_code=204)


@router.post("", status_code=201, response_model=schemas.PlatformRead, summary="Register a platform",
             responses={409: {"description": "a platform of that name exists; `existing` points to it"}})
async def register_platform(
    body: schemas.PlatformCreate, actor: Registrar, work: WorkOf, response: Response
) -> schemas.PlatformRead:
    platform = await service.register_platform(work, actor, body)
    response.headers["Location"] = f"/v1/platforms/{platform.id}"
    response.headers["ETag"] = etag(platform.version)
    return platform


@router.get("", response_model=Page[schemas.PlatformRead], summary="List and filter platforms")
async def list_platforms(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    sort: schemas.PlatformSort = "name",
    type: Annotated[schemas.PlatformType | None, Query()] = None,  # noqa: A002
    district_code: Annotated[DistrictCode | None, Query()] = None,
    positioning: Annotated[Cluster | None, Query()] = None,
    flagship: Annotated[bool | None, Query(description="on this year's flagship list")] = None,
    has_vacancy: bool | None = None,
    min_vacancy: Annotated[Vacancy | None, Query()] = None,
) -> Page[schemas.PlatformRead]:
    items, next_cursor = await service.list_platforms(
        sessions, actor, limit=limit, cursor=cursor, sort=sort, platform_type=type, district_code=district_code,
        positioning=positioning, flagship=flagship, has_vacancy=has_vacancy, min_vacancy=min_vacancy,
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{platform_id}", response_model=schemas.PlatformRead, summary="Read one platform")
async def get_platform(
    platform_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response
) -> schemas.PlatformRead:
    platform = await service.get_platform(sessions, actor, platform_id)
    response.headers["ETag"] = etag(platform.version)
    return platform


@router.patch("/{platform_id}", response_model=schemas.PlatformRead, summary="Update a platform's profile",
              responses={409: {"description": "capacity below the current tenants, or the name is taken"},
                         412: {"description": "If-Match does not name the current version"},
                         428: {"description": "If-Match is missing"}})
async def update_platform(
    platform_id: uuid.UUID,
    body: schemas.PlatformUpdate,
    actor: Manager,
    work: WorkOf,
    response: Response,
    if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
) -> schemas.PlatformRead:
    platform = await service.update_platform(work, actor, platform_id, body, if_match)
    response.headers["ETag"] = etag(platform.version)
    return platform


@router.get("/{platform_id}/tenancies", response_model=Page[schemas.TenancyRead], summary="The platform's tenants")
async def list_tenancies(
    platform_id: uuid.UUID,
    actor: TenantReader,
    sessions: Sessions,
    status: schemas.TenancyStatus = "current",
    limit: Limit = 100,
    cursor: str | None = None,
) -> Page[schemas.TenancyRead]:
    items, next_cursor = await service.list_tenancies(sessions, actor, platform_id, status=status, limit=limit,
                                                      cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/{platform_id}/tenancies", status_code=201, response_model=schemas.TenancyRead,
             summary="An enterprise enters the platform (入驻): recorded by the firm, or by an officer of its district",
             responses={403: {"description": "role not admitted, or the caller may not manage the firm (problem+json)"},
                        404: {"description": "no such platform, or no such firm in the caller's scope"},
                        409: {"description": "the platform is full, or the firm is a current tenant elsewhere"}})
async def enter_tenant(
    platform_id: uuid.UUID, body: schemas.TenancyCreate, actor: Placer, work: WorkOf, response: Response,
) -> schemas.TenancyRead:
    tenancy = await service.enter_tenant(work, actor, platform_id, body)
    response.headers["Location"] = f"/v1/platforms/{platform_id}/tenancies/{tenancy.id}"
    return tenancy


@router.get("/{platform_id}/tenancies/{tenancy_id}", response_model=schemas.TenancyRead, summary="One tenancy")
async def get_tenancy(platform_id: uuid.UUID, tenancy_id: uuid.UUID, actor: TenantReader,
                      sessions: Sessions) -> schemas.TenancyRead:
    return await service.get_tenancy(sessions, actor, platform_id, tenancy_id)


@router.post("/{platform_id}/tenancies/{tenancy_id}/exit", response_model=schemas.TenancyRead,
             summary="The tenant graduates (毕业) or leaves (迁出): recorded by the firm's side or the platform's keepers",
             responses={403: {"description": "role not admitted, or the tenant is outside the caller's scope (problem+json)"},
                        409: {"description": "the tenancy has already ended"}})
async def end_tenancy(
    platform_id: uuid.UUID, tenancy_id: uuid.UUID, body: schemas.TenancyExit, actor: StayEnder, work: WorkOf,
) -> schemas.TenancyRead:
    return await service.end_tenancy(work, actor, platform_id, tenancy_id, body)
