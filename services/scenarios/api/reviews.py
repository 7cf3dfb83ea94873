"""Expert review (专家评审): reviewers' declarations and assignments, score sheets, and the ranking."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.scenarios.schemas import reviews as schemas
from services.scenarios.service import reviews as service
from shared.app import Sessions, Settings, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page, etag

router = APIRouter(tags=["expert review"])

Reviewer = Annotated[Actor, require_actor(Role.REVIEWER)]
Officer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
SheetReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER)]
Limit = Annotated[int, Query(ge=1, le=200)]
APPLICATION = "/v1/challenges/{challenge_id}/applications/{application_id}"


@router.get("/v1/reviewers/me/declaration", response_model=schemas.DeclarationRead,
            summary="The calling reviewer's declaration of interests")
async def get_declaration(actor: Reviewer, sessions: Sessions, response: Response) -> schemas.DeclarationRead:
    declaration = await service.get_declaration(sessions, actor)
    response.headers["ETag"] = etag(declaration.version)
    return declaration


@router.put("/v1/reviewers/me/declaration", response_model=schemas.DeclarationRead,
            summary="Declare (or replace) the calling reviewer's organisation and ties with firms",
            responses={412: {"description": "If-Match does not name the current version"},
                       428: {"description": "If-Match is missing on a replacement"}})
async def declare(body: schemas.DeclarationIn, actor: Reviewer, work: WorkOf, response: Response,
                  if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
                  ) -> schemas.DeclarationRead:
    declaration = await service.declare(work, actor, body, if_match)
    response.headers["ETag"] = etag(declaration.version)
    return declaration


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
