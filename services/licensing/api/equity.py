"""/v1/patents/{id}/equity-contributions and /v1/equity-contributions: 作价入股, agreed then registered."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.licensing.schemas import equity as schemas
from services.licensing.service import equity as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag

router = APIRouter(tags=["equity"])

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.INSTITUTE, Role.SERVICE)]
Holder = Annotated[Actor, require_actor(Role.ADMIN, Role.INSTITUTE)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/v1/patents/{patent_id}/equity-contributions", status_code=201, response_model=schemas.ContributionRead,
             summary="Agree a contribution of the patent to a company for shares (作价入股)",
             responses={409: {"description": "the patent may not be exploited now"},
                        422: {"description": "shares above 100%, an inventors' share below the default without a "
                                             "recorded agreement, an unknown company, no publicity period …"}})
async def agree_contribution(patent_id: uuid.UUID, body: schemas.ContributionCreate, actor: Holder, work: WorkOf,
                             response: Response) -> schemas.ContributionRead:
    contribution = await service.agree_contribution(work, actor, patent_id, body)
    response.headers["Location"] = f"/v1/equity-contributions/{contribution.id}"
    response.headers["ETag"] = etag(contribution.version)
    return contribution


@router.get("/v1/equity-contributions", response_model=Page[schemas.ContributionRead],
            summary="List the equity contributions the caller may read")
async def list_contributions(actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
                             patent_id: uuid.UUID | None = None) -> Page[schemas.ContributionRead]:
    items, next_cursor = await service.list_contributions(sessions, actor, limit=limit, cursor=cursor,
                                                          patent_id=patent_id)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/equity-contributions/{contribution_id}", response_model=schemas.ContributionRead,
            summary="Read one equity contribution")
async def get_contribution(contribution_id: uuid.UUID, actor: Reader, sessions: Sessions,
                           response: Response) -> schemas.ContributionRead:
    contribution = await service.get_contribution(sessions, actor, contribution_id)
    response.headers["ETag"] = etag(contribution.version)
    return contribution


@router.post("/v1/equity-contributions/{contribution_id}/registration", response_model=schemas.ContributionRead,
             summary="Record the registration of the IP transfer (著录项目变更): equity.registered",
             responses={409: {"description": "registered already, or the publicity period still runs"},
                        412: {"description": "stale If-Match"}, 428: {"description": "If-Match is missing"}})
async def register_contribution(contribution_id: uuid.UUID, body: schemas.Registration, actor: Holder,
                                work: WorkOf, response: Response,
                                if_match: IfMatch = None) -> schemas.ContributionRead:
    contribution = await service.register_contribution(work, actor, contribution_id, body, if_match)
    response.headers["ETag"] = etag(contribution.version)
    return contribution
