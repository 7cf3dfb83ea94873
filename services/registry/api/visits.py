"""/v1/visits and /v1/follow-ups: guidance visits (跟踪辅导) and the follow-ups they leave."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.registry.schemas import visits as schemas
from services.registry.schemas.enterprises import DistrictCode
from services.registry.service import visits as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page

router = APIRouter(tags=["visits"])

Officer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
# The enterprise reads its own visits, without the officers' internal notes.
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Limit = Annotated[int, Query(ge=1, le=200)]


# response_model_exclude_unset: internal_notes is left unset (so absent) for the enterprise role.

@router.post("/v1/visits", status_code=201, response_model=schemas.VisitRead, response_model_exclude_unset=True,
             summary="Log a guidance visit (跟踪辅导) with its follow-ups")
async def log_visit(
    body: schemas.VisitCreate, actor: Officer, work: WorkOf, response: Response
) -> schemas.VisitRead:
    visit = await service.log_visit(work, actor, body)
    response.headers["Location"] = f"/v1/visits/{visit.id}"
    return visit


@router.get("/v1/visits/{visit_id}", response_model=schemas.VisitRead, response_model_exclude_unset=True,
            summary="Read one visit")
async def get_visit(visit_id: uuid.UUID, actor: Reader, sessions: Sessions) -> schemas.VisitRead:
    return await service.get_visit(sessions, actor, visit_id)


@router.get("/v1/enterprises/{enterprise_id}/visits", response_model=Page[schemas.VisitRead],
            response_model_exclude_unset=True, summary="An enterprise's visits, latest first")
async def list_enterprise_visits(
    enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None
) -> Page[schemas.VisitRead]:
    items, next_cursor = await service.list_enterprise_visits(sessions, actor, enterprise_id, limit=limit,
                                                              cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/follow-ups", response_model=Page[schemas.OpenFollowUpRead],
            summary="Follow-ups per officer and per district, overdue first")
async def list_follow_ups(
    actor: Officer,
    sessions: Sessions,
    status: schemas.FollowUpStatus = "open",
    officer: Annotated[str | None, Query(max_length=200, description="the visiting officer (token subject)")] = None,
    district_code: Annotated[DistrictCode | None, Query()] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> Page[schemas.OpenFollowUpRead]:
    items, next_cursor = await service.list_follow_ups(sessions, actor, status=status, officer=officer,
                                                       district_code=district_code, owner=owner, limit=limit,
                                                       cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post("/v1/follow-ups/{follow_up_id}/close", response_model=schemas.FollowUpRead, summary="Close a follow-up",
             responses={409: {"description": "already closed"}})
async def close_follow_up(
    follow_up_id: uuid.UUID, body: schemas.FollowUpClose, actor: Officer, work: WorkOf
) -> schemas.FollowUpRead:
    return await service.close_follow_up(work, actor, follow_up_id, body)
