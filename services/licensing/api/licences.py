"""/v1/patents/{id}/licences, …/open-licence/notices, …/trials and /v1/licences: grants, the open licence obtained by
notice + payment, 先用后转 trials and their conversion, payments and royalty schedules."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.licensing.domain.licences import LicenceKind, LicenceStatus
from services.licensing.schemas import licences as schemas
from services.licensing.service import licences as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag
from shared.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyRequired
from shared.types import USCC

router = APIRouter(tags=["licences"])

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.INSTITUTE, Role.SERVICE)]
Holder = Annotated[Actor, require_actor(Role.ADMIN, Role.INSTITUTE)]
Licensee = Annotated[Actor, require_actor(Role.ADMIN, Role.ENTERPRISE)]
Party = Annotated[Actor, require_actor(Role.ADMIN, Role.INSTITUTE, Role.ENTERPRISE)]
Limit = Annotated[int, Query(ge=1, le=200)]
GRANT_REFUSALS = {**IDEMPOTENCY_RESPONSES,
                  409: {"description": "an overlapping licence in force blocks this one (exclusive: every other; sole: "
                                       "other licensees), or the patent may not be exploited now; a request with "
                                       "this Idempotency-Key is in progress"}}


@router.post("/v1/patents/{patent_id}/licences", status_code=201, response_model=schemas.LicenceRead,
             summary="Grant a licence or transfer (exclusive, sole, ordinary; territory and term)",
             responses=GRANT_REFUSALS)
async def grant_licence(patent_id: uuid.UUID, body: schemas.GrantCreate, actor: Holder, work: WorkOf,
                        idempotency: IdempotencyRequired) -> Response:
    return (await service.grant_licence(work, actor, patent_id, body, idempotency)).http()


@router.post("/v1/patents/{patent_id}/open-licence/notices", status_code=201, response_model=schemas.LicenceRead,
             summary="Give written notice under the open licence (书面通知), with the payment if made",
             responses=GRANT_REFUSALS)
async def give_notice(patent_id: uuid.UUID, body: schemas.NoticeCreate, actor: Licensee, work: WorkOf,
                      idempotency: IdempotencyRequired) -> Response:
    return (await service.give_notice(work, actor, patent_id, body, idempotency)).http()


@router.post("/v1/patents/{patent_id}/trials", status_code=201, response_model=schemas.LicenceRead,
             summary="Start a free trial (先用后转) with its conversion agreed up front", responses=GRANT_REFUSALS)
async def start_trial(patent_id: uuid.UUID, body: schemas.TrialCreate, actor: Holder, work: WorkOf,
                      idempotency: IdempotencyRequired) -> Response:
    return (await service.start_trial(work, actor, patent_id, body, idempotency)).http()


@router.get("/v1/licences", response_model=Page[schemas.LicenceRead], summary="List the licences the caller may read")
async def list_licences(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    patent_id: uuid.UUID | None = None,
    status: Annotated[Literal[tuple(LicenceStatus)] | None, Query()] = None,  # type: ignore[valid-type]
    kind: Annotated[Literal[tuple(LicenceKind)] | None, Query()] = None,  # type: ignore[valid-type]
    licensee_uscc: Annotated[USCC | None, Query()] = None,
) -> Page[schemas.LicenceRead]:
    items, next_cursor = await service.list_licences(sessions, actor, limit=limit, cursor=cursor, patent_id=patent_id,
                                                     status=status, kind=kind, licensee_uscc=licensee_uscc)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/licences/{licence_id}", response_model=schemas.LicenceRead, summary="Read one licence")
async def get_licence(licence_id: uuid.UUID, actor: Reader, sessions: Sessions,
                      response: Response) -> schemas.LicenceRead:
    licence = await service.get_licence(sessions, actor, licence_id)
    response.headers["ETag"] = etag(licence.version)
    return licence


@router.post("/v1/licences/{licence_id}/payments", status_code=201, response_model=schemas.PaymentRead,
             summary="Record a payment (an open licence takes effect once notice and payment both hold)",
             responses={**IDEMPOTENCY_RESPONSES, 409: {"description": "the licence is not in force, or in its trial"}})
async def record_payment(licence_id: uuid.UUID, body: schemas.PaymentCreate, actor: Party, work: WorkOf,
                         idempotency: IdempotencyRequired) -> Response:
    return (await service.record_payment(work, actor, licence_id, body, idempotency)).http()


@router.get("/v1/licences/{licence_id}/payments", response_model=list[schemas.PaymentRead],
            summary="The payments made under a licence")
async def list_payments(licence_id: uuid.UUID, actor: Reader, sessions: Sessions) -> list[schemas.PaymentRead]:
    return await service.list_payments(sessions, actor, licence_id)


@router.get("/v1/licences/{licence_id}/schedule", response_model=list[schemas.InstalmentRead],
            summary="The royalty schedule: what falls due, and when")
async def royalty_schedule(licence_id: uuid.UUID, actor: Reader, sessions: Sessions,
                           period_months: Annotated[Literal[1, 3, 6, 12], Query()] = 3) -> list[schemas.InstalmentRead]:
    return await service.royalty_schedule(sessions, actor, licence_id, period_months=period_months)


@router.post("/v1/licences/{licence_id}/conversion", status_code=201, response_model=schemas.LicenceRead,
             summary="Convert a trial (有偿转化) by paying the agreed price, on or before its last day",
             responses={**IDEMPOTENCY_RESPONSES, 409: {"description": "the trial lapsed (the problem gives the day), "
                                                                      "or was converted already"}})
async def convert_trial(licence_id: uuid.UUID, body: schemas.ConversionCreate, actor: Party, work: WorkOf,
                        idempotency: IdempotencyRequired) -> Response:
    return (await service.convert_trial(work, actor, licence_id, body, idempotency)).http()


@router.post("/v1/licences/{licence_id}/termination", response_model=schemas.LicenceRead,
             summary="Record a licence's early end", responses={409: {"description": "not in force"},
                                                                412: {"description": "stale If-Match"},
                                                                428: {"description": "If-Match is missing"}})
async def terminate_licence(licence_id: uuid.UUID, body: schemas.Termination, actor: Holder, work: WorkOf,
                            response: Response, if_match: IfMatch = None) -> schemas.LicenceRead:
    licence = await service.terminate_licence(work, actor, licence_id, body, if_match)
    response.headers["ETag"] = etag(licence.version)
    return licence
