"""/v1/applications: applications (申报) and awards, their steps, reviewers' declarations; /v1/double-support-flags:
similar projects of one firm funded twice, for officers to review. Reviewers declare their interests once
(``/v1/reviewers/me/declaration``, the kit's routes) and reach only the applications assigned to them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.funding.domain.applications import ApplicationStatus, Origin
from services.funding.models import ReviewerDeclaration
from services.funding.schemas import applications as schemas
from services.funding.service import applications as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag
from shared.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyRequired
from shared.reviewers import declaration_router

router = APIRouter(tags=["applications"])
router.include_router(declaration_router(ReviewerDeclaration))

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.SERVICE)]
Applicant = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Mover = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.SERVICE)]
Reviewer = Annotated[Actor, require_actor(Role.REVIEWER)]
Firm = Annotated[Actor, require_actor(Role.ENTERPRISE)]
Officer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
ReviewReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.SERVICE)]
OfficerReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Status = Literal[tuple(ApplicationStatus)]  # type: ignore[valid-type]
OriginIn = Literal[tuple(Origin)]  # type: ignore[valid-type]


@router.post("/v1/applications", status_code=201, response_model=schemas.ApplicationRead,
             summary="Write an application to an open round (a draft)",
             responses={**IDEMPOTENCY_RESPONSES,
                        409: {"description": "the round is not open, or an Idempotency-Key request is in progress"}})
async def create_application(body: schemas.ApplicationCreate, actor: Applicant, work: WorkOf,
                             idempotency: IdempotencyRequired) -> Response:
    return (await service.create_application(work, actor, body, idempotency)).http()


@router.get("/v1/applications", response_model=Page[schemas.ApplicationRead],
            summary="List the applications the caller may read")
async def list_applications(actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
                            round_id: uuid.UUID | None = None, status: Annotated[Status | None, Query()] = None,
                            enterprise_id: uuid.UUID | None = None,
                            origin: Annotated[OriginIn | None, Query()] = None) -> Page[schemas.ApplicationRead]:
    items, next_cursor = await service.list_applications(sessions, actor, limit=limit, cursor=cursor,
                                                         round_id=round_id, status=status,
                                                         enterprise_id=enterprise_id, origin=origin)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/applications/{application_id}", response_model=schemas.ApplicationRead,
            summary="Read one application, with its eligibility reasons, tranches and review summary")
async def get_application(application_id: uuid.UUID, actor: Reader, sessions: Sessions,
                          response: Response) -> schemas.ApplicationRead:
    application = await service.get_application(sessions, actor, application_id)
    response.headers["ETag"] = etag(application.version)
    return application


@router.patch("/v1/applications/{application_id}", response_model=schemas.ApplicationRead,
              summary="Change a draft (title, summary, amount asked for) under If-Match: the applicant firm's",
              responses={409: {"description": "no longer a draft"},
                         412: {"description": "If-Match does not name the current version"},
                         422: {"description": "the amount above the firm's cap, or the firm not eligible"},
                         428: {"description": "If-Match is missing"}})
async def update_application(application_id: uuid.UUID, body: schemas.ApplicationUpdate, actor: Firm, work: WorkOf,
                             response: Response, if_match: IfMatch = None) -> schemas.ApplicationRead:
    application = await service.update_application(work, actor, application_id, body, if_match)
    response.headers["ETag"] = etag(application.version)
    return application


@router.post("/v1/applications/{application_id}/transitions", response_model=schemas.ApplicationRead,
             summary="Take a step: submit, withdraw, start_review, approve (commits the amount), reject, decline, "
                     "sign_agreement, disburse (a tranche), close, claw_back",
             responses={**IDEMPOTENCY_RESPONSES,
                        409: {"description": "the state has no such step (`allowed` lists those it has), the budget "
                                             "is exhausted, or the round is closed"},
                        412: {"description": "If-Match does not name the current version"},
                        428: {"description": "If-Match or Idempotency-Key is missing"}})
async def transition_application(application_id: uuid.UUID, body: schemas.ApplicationTransition, actor: Mover,
                                 work: WorkOf, idempotency: IdempotencyRequired, if_match: IfMatch = None) -> Response:
    return (await service.transition_application(work, actor, application_id, body, if_match, idempotency)).http()


@router.post("/v1/applications/{application_id}/reviewers", status_code=201, response_model=schemas.AssignmentRead,
             summary="Assign a reviewer (who has declared their interests) to an application",
             responses={409: {"description": "the reviewer is tied to the applicant (`ties` names each), has not "
                                             "declared, is assigned already, or the application is not in review"}})
async def assign_reviewer(application_id: uuid.UUID, body: schemas.AssignmentCreate, actor: Officer,
                          work: WorkOf) -> schemas.AssignmentRead:
    return await service.assign_reviewer(work, actor, application_id, body)


@router.get("/v1/applications/{application_id}/reviewers", response_model=list[schemas.AssignmentRead],
            summary="The reviewers assigned to an application (programme staff)")
async def list_assignments(application_id: uuid.UUID, actor: OfficerReader,
                           sessions: Sessions) -> list[schemas.AssignmentRead]:
    return await service.list_assignments(sessions, actor, application_id)


@router.post("/v1/applications/{application_id}/reviews", status_code=201, response_model=schemas.ReviewRead,
             summary="Declare a conflict of interest (回避), or none and a score, on an application under review "
                     "assigned to the caller",
             responses={409: {"description": "not under review, this reviewer has declared already, or their "
                                             "declaration of interests ties them to the applicant (`ties`)"}})
async def declare_review(application_id: uuid.UUID, body: schemas.ReviewCreate, actor: Reviewer,
                         work: WorkOf) -> schemas.ReviewRead:
    review = await service.declare_review(work, actor, application_id, body)
    return schemas.ReviewRead.model_validate(review, from_attributes=True)


@router.get("/v1/applications/{application_id}/reviews", response_model=list[schemas.ReviewRead],
            summary="The declarations on an application: programme staff see all, a reviewer its own (the applicant "
                    "does not see who reviewed it)")
async def list_reviews(application_id: uuid.UUID, actor: ReviewReader, sessions: Sessions) -> list[schemas.ReviewRead]:
    return [schemas.ReviewRead.model_validate(r, from_attributes=True)
            for r in await service.list_reviews(sessions, actor, application_id)]


@router.get("/v1/double-support-flags", response_model=Page[schemas.DoubleSupportRead],
            summary="Awards of one firm whose projects look alike (重复支持), for review")
async def list_flags(actor: OfficerReader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
                     status: Annotated[Literal["open", "cleared", "confirmed"] | None, Query()] = None,
                     ) -> Page[schemas.DoubleSupportRead]:
    rows, next_cursor = await service.list_flags(sessions, actor, limit=limit, cursor=cursor, status=status)
    return Page(items=[schemas.DoubleSupportRead.model_validate(r, from_attributes=True) for r in rows],
                next_cursor=next_cursor)


@router.post("/v1/double-support-flags/{flag_id}/resolution", response_model=schemas.DoubleSupportRead,
             summary="Clear a flag (two projects) or confirm it (one project funded twice)",
             responses={409: {"description": "the flag is resolved already"}})
async def resolve_flag(flag_id: uuid.UUID, body: schemas.DoubleSupportResolve, actor: Officer,
                       work: WorkOf) -> schemas.DoubleSupportRead:
    flag = await service.resolve_flag(work, actor, flag_id, body)
    return schemas.DoubleSupportRead.model_validate(flag, from_attributes=True)
