"""/v1/scenarios/{id}/interests: firms answering a scenario (意向), and who answered."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.scenarios.schemas import interests as schemas
from services.scenarios.service import interests as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page

router = APIRouter(prefix="/v1/scenarios/{scenario_id}/interests", tags=["scenarios"])

Firm = Annotated[Actor, require_actor(Role.ENTERPRISE)]
# Who works the case sees every answer; another firm sees its own (service.list_interests).
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.SERVICE)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201, response_model=schemas.InterestRead,
             summary="Express the caller's firm's interest in a published scenario (once; a repeat answers 200)",
             responses={200: {"description": "the firm had already expressed interest: that answer, unchanged",
                              "model": schemas.InterestRead},
                        409: {"description": "the scenario no longer takes expressions of interest"}})
async def express_interest(scenario_id: uuid.UUID, body: schemas.InterestCreate, actor: Firm, work: WorkOf,
                           response: Response) -> schemas.InterestRead:
    interest, created = await service.express_interest(work, actor, scenario_id, body)
    if not created:
        response.status_code = 200
    return interest


@router.get("", response_model=Page[schemas.InterestRead], summary="The firms interested in a scenario")
async def list_interests(scenario_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 50,
                         cursor: str | None = None) -> Page[schemas.InterestRead]:
    items, next_cursor = await service.list_interests(sessions, actor, scenario_id, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
