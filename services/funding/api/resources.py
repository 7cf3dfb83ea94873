"""/v1/resources: the innovation-resource catalogue (创新要素供给池): instruments, facilities, testing services, data
sets and compute opened to firms, and the slots their bookings hold."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.funding.schemas import resources as schemas
from services.funding.service import resources as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.db import utcnow
from shared.http import IfMatch, Page, etag
from shared.types import Line, Moment

router = APIRouter(prefix="/v1/resources", tags=["resources"])

# Every authenticated role reads the catalogue (withdrawn listings: those who manage them, service.RESOURCE_SCOPE).
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.PARK_OPERATOR,
                                        Role.INSTITUTE, Role.SERVICE)]
# Providers list their own resources (an institute as itself, a park operator for its platforms); officers those of
# their districts.
Lister = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.INSTITUTE, Role.PARK_OPERATOR)]
Limit = Annotated[int, Query(ge=1, le=200)]
UPDATE_RESPONSES: dict[int | str, dict[str, str]] = {
    409: {"description": "the resource is withdrawn, or the new calendar leaves out live bookings"},
    412: {"description": "If-Match does not name the current version"},
    428: {"description": "If-Match is missing"},
}


@router.post("", status_code=201, response_model=schemas.ResourceRead, summary="List a resource on the catalogue",
             responses={403: {"description": "the owner or the district is outside the caller's scope"}})
async def create_resource(body: schemas.ResourceCreate, actor: Lister, work: WorkOf,
                          response: Response) -> schemas.ResourceRead:
    resource = await service.create_resource(work, actor, body)
    response.headers["Location"] = f"/v1/resources/{resource.id}"
    response.headers["ETag"] = etag(resource.version)
    return resource


@router.get("", response_model=Page[schemas.ResourceRead], summary="The catalogue as the caller may read it")
async def list_resources(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    kind: Annotated[schemas.Kind | None, Query()] = None,
    district_code: Annotated[schemas.DistrictCode | None, Query()] = None,
    provider: Annotated[Line | None, Query(max_length=200, description="the provider's name, exactly")] = None,
    status: Annotated[schemas.ResourceStatus | None, Query()] = None,
) -> Page[schemas.ResourceRead]:
    items, next_cursor = await service.list_resources(sessions, actor, limit=limit, cursor=cursor, kind=kind,
                                                      district_code=district_code, provider=provider, status=status)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{resource_id}", response_model=schemas.ResourceRead, summary="Read one resource")
async def get_resource(resource_id: uuid.UUID, actor: Reader, sessions: Sessions,
                       response: Response) -> schemas.ResourceRead:
    resource = await service.get_resource(sessions, actor, resource_id)
    response.headers["ETag"] = etag(resource.version)
    return resource


@router.get("/{resource_id}/busy", response_model=list[schemas.BusySlot],
            summary="The slots live bookings hold (default: the next 30 days)")
async def busy_slots(resource_id: uuid.UUID, actor: Reader, sessions: Sessions,
                     start: Annotated[Moment | None, Query(alias="from")] = None,
                     end: Annotated[Moment | None, Query(alias="to")] = None) -> list[schemas.BusySlot]:
    begin: datetime = start or utcnow()
    return await service.busy_slots(sessions, actor, resource_id, start=begin, end=end or begin + timedelta(days=30))


@router.patch("/{resource_id}", response_model=schemas.ResourceRead, summary="Edit a listing",
              responses=UPDATE_RESPONSES)
async def update_resource(resource_id: uuid.UUID, body: schemas.ResourceUpdate, actor: Lister, work: WorkOf,
                          response: Response, if_match: IfMatch = None) -> schemas.ResourceRead:
    resource = await service.update_resource(work, actor, resource_id, body, if_match)
    response.headers["ETag"] = etag(resource.version)
    return resource


@router.post("/{resource_id}/withdrawal", response_model=schemas.ResourceRead,
             summary="Take a resource off the catalogue (no new bookings)", responses=UPDATE_RESPONSES)
async def withdraw_resource(resource_id: uuid.UUID, body: schemas.ResourceWithdrawal, actor: Lister, work: WorkOf,
                            response: Response, if_match: IfMatch = None) -> schemas.ResourceRead:
    resource = await service.withdraw_resource(work, actor, resource_id, body, if_match)
    response.headers["ETag"] = etag(resource.version)
    return resource
