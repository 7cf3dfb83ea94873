"""Appointment (挂帅) and the appointed teams' milestones (里程碑考核)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response

from services.scenarios.schemas import teams as schemas
from services.scenarios.service import teams as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import etag

router = APIRouter(prefix="/v1/challenges/{challenge_id}", tags=["appointments and milestones"])

Officer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.SERVICE)]
Party = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]


@router.post("/appointments", status_code=201, response_model=schemas.TeamRead,
             summary="Appoint a team (挂帅) with its milestones; the first moves the challenge to appointed",
             responses={409: {"description": "no more teams may be appointed (a single winner is appointed "
                                             "already), the application is not ranked, or the stage is wrong"},
                        422: {"description": "a higher-ranked application is passed over without a reason, the "
                                             "awards exceed the bounty, or the milestone plan breaks a rule"}})
async def appoint(challenge_id: uuid.UUID, body: schemas.AppointmentIn, actor: Officer,
                  work: WorkOf) -> schemas.TeamRead:
    return await service.appoint(work, actor, challenge_id, body)


@router.get("/milestones", response_model=list[schemas.MilestoneRead],
            summary="The appointed teams' milestones the caller may read (a team reads its own)")
async def list_milestones(challenge_id: uuid.UUID, actor: Reader, sessions: Sessions) -> list[schemas.MilestoneRead]:
    return await service.list_milestones(sessions, actor, challenge_id)


@router.post("/milestones/{milestone_id}/transitions", response_model=schemas.MilestoneRead,
             summary="Submit a milestone (the team) or decide it: pass, fail, return, waive (officers)",
             responses={409: {"description": "the current status has no such command; `allowed` lists those it has"},
                        412: {"description": "If-Match does not name the current version"},
                        428: {"description": "If-Match is missing"}})
async def transition_milestone(challenge_id: uuid.UUID, milestone_id: uuid.UUID, body: schemas.MilestoneTransition,
                               actor: Party, work: WorkOf, response: Response,
                               if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
                               ) -> schemas.MilestoneRead:
    milestone = await service.transition_milestone(work, actor, challenge_id, milestone_id, body, if_match)
    response.headers["ETag"] = etag(milestone.version)
    return milestone
