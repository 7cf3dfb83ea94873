"""/v1/patents: the patents of universities and institutes, their listing (挂牌) and their open licence (开放许可)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.licensing.domain.patents import Mode
from services.licensing.schemas import patents as schemas
from services.licensing.service import patents as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag
from shared.types import Line

router = APIRouter(prefix="/v1/patents", tags=["patents"])

# Every authenticated role reads listed patents; the holder institution reads its own in any state.
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.PARK_OPERATOR,
                                        Role.INSTITUTE, Role.SERVICE)]
# The holder institution (its own patents) and admins.
Holder = Annotated[Actor, require_actor(Role.ADMIN, Role.INSTITUTE)]
Limit = Annotated[int, Query(ge=1, le=200)]
PRECONDITIONS = {412: {"description": "If-Match does not name the current version"},
                 428: {"description": "If-Match is missing"}}


@router.post("", status_code=201, response_model=schemas.PatentRead, summary="Enter a patent",
             responses={409: {"description": "a patent with this application number is already entered"},
                        422: {"description": "invalid application number (the problem gives the expected check "
                                             "character), publication number, IPC class …"}})
async def create_patent(body: schemas.PatentCreate, actor: Holder, work: WorkOf,
                        response: Response) -> schemas.PatentRead:
    patent = await service.create_patent(work, actor, body)
    response.headers["Location"] = f"/v1/patents/{patent.id}"
    response.headers["ETag"] = etag(patent.version)
    return patent


@router.get("", response_model=Page[schemas.PatentRead], summary="List the patents the caller may read")
async def list_patents(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    listing: Annotated[Literal["unlisted", "listed", "delisted"] | None, Query()] = None,
    institute_id: Annotated[Line | None, Query(max_length=100)] = None,
    mode: Annotated[Literal[tuple(Mode)] | None, Query()] = None,  # type: ignore[valid-type]
    ipc: Annotated[Line | None, Query(max_length=30, description="IPC prefix, e.g. G06T")] = None,
) -> Page[schemas.PatentRead]:
    items, next_cursor = await service.list_patents(sessions, actor, limit=limit, cursor=cursor, listing=listing,
                                                    institute_id=institute_id, mode=mode, ipc=ipc)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{patent_id}", response_model=schemas.PatentRead, summary="Read one patent")
async def get_patent(patent_id: uuid.UUID, actor: Reader, sessions: Sessions,
                     response: Response) -> schemas.PatentRead:
    patent = await service.get_patent(sessions, actor, patent_id)
    response.headers["ETag"] = etag(patent.version)
    return patent


@router.patch("/{patent_id}", response_model=schemas.PatentRead,
              summary="Change a patent's standing (legal status, pledge, fees, co-owners' consent) or description",
              responses=PRECONDITIONS)
async def update_patent(patent_id: uuid.UUID, body: schemas.PatentUpdate, actor: Holder, work: WorkOf,
                        response: Response, if_match: IfMatch = None) -> schemas.PatentRead:
    patent = await service.update_patent(work, actor, patent_id, body, if_match)
    response.headers["ETag"] = etag(patent.version)
    return patent


@router.post("/{patent_id}/listing", response_model=schemas.PatentRead,
             summary="List the patent (挂牌) with the modes it is offered in",
             responses={**PRECONDITIONS, 409: {"description": "the patent may not be exploited now"}})
async def list_patent(patent_id: uuid.UUID, body: schemas.Listing, actor: Holder, work: WorkOf,
                      response: Response, if_match: IfMatch = None) -> schemas.PatentRead:
    patent = await service.list_patent(work, actor, patent_id, body, if_match)
    response.headers["ETag"] = etag(patent.version)
    return patent


@router.post("/{patent_id}/delisting", response_model=schemas.PatentRead, summary="Take the patent off the list",
             responses={**PRECONDITIONS, 409: {"description": "not listed, or an open licence is in force"}})
async def delist_patent(patent_id: uuid.UUID, body: schemas.Delisting, actor: Holder, work: WorkOf,
                        response: Response, if_match: IfMatch = None) -> schemas.PatentRead:
    patent = await service.delist_patent(work, actor, patent_id, body, if_match)
    response.headers["ETag"] = etag(patent.version)
    return patent


@router.post("/{patent_id}/open-licence", status_code=201, response_model=schemas.DeclarationRead,
             summary="Declare an open licence (开放许可声明, arts. 50–52)",
             responses={409: {"description": "refused: an exclusive or sole licence in force, pledged without the "
                                             "pledgee's consent, fees unpaid, a co-owner's consent missing"},
                        422: {"description": "the royalty or the evaluation report (utility models, designs) is "
                                             "missing"}})
async def declare_open_licence(patent_id: uuid.UUID, body: schemas.DeclarationCreate, actor: Holder,
                               work: WorkOf) -> schemas.DeclarationRead:
    return await service.declare_open_licence(work, actor, patent_id, body)


@router.get("/{patent_id}/open-licence", response_model=schemas.DeclarationRead,
            summary="The patent's open-licence declaration (the latest, in force or withdrawn)")
async def get_open_licence(patent_id: uuid.UUID, actor: Reader, sessions: Sessions) -> schemas.DeclarationRead:
    return await service.get_open_licence(sessions, actor, patent_id)


@router.post("/{patent_id}/open-licence/withdrawal", response_model=schemas.DeclarationRead,
             summary="Withdraw the open licence (published; licences already obtained stay)")
async def withdraw_open_licence(patent_id: uuid.UUID, body: schemas.Withdrawal, actor: Holder,
                                work: WorkOf) -> schemas.DeclarationRead:
    return await service.withdraw_open_licence(work, actor, patent_id, body)
