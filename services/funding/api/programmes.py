"""/v1/fund-pools, /v1/programmes, /v1/rounds, /v1/dated-amounts: the fund pool (配套基金池) → programme → round, and
the issuers' dated amounts; with each round's ledger (资金台账) and balance."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.funding.schemas import programmes as schemas
from services.funding.schemas.programmes import InstrumentIn
from services.funding.service import ledger as ledger_service
from services.funding.service import programmes as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag
from shared.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyRequired
from shared.types import Line

router = APIRouter(tags=["programmes"])

# Calls for applications are public to every authenticated role.
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.PARK_OPERATOR,
                                        Role.INSTITUTE, Role.SERVICE)]
# Programme staff of the issuer (scope: service.POOL_SCOPE …).
Manager = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
# The ledger: programme staff and services.
LedgerReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/v1/fund-pools", status_code=201, response_model=schemas.PoolRead, summary="Set up a fund pool")
async def create_pool(body: schemas.PoolCreate, actor: Manager, work: WorkOf, response: Response) -> schemas.PoolRead:
    pool = await service.create_pool(work, actor, body)
    response.headers["Location"] = f"/v1/fund-pools/{pool.id}"
    response.headers["ETag"] = etag(pool.version)
    return pool


@router.get("/v1/fund-pools", response_model=Page[schemas.PoolRead], summary="List fund pools")
async def list_pools(actor: Reader, sessions: Sessions, limit: Limit = 50,
                     cursor: str | None = None) -> Page[schemas.PoolRead]:
    items, next_cursor = await service.list_pools(sessions, actor, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/fund-pools/{pool_id}", response_model=schemas.PoolRead, summary="Read one fund pool")
async def get_pool(pool_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response) -> schemas.PoolRead:
    pool = await service.get_pool(sessions, actor, pool_id)
    response.headers["ETag"] = etag(pool.version)
    return pool


@router.patch("/v1/fund-pools/{pool_id}", response_model=schemas.PoolRead,
              summary="Change a fund pool's name, budget or dates under If-Match (never below what its programmes hold)",
              responses={409: {"description": "its programmes would no longer fit (budget or dates)"},
                         412: {"description": "If-Match does not name the current version"},
                         428: {"description": "If-Match is missing"}})
async def update_pool(pool_id: uuid.UUID, body: schemas.PoolUpdate, actor: Manager, work: WorkOf,
                      response: Response, if_match: IfMatch = None) -> schemas.PoolRead:
    pool = await service.update_pool(work, actor, pool_id, body, if_match)
    response.headers["ETag"] = etag(pool.version)
    return pool


@router.post("/v1/programmes", status_code=201, response_model=schemas.ProgrammeRead,
             summary="Set up a programme in a pool (instrument, cap, eligibility rules as data)",
             responses={409: {"description": "the pool's programmes would exceed its budget"}})
async def create_programme(body: schemas.ProgrammeCreate, actor: Manager, work: WorkOf,
                           response: Response) -> schemas.ProgrammeRead:
    programme = await service.create_programme(work, actor, body)
    response.headers["Location"] = f"/v1/programmes/{programme.id}"
    response.headers["ETag"] = etag(programme.version)
    return programme


@router.get("/v1/programmes", response_model=Page[schemas.ProgrammeRead], summary="List programmes")
async def list_programmes(actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
                          pool_id: uuid.UUID | None = None,
                          instrument: Annotated[InstrumentIn | None, Query()] = None) -> Page[schemas.ProgrammeRead]:
    items, next_cursor = await service.list_programmes(sessions, actor, limit=limit, cursor=cursor, pool_id=pool_id,
                                                       instrument=instrument)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/programmes/{programme_id}", response_model=schemas.ProgrammeRead, summary="Read one programme")
async def get_programme(programme_id: uuid.UUID, actor: Reader, sessions: Sessions,
                        response: Response) -> schemas.ProgrammeRead:
    programme = await service.get_programme(sessions, actor, programme_id)
    response.headers["ETag"] = etag(programme.version)
    return programme


@router.patch("/v1/programmes/{programme_id}", response_model=schemas.ProgrammeRead,
              summary="Change a programme's budget, cap, dates or rules under If-Match (never below what its rounds "
                      "were allocated)",
              responses={409: {"description": "it would no longer fit its pool, or its rounds would not fit it"},
                         412: {"description": "If-Match does not name the current version"},
                         428: {"description": "If-Match is missing"}})
async def update_programme(programme_id: uuid.UUID, body: schemas.ProgrammeUpdate, actor: Manager, work: WorkOf,
                           response: Response, if_match: IfMatch = None) -> schemas.ProgrammeRead:
    programme = await service.update_programme(work, actor, programme_id, body, if_match)
    response.headers["ETag"] = etag(programme.version)
    return programme


@router.get("/v1/programmes/{programme_id}/balance", response_model=schemas.ProgrammeBalanceRead,
            summary="The programme's balance: the sum of its rounds' ledgers")
async def programme_balance(programme_id: uuid.UUID, actor: LedgerReader,
                            sessions: Sessions) -> schemas.ProgrammeBalanceRead:
    return schemas.ProgrammeBalanceRead(**await ledger_service.programme_balance(sessions, actor, programme_id))


@router.post("/v1/programmes/{programme_id}/rounds", status_code=201, response_model=schemas.RoundRead,
             summary="Open a round of a programme; its budget is its first ledger allocation",
             responses={409: {"description": "the programme's rounds would exceed its budget"}})
async def create_round(programme_id: uuid.UUID, body: schemas.RoundCreate, actor: Manager, work: WorkOf,
                       response: Response) -> schemas.RoundRead:
    round_ = await service.create_round(work, actor, programme_id, body)
    response.headers["Location"] = f"/v1/rounds/{round_.id}"
    response.headers["ETag"] = etag(round_.version)
    return round_


@router.get("/v1/rounds", response_model=Page[schemas.RoundRead], summary="List rounds")
async def list_rounds(actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
                      programme_id: uuid.UUID | None = None) -> Page[schemas.RoundRead]:
    items, next_cursor = await service.list_rounds(sessions, actor, limit=limit, cursor=cursor,
                                                   programme_id=programme_id)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/v1/rounds/{round_id}", response_model=schemas.RoundRead, summary="Read one round")
async def get_round(round_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response) -> schemas.RoundRead:
    round_ = await service.get_round(sessions, actor, round_id)
    response.headers["ETag"] = etag(round_.version)
    return round_


@router.patch("/v1/rounds/{round_id}", response_model=schemas.RoundRead,
              summary="Change a round's terms (dates, cap, rules) under If-Match; its budget moves by allocations",
              responses={412: {"description": "If-Match does not name the current version"},
                         428: {"description": "If-Match is missing"}})
async def update_round(round_id: uuid.UUID, body: schemas.RoundUpdate, actor: Manager, work: WorkOf,
                       response: Response, if_match: IfMatch = None) -> schemas.RoundRead:
    round_ = await service.update_round(work, actor, round_id, body, if_match)
    response.headers["ETag"] = etag(round_.version)
    return round_


@router.post("/v1/rounds/{round_id}/allocations", status_code=201, response_model=schemas.RoundRead,
             summary="Top up a round's budget (an allocated entry), within the programme's budget",
             responses=IDEMPOTENCY_RESPONSES)
async def allocate(round_id: uuid.UUID, body: schemas.AllocationCreate, actor: Manager, work: WorkOf,
                   idempotency: IdempotencyRequired) -> Response:
    return (await service.allocate(work, actor, round_id, body, idempotency)).http()


@router.get("/v1/rounds/{round_id}/balance", response_model=schemas.RoundBalanceRead,
            summary="The round's balance, and whether it reconciles with its entries")
async def round_balance(round_id: uuid.UUID, actor: LedgerReader, sessions: Sessions) -> schemas.RoundBalanceRead:
    return schemas.RoundBalanceRead(**await ledger_service.round_balance(sessions, actor, round_id))


@router.get("/v1/rounds/{round_id}/ledger", response_model=Page[schemas.LedgerEntryRead],
            summary="The round's ledger entries, in the order they were appended")
async def list_entries(round_id: uuid.UUID, actor: LedgerReader, sessions: Sessions, limit: Limit = 100,
                       cursor: str | None = None,
                       reference: Annotated[Line | None, Query(max_length=100)] = None) -> Page[schemas.LedgerEntryRead]:
    rows, next_cursor = await ledger_service.list_entries(sessions, actor, round_id, limit=limit, cursor=cursor,
                                                          reference=reference)
    return Page(items=[schemas.LedgerEntryRead.model_validate(r, from_attributes=True) for r in rows],
                next_cursor=next_cursor)


@router.post("/v1/dated-amounts", status_code=201, response_model=schemas.DatedAmountRead,
             summary="Record an issuer's amount for an item from a date (a new year's figure is a new row)")
async def create_dated_amount(body: schemas.DatedAmountCreate, actor: Manager,
                              work: WorkOf) -> schemas.DatedAmountRead:
    return await service.create_dated_amount(work, actor, body)


@router.get("/v1/dated-amounts", response_model=Page[schemas.DatedAmountRead], summary="List the dated amounts")
async def list_dated_amounts(actor: Reader, sessions: Sessions, limit: Limit = 50, cursor: str | None = None,
                             issuer: Annotated[Line | None, Query(max_length=100)] = None,
                             item: Annotated[Line | None, Query(max_length=100)] = None) -> Page[schemas.DatedAmountRead]:
    items, next_cursor = await service.list_dated_amounts(sessions, actor, limit=limit, cursor=cursor, issuer=issuer,
                                                          item=item)
    return Page(items=items, next_cursor=next_cursor)
