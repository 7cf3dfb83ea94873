"""Expert review (专家评审): reviewers' declarations (the kit's routes, ``shared.reviewers``) and assignments, score
sheets, and the ranking."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.scenarios.models import ReviewerDeclaration
from services.scenarios.schemas import reviews as schemas
from services.scenarios.service import reviews as service
from shared.app import Sessions, Settings, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page
from shared.reviewers import declaration_router

router = APIRouter(tags=["expert review"])
router.include_router(declaration_router(ReviewerDeclaration))

Reviewer = Annotated[Actor, require_actor(Role.REVIEWER)]
Officer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
SheetReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER)]
Limit = Annotated[int, Query(ge=1, le=200)]
APPLICATION = "/v1/challenges/{challenge_id}/applications/{application_id}"


@router.get("/v1/reviewers/me/assignments", response_model=Page[schemas.AssignmentRead],
            summary="The applications the calling reviewer is assigned")
async def my_assignments(actor: Reviewer, sessions: Sessions, limit: Limit = 50,
                         cursor: str | None = None) -> Page[schemas.AssignmentRead]:
    items, next_cursor = await service.my_assignments(sessions, actor, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.post(APPLICATION + "/reviewers", status_code=201, response_model=schemas.AssignmentRead,
             summary="Assign a reviewer to an application",
             responses={409: {"description": "the reviewer is tied to the applicant or a partner (`ties` names each), "
                                             "has not declared, or is assigned already"}})
async def assign_reviewer(challenge_id: uuid.UUID, application_id: uuid.UUID, body: schemas.AssignmentIn,
                          actor: Officer, work: WorkOf) -> schemas.AssignmentRead:
    return await service.assign_reviewer(work, actor, challenge_id, application_id, body)


@router.post(APPLICATION + "/score-sheets", status_code=201, response_model=schemas.ScoreSheetRead,
             summary="Submit the calling reviewer's score sheet (once)",
             responses={409: {"description": "already scored, or the challenge is not in expert review"}})
async def submit_sheet(challenge_id: uuid.UUID, application_id: uuid.UUID, body: schemas.ScoreSheetIn,
                       actor: Reviewer, work: WorkOf) -> schemas.ScoreSheetRead:
    return await service.submit_sheet(work, actor, challenge_id, application_id, body)


@router.get(APPLICATION + "/score-sheets", response_model=list[schemas.ScoreSheetRead],
            summary="An application's score sheets (a reviewer sees them only after submitting their own)")
async def list_sheets(challenge_id: uuid.UUID, application_id: uuid.UUID, actor: SheetReader,
                      sessions: Sessions) -> list[schemas.ScoreSheetRead]:
    return await service.list_sheets(sessions, actor, challenge_id, application_id)


@router.get("/v1/challenges/{challenge_id}/ranking", response_model=schemas.RankingRead,
            summary="The ranking of a challenge's applications under review (trimmed mean of the sheets)")
async def get_ranking(challenge_id: uuid.UUID, actor: Officer, sessions: Sessions,
                      settings: Settings) -> schemas.RankingRead:
    return await service.get_ranking(sessions, settings, actor, challenge_id)
