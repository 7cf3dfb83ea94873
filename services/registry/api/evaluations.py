"""/v1/enterprises/{id}/evaluations and /certifications: tier evaluations (评价) and held tiers (认定).

Officers (in their districts) and admins evaluate and certify; reviewers, the service role and the enterprise
itself read.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from services.registry.schemas import evaluations as schemas
from services.registry.service import evaluations as service
from services.registry.service.access import FIGURE_READER_ROLES
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page, etag

router = APIRouter(prefix="/v1/enterprises/{enterprise_id}", tags=["evaluations"])

Officer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
# Evaluations carry the firm's figures (inputs and results): read by who reads those figures (access.py).
Reader = Annotated[Actor, require_actor(*FIGURE_READER_ROLES)]
Limit = Annotated[int, Query(ge=1, le=200)]
NOT_FOUND = {404: {"description": "no such enterprise (or outside the caller's scope), or no such record"}}


@router.post("/evaluations", status_code=201, response_model=schemas.EvaluationRead,
             summary="Evaluate the enterprise for a tier on its stored figures, IP and honours",
             responses=NOT_FOUND)
async def run_evaluation(
    enterprise_id: uuid.UUID, body: schemas.EvaluationCreate, actor: Officer, work: WorkOf, response: Response,
) -> schemas.EvaluationRead:
    evaluation = await service.run_evaluation(work, actor, enterprise_id, body)
    response.headers["Location"] = f"/v1/enterprises/{enterprise_id}/evaluations/{evaluation.id}"
    return schemas.EvaluationRead.model_validate(evaluation)


@router.get("/evaluations", response_model=Page[schemas.EvaluationSummary],
            summary="The enterprise's evaluations, newest first (without inputs and result)")
async def list_evaluations(
    enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
    tier: schemas.EvaluableTier | None = None,
    outcome: Literal["eligible", "not_eligible", "needs_review"] | None = None,
) -> Page[schemas.EvaluationSummary]:
    rows, next_cursor = await service.list_evaluations(sessions, actor, enterprise_id, limit=limit, cursor=cursor,
                                                       tier=tier, outcome=outcome)
    return Page(items=[schemas.EvaluationSummary.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/evaluations/{evaluation_id}", response_model=schemas.EvaluationRead,
            summary="One evaluation with its full result and the inputs it was computed from", responses=NOT_FOUND)
async def get_evaluation(
    enterprise_id: uuid.UUID, evaluation_id: uuid.UUID, actor: Reader, sessions: Sessions
) -> schemas.EvaluationRead:
    return schemas.EvaluationRead.model_validate(await service.get_evaluation(sessions, actor, enterprise_id, evaluation_id))


@router.post("/certifications", status_code=201, response_model=schemas.CertificationRead,
             summary="Confirm an evaluation into a held tier (认定)",
             responses={409: {"description": "the evaluation is not eligible, superseded by a newer one, or the "
                                             "certificate number is already recorded"}, **NOT_FOUND})
async def certify(
    enterprise_id: uuid.UUID, body: schemas.CertificationCreate, actor: Officer, work: WorkOf, response: Response,
) -> schemas.CertificationRead:
    certification = await service.certify(work, actor, enterprise_id, body)
    response.headers["Location"] = f"/v1/enterprises/{enterprise_id}/certifications/{certification.id}"
    response.headers["ETag"] = etag(certification.version)
    return schemas.CertificationRead.model_validate(certification)


@router.get("/certifications", response_model=Page[schemas.CertificationRead],
            summary="Tier history: every certification, newest first")
async def list_certifications(
    enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
    tier: str | None = None, status: Literal["active", "expired", "revoked", "superseded"] | None = None,
) -> Page[schemas.CertificationRead]:
    rows, next_cursor = await service.list_certifications(sessions, actor, enterprise_id, limit=limit, cursor=cursor,
                                                          tier=tier, status=status)
    return Page(items=[schemas.CertificationRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/certifications/{certification_id}", response_model=schemas.CertificationRead,
            summary="One certification", responses=NOT_FOUND)
async def get_certification(
    enterprise_id: uuid.UUID, certification_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response
) -> schemas.CertificationRead:
    certification = await service.get_certification(sessions, actor, enterprise_id, certification_id)
    response.headers["ETag"] = etag(certification.version)
    return schemas.CertificationRead.model_validate(certification)


@router.post("/certifications/{certification_id}/revocation", response_model=schemas.CertificationRead,
             summary="Revoke a held tier (撤销)",
             responses={409: {"description": "the certification is not active"},
                        412: {"description": "If-Match does not name the current version"}, **NOT_FOUND})
async def revoke_certification(
    enterprise_id: uuid.UUID, certification_id: uuid.UUID, body: schemas.RevocationCreate, actor: Officer,
    work: WorkOf, response: Response,
    if_match: Annotated[str | None, Header(description="the ETag you read (optional)")] = None,
) -> schemas.CertificationRead:
    certification = await service.revoke_certification(work, actor, enterprise_id, certification_id,
                                                        body, if_match)
    response.headers["ETag"] = etag(certification.version)
    return schemas.CertificationRead.model_validate(certification)
