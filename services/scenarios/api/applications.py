"""/v1/challenges/{challenge_id}/applications: applications to a challenge (揭榜申报) and the decisions on them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.scenarios.schemas import applications as schemas
from services.scenarios.service import applications as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag
from shared.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyRequired

router = APIRouter(prefix="/v1/challenges/{challenge_id}/applications", tags=["challenge applications"])

# Enterprises read their own, officers of the district all, reviewers those assigned (service.APPLICATION_SCOPE).
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.SERVICE)]
Applicant = Annotated[Actor, require_actor(Role.ENTERPRISE)]
Decider = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201, response_model=schemas.ApplicationRead,
             summary="Apply to a challenge (揭榜), alone or leading a consortium",
             responses={**IDEMPOTENCY_RESPONSES,
                        409: {"description": "applications are closed, or this enterprise has already applied; or a "
                                             "request with this Idempotency-Key is in progress"},
                        422: {"description": "the enterprise fails eligibility rules (`failed_rules` names each), "
                                             "or the application is malformed; or the Idempotency-Key was used with "
                                             "another body"}})
async def submit_application(challenge_id: uuid.UUID, body: schemas.ApplicationCreate, actor: Applicant,
                             idempotency: IdempotencyRequired, work: WorkOf) -> Response:
    return (await service.submit_application(work, actor, challenge_id, body, idempotency)).http()


@router.get("", response_model=Page[schemas.ApplicationRead],
            summary="List a challenge's applications the caller may read")
async def list_applications(challenge_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 50,
                            cursor: str | None = None,
                            status: Annotated[schemas.Status | None, Query()] = None) -> Page[schemas.ApplicationRead]:
    items, next_cursor = await service.list_applications(sessions, actor, challenge_id, limit=limit, cursor=cursor,
                                                         status=status)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{application_id}", response_model=schemas.ApplicationRead, summary="Read one application")
async def get_application(challenge_id: uuid.UUID, application_id: uuid.UUID, actor: Reader, sessions: Sessions,
                          response: Response) -> schemas.ApplicationRead:
    application = await service.get_application(sessions, actor, challenge_id, application_id)
    response.headers["ETag"] = etag(application.version)
    return application


@router.post("/{application_id}/transitions", response_model=schemas.ApplicationRead,
             summary="Decide on an application (shortlist, reject, start_review, decline) or withdraw it",
             responses={409: {"description": "the current status has no such command; `allowed` lists those it has"},
                        412: {"description": "If-Match does not name the current version"},
                        428: {"description": "If-Match is missing"}})
async def transition_application(challenge_id: uuid.UUID, application_id: uuid.UUID,
                                 body: schemas.ApplicationTransition, actor: Decider, work: WorkOf,
                                 response: Response, if_match: IfMatch = None) -> schemas.ApplicationRead:
    application = await service.transition_application(work, actor, challenge_id, application_id, body, if_match)
    response.headers["ETag"] = etag(application.version)
    return application
