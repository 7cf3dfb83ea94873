"""/v1/enterprises: the enterprise records."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.registry.schemas import enterprises as schemas
from services.registry.service import enterprises as service
from shared.app import Reads, RowCacheOf, Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page, etag

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

Registrar = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.ENTERPRISE)]
Editor = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.REVIEWER, Role.ENTERPRISE,
                                        Role.PARK_OPERATOR)]
Auditor = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]


@router.post("", status_code=201, response_model=schemas.EnterpriseRead, summary="Register an enterprise",
             responses={409: {"description": "USCC already registered; `existing` points to the record"}})
async def register_enterprise(
    body: schemas.EnterpriseCreate, actor: Registrar, work: WorkOf, response: Response
) -> schemas.EnterpriseRead:
    enterprise = await service.register_enterprise(work, actor, body)
    response.headers["Location"] = f"/v1/enterprises/{enterprise.id}"
    response.headers["ETag"] = etag(enterprise.version)
    return service.read_model(actor, enterprise)


@router.get("", response_model=Page[schemas.EnterpriseRead], summary="List, filter and search enterprises")
async def list_enterprises(
    actor: Reader,
    sessions: Sessions,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    sort: schemas.EnterpriseSort = "created_at",
    district_code: str | None = None,
    sector: str | None = None,
    cluster: str | None = None,
    size_class: str | None = None,
    pool: str | None = None,
    platform_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=100, description="search in names, products and capabilities")] = None,
) -> Page[schemas.EnterpriseRead]:
    rows, next_cursor = await service.list_enterprises(
        sessions, actor, limit=limit, cursor=cursor, sort=sort, district_code=district_code, sector=sector,
        cluster=cluster, size_class=size_class, pool=pool, platform_id=platform_id, q=q,
    )
    return Page(items=[service.read_model(actor, e) for e in rows], next_cursor=next_cursor)


@router.get("/{enterprise_id}", response_model=schemas.EnterpriseRead, summary="Read one enterprise",
            responses={304: {"description": "If-None-Match names the current version"}},
            description="Answered from a row cache that every committed change evicts; another API replica may lag "
                        "a commit by its notification's delay (under a millisecond). Send `Cache-Control: no-cache` "
                        "to read the database.")
async def get_enterprise(
    enterprise_id: uuid.UUID,
    actor: Reader,
    reads: Reads,
    cache: RowCacheOf,
    cache_control: Annotated[str | None, Header(description="`no-cache` reads the database")] = None,
    if_none_match: Annotated[str | None, Header(description="the ETag you hold: 304 if it is still current")] = None,
) -> Response:
    body, version = await service.read_enterprise_json(
        reads, cache, actor, enterprise_id, fresh=cache_control is not None and "no-cache" in cache_control
    )
    current = etag(version)
    if if_none_match is not None and current in (tag.strip() for tag in if_none_match.split(",")):
        # A poller that holds the current version is told so without the body (RFC 9110 §13.1.2).
        return Response(status_code=304, headers={"ETag": current})
    return Response(body, media_type="application/json", headers={"ETag": current})


@router.patch("/{enterprise_id}", response_model=schemas.EnterpriseRead, summary="Update an enterprise",
              responses={412: {"description": "If-Match does not name the current version"},
                         428: {"description": "If-Match is missing"}})
async def update_enterprise(
    enterprise_id: uuid.UUID,
    body: schemas.EnterpriseUpdate,
    actor: Editor,
    work: WorkOf,
    response: Response,
    if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
) -> schemas.EnterpriseRead:
    enterprise = await service.update_enterprise(work, actor, enterprise_id, body, if_match)
    response.headers["ETag"] = etag(enterprise.version)
    return service.read_model(actor, enterprise)


@router.get("/{enterprise_id}/audit", response_model=Page[schemas.AuditEntryRead], summary="The record's audit trail")
async def audit_trail(
    enterprise_id: uuid.UUID,
    actor: Auditor,
    sessions: Sessions,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: str | None = None,
) -> Page[schemas.AuditEntryRead]:
    rows, next_cursor = await service.audit_trail(sessions, actor, enterprise_id, limit=limit, cursor=cursor)
    return Page(items=[schemas.AuditEntryRead.model_validate(r._mapping) for r in rows], next_cursor=next_cursor)
