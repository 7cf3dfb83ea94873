"""/v1/enterprises/{id}/figures, /ip-holdings, /honours, /declarations: what an enterprise reports and holds.

Officers (in their districts) and admins write; an enterprise may submit its own; reviewers and the service role
read (the roles that read a firm's evaluations and pool assessment, which carry the same figures: access.py).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.exceptions import RequestValidationError

from services.registry.schemas import figures as schemas
from services.registry.service import figures as service
from services.registry.service.access import FIGURE_READER_ROLES, VERIFIER_ROLES
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page, etag

router = APIRouter(prefix="/v1/enterprises/{enterprise_id}", tags=["figures"])

Submitter = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Reader = Annotated[Actor, require_actor(*FIGURE_READER_ROLES)]
# What a firm declares about itself is verified by an officer of its district (or an admin).
Verifier = Annotated[Actor, require_actor(*VERIFIER_ROLES)]
IfMatch = Annotated[str | None, Header(description="the ETag you read; required to correct an existing record")]
Year = Annotated[int, Path(ge=1949, le=2100, description="financial year (calendar year)")]
Limit = Annotated[int, Query(ge=1, le=200)]

CONCURRENCY = {412: {"description": "If-Match does not name the current version"},
               428: {"description": "If-Match is missing on a correction"}}
NOT_FOUND = {404: {"description": "no such enterprise (or outside the caller's scope), or no such record"}}


def _read_figures(row) -> schemas.AnnualFiguresRead:  # type: ignore[no-untyped-def]
    return schemas.AnnualFiguresRead.model_validate(row)


def _read_ip(row) -> schemas.IpHoldingRead:  # type: ignore[no-untyped-def]
    return schemas.IpHoldingRead.model_validate({**{c: getattr(row, c) for c in schemas.IpHoldingRead.model_fields
                                                    if c != "ip_class"}, "ip_class": schemas.ip_class(row.kind)})


# --- annual figures ----------------------------------------------------------------------------------------------


@router.put("/figures/{year}", response_model=schemas.AnnualFiguresRead,
            summary="Report or correct one year's figures (年报)",
            responses={201: {"description": "first report of the year"}, **CONCURRENCY, **NOT_FOUND})
async def put_figures(
    enterprise_id: uuid.UUID, year: Year, body: schemas.AnnualFiguresWrite, actor: Submitter, work: WorkOf,
    response: Response, if_match: IfMatch = None,
) -> schemas.AnnualFiguresRead:
    row, created = await service.put_figures(work, actor, enterprise_id, year, body, if_match)
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/v1/enterprises/{enterprise_id}/figures/{year}"
    response.headers["ETag"] = etag(row.version)
    return _read_figures(row)


@router.get("/figures", response_model=Page[schemas.AnnualFiguresRead], summary="The years reported, latest first")
async def list_figures(
    enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 20, cursor: str | None = None
) -> Page[schemas.AnnualFiguresRead]:
    rows, next_cursor = await service.list_figures(sessions, actor, enterprise_id, limit=limit, cursor=cursor)
    return Page(items=[_read_figures(r) for r in rows], next_cursor=next_cursor)


@router.get("/figures/{year}", response_model=schemas.AnnualFiguresRead, summary="One year's figures",
            responses=NOT_FOUND)
async def get_figures(
    enterprise_id: uuid.UUID, year: Year, actor: Reader, sessions: Sessions, response: Response
) -> schemas.AnnualFiguresRead:
    row = await service.get_figures(sessions, actor, enterprise_id, year)
    response.headers["ETag"] = etag(row.version)
    return _read_figures(row)


# --- IP holdings -------------------------------------------------------------------------------------------------


@router.post("/ip-holdings", status_code=201, response_model=schemas.IpHoldingRead, summary="Record an IP holding",
             responses={409: {"description": "the reference is already recorded; `existing` points to it"}, **NOT_FOUND})
async def add_ip_holding(
    enterprise_id: uuid.UUID, body: schemas.IpHoldingWrite, actor: Submitter, work: WorkOf, response: Response,
) -> schemas.IpHoldingRead:
    row = await service.add_ip_holding(work, actor, enterprise_id, body)
    response.headers["Location"] = f"/v1/enterprises/{enterprise_id}/ip-holdings/{row.id}"
    response.headers["ETag"] = etag(row.version)
    return _read_ip(row)


@router.get("/ip-holdings", response_model=Page[schemas.IpHoldingRead], summary="IP holdings, newest first")
async def list_ip_holdings(
    enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
    kind: str | None = None,
) -> Page[schemas.IpHoldingRead]:
    rows, next_cursor = await service.list_holdings(service.IP_HOLDINGS, sessions, actor, enterprise_id, limit=limit,
                                                    cursor=cursor, kind=kind)
    return Page(items=[_read_ip(r) for r in rows], next_cursor=next_cursor)


@router.get("/ip-holdings/{holding_id}", response_model=schemas.IpHoldingRead, summary="One IP holding",
            responses=NOT_FOUND)
async def get_ip_holding(
    enterprise_id: uuid.UUID, holding_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response
) -> schemas.IpHoldingRead:
    row = await service.get_holding(service.IP_HOLDINGS, sessions, actor, enterprise_id, holding_id)
    response.headers["ETag"] = etag(row.version)
    return _read_ip(row)


@router.put("/ip-holdings/{holding_id}", response_model=schemas.IpHoldingRead, summary="Correct an IP holding",
            responses={**CONCURRENCY, **NOT_FOUND})
async def replace_ip_holding(
    enterprise_id: uuid.UUID, holding_id: uuid.UUID, body: schemas.IpHoldingWrite, actor: Submitter,
    work: WorkOf, response: Response, if_match: IfMatch = None,
) -> schemas.IpHoldingRead:
    row = await service.replace_holding(service.IP_HOLDINGS, work, actor, enterprise_id, holding_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return _read_ip(row)


@router.delete("/ip-holdings/{holding_id}", status_code=204, summary="Remove an IP holding (lapsed, recorded in error)",
               responses={412: CONCURRENCY[412], **NOT_FOUND})
async def remove_ip_holding(
    enterprise_id: uuid.UUID, holding_id: uuid.UUID, actor: Submitter, work: WorkOf, if_match: IfMatch = None,
) -> Response:
    await service.remove_holding(service.IP_HOLDINGS, work, actor, enterprise_id, holding_id, if_match)
    return Response(status_code=204)


# --- honours and qualifications ----------------------------------------------------------------------------------


def _check_honour(body: schemas.HonourWrite) -> None:
    faults = schemas.honour_faults(body)
    if faults:
        # Reported like any request validation error: every field at fault at once, nothing written.
        raise RequestValidationError([{"loc": ("body", name), "msg": reason, "type": "value_error"}
                                      for name, reason in faults])


@router.post("/honours", status_code=201, response_model=schemas.HonourRead,
             summary="Record an honour or qualification (荣誉资质)",
             responses={409: {"description": "a development score for that year is already recorded"}, **NOT_FOUND})
async def add_honour(
    enterprise_id: uuid.UUID, body: schemas.HonourWrite, actor: Submitter, work: WorkOf, response: Response,
) -> schemas.HonourRead:
    _check_honour(body)
    row = await service.add_honour(work, actor, enterprise_id, body)
    response.headers["Location"] = f"/v1/enterprises/{enterprise_id}/honours/{row.id}"
    response.headers["ETag"] = etag(row.version)
    return schemas.HonourRead.model_validate(row)


@router.get("/honours", response_model=Page[schemas.HonourRead], summary="Honours and qualifications, newest first")
async def list_honours(
    enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
    kind: str | None = None,
    verification: Annotated[schemas.HonourVerification | None,
                            Query(description="declared: those waiting for an officer")] = None,
) -> Page[schemas.HonourRead]:
    rows, next_cursor = await service.list_holdings(service.HONOURS, sessions, actor, enterprise_id, limit=limit,
                                                    cursor=cursor, kind=kind, verification=verification)
    return Page(items=[schemas.HonourRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/honours/{honour_id}", response_model=schemas.HonourRead, summary="One honour", responses=NOT_FOUND)
async def get_honour(
    enterprise_id: uuid.UUID, honour_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response
) -> schemas.HonourRead:
    row = await service.get_holding(service.HONOURS, sessions, actor, enterprise_id, honour_id)
    response.headers["ETag"] = etag(row.version)
    return schemas.HonourRead.model_validate(row)


@router.put("/honours/{honour_id}", response_model=schemas.HonourRead, summary="Correct an honour",
            responses={**CONCURRENCY, **NOT_FOUND})
async def replace_honour(
    enterprise_id: uuid.UUID, honour_id: uuid.UUID, body: schemas.HonourWrite, actor: Submitter, work: WorkOf,
    response: Response, if_match: IfMatch = None,
) -> schemas.HonourRead:
    _check_honour(body)
    row = await service.replace_holding(service.HONOURS, work, actor, enterprise_id, honour_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return schemas.HonourRead.model_validate(row)


@router.post("/honours/{honour_id}/verification", response_model=schemas.HonourRead,
             summary="Verify or reject an honour the firm declared (核实): only verified honours count in statistics "
             "and evaluations",
             responses={409: {"description": "the honour already has that verification"}, **CONCURRENCY, **NOT_FOUND})
async def verify_honour(
    enterprise_id: uuid.UUID, honour_id: uuid.UUID, body: schemas.HonourVerificationCreate, actor: Verifier,
    work: WorkOf, response: Response,
    if_match: Annotated[str | None, Header(description="the ETag of the honour as examined")] = None,
) -> schemas.HonourRead:
    row = await service.verify_honour(work, actor, enterprise_id, honour_id, body, if_match)
    response.headers["ETag"] = etag(row.version)
    return schemas.HonourRead.model_validate(row)


@router.delete("/honours/{honour_id}", status_code=204, summary="Remove an honour",
               responses={412: CONCURRENCY[412], **NOT_FOUND})
async def remove_honour(
    enterprise_id: uuid.UUID, honour_id: uuid.UUID, actor: Submitter, work: WorkOf, if_match: IfMatch = None,
) -> Response:
    await service.remove_holding(service.HONOURS, work, actor, enterprise_id, honour_id, if_match)
    return Response(status_code=204)


# --- compliance declarations -------------------------------------------------------------------------------------


@router.put("/declarations", response_model=schemas.DeclarationsRead,
            summary="Make or correct the compliance declarations (合规声明) the tiers' general conditions read",
            responses={201: {"description": "first declarations"}, **CONCURRENCY, **NOT_FOUND})
async def put_declarations(
    enterprise_id: uuid.UUID, body: schemas.DeclarationsWrite, actor: Submitter, work: WorkOf, response: Response,
    if_match: IfMatch = None,
) -> schemas.DeclarationsRead:
    row, created = await service.put_declarations(work, actor, enterprise_id, body, if_match)
    if created:
        response.status_code = 201
    response.headers["ETag"] = etag(row.version)
    return schemas.DeclarationsRead.model_validate(row)


@router.get("/declarations", response_model=schemas.DeclarationsRead, summary="The compliance declarations",
            responses=NOT_FOUND)
async def get_declarations(
    enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response
) -> schemas.DeclarationsRead:
    row = await service.get_declarations(sessions, actor, enterprise_id)
    response.headers["ETag"] = etag(row.version)
    return schemas.DeclarationsRead.model_validate(row)
