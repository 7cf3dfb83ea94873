"""/v1/scenarios: the entries of the industrial-chain scenario list (产业链场景应用清单) and their lifecycle."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.scenarios.schemas import scenarios as schemas
from services.scenarios.service import scenarios as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, Visitor, public_access, require_actor
from shared.http import IfMatch, Page, etag

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])
# Without a token: what is on the list, the contact masked (issue 12, item 4).
public_router = APIRouter(prefix="/v1/public/scenarios", tags=["public"])

# Every authenticated role reads what is on the list; the rest is read in scope (service.SCENARIO_SCOPE).
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.PARK_OPERATOR,
                                        Role.INSTITUTE, Role.SERVICE)]
# Publishers (a firm for itself, an officer for a department or a firm of its districts) and officers.
Writer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Public = Annotated[Visitor, public_access()]
# Anonymous pages are smaller: whoever pages through everything pays for more requests (rate limits, docs/operations).
PublicLimit = Annotated[int, Query(ge=1, le=50)]
# Public answers hold nothing personal: a shared cache (the ingress, a CDN) may keep them a minute, which spares the
# database a crawler's repeats; a change reaches the public within that minute.
PUBLIC_CACHE = "public, max-age=60"


@router.post("", status_code=201, response_model=schemas.ScenarioRead, summary="Write a scenario (a draft)",
             responses={403: {"description": "the publisher or the district is outside the caller's scope"}})
async def create_scenario(body: schemas.ScenarioCreate, actor: Writer, work: WorkOf,
                          response: Response) -> schemas.ScenarioRead:
    scenario = await service.create_scenario(work, actor, body)
    response.headers["Location"] = f"/v1/scenarios/{scenario.id}"
    response.headers["ETag"] = etag(scenario.version)
    return scenario


@router.get("", response_model=Page[schemas.ScenarioRead], summary="List the scenarios the caller may read")
async def list_scenarios(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    status: Annotated[schemas.Status | None, Query()] = None,
    district_code: Annotated[schemas.DistrictCode | None, Query()] = None,
    sector: Annotated[schemas.Sector | None, Query()] = None,
) -> Page[schemas.ScenarioRead]:
    items, next_cursor = await service.list_scenarios(sessions, actor, limit=limit, cursor=cursor, status=status,
                                                      district_code=district_code, sector=sector)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{scenario_id}", response_model=schemas.ScenarioRead, summary="Read one scenario")
async def get_scenario(scenario_id: uuid.UUID, actor: Reader, sessions: Sessions,
                       response: Response) -> schemas.ScenarioRead:
    scenario = await service.get_scenario(sessions, actor, scenario_id)
    response.headers["ETag"] = etag(scenario.version)
    return scenario


@router.patch("/{scenario_id}", response_model=schemas.ScenarioRead, summary="Edit a draft scenario",
              responses={409: {"description": "the scenario is no longer a draft"},
                         412: {"description": "If-Match does not name the current version"},
                         428: {"description": "If-Match is missing"}})
async def update_scenario(scenario_id: uuid.UUID, body: schemas.ScenarioUpdate, actor: Writer, work: WorkOf,
                          response: Response, if_match: IfMatch = None) -> schemas.ScenarioRead:
    scenario = await service.update_scenario(work, actor, scenario_id, body, if_match)
    response.headers["ETag"] = etag(scenario.version)
    return scenario


@router.post("/{scenario_id}/transitions", response_model=schemas.ScenarioRead,
             summary="Move a scenario along its lifecycle (submit, approve, reject, publish, …, close, withdraw)",
             responses={409: {"description": "the current state has no such command; `allowed` lists those it has"},
                        412: {"description": "If-Match does not name the current version"},
                        428: {"description": "If-Match is missing"}})
async def transition_scenario(scenario_id: uuid.UUID, body: schemas.ScenarioTransition, actor: Writer, work: WorkOf,
                              response: Response, if_match: IfMatch = None) -> schemas.ScenarioRead:
    scenario = await service.transition_scenario(work, actor, scenario_id, body, if_match)
    response.headers["ETag"] = etag(scenario.version)
    return scenario


@public_router.get("", response_model=Page[schemas.PublicScenarioRead],
                   summary="The scenarios on the list, as anyone sees them (no token; contacts masked)")
async def list_public_scenarios(
    _: Public,
    sessions: Sessions,
    response: Response,
    limit: PublicLimit = 20,
    cursor: str | None = None,
    status: Annotated[schemas.PublicStatus | None, Query()] = None,
    district_code: Annotated[schemas.DistrictCode | None, Query()] = None,
    sector: Annotated[schemas.Sector | None, Query()] = None,
    cluster: Annotated[schemas.Cluster | None, Query()] = None,
) -> Page[schemas.PublicScenarioRead]:
    items, next_cursor = await service.list_public_scenarios(sessions, limit=limit, cursor=cursor, status=status,
                                                             district_code=district_code, sector=sector,
                                                             cluster=cluster)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return Page(items=items, next_cursor=next_cursor)


@public_router.get("/{scenario_id}", response_model=schemas.PublicScenarioRead,
                   summary="One scenario on the list, as anyone sees it (no token; contact masked)")
async def get_public_scenario(scenario_id: uuid.UUID, _: Public, sessions: Sessions,
                              response: Response) -> schemas.PublicScenarioRead:
    scenario = await service.get_public_scenario(sessions, scenario_id)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return scenario
