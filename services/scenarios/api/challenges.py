"""/v1/challenges: open challenges (揭榜挂帅 榜单) and their stages."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.scenarios.api.scenarios import PUBLIC_CACHE, Public, PublicLimit
from services.scenarios.schemas import challenges as schemas
from services.scenarios.schemas.scenarios import Cluster, DistrictCode, Sector
from services.scenarios.service import challenges as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag
from shared.types import USCC

router = APIRouter(prefix="/v1/challenges", tags=["challenges"])
# Without a token: the challenges that have been on the list (issue 12, item 4).
public_router = APIRouter(prefix="/v1/public/challenges", tags=["public"])

# Every authenticated role reads what is on the list; the rest is read in scope (service.CHALLENGE_SCOPE).
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.PARK_OPERATOR,
                                        Role.INSTITUTE, Role.SERVICE)]
# Issuers (a firm for itself, an officer for a department or a firm of its districts) and officers.
Writer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201, response_model=schemas.ChallengeRead, summary="Write a challenge (a draft)",
             responses={403: {"description": "the issuer or the district is outside the caller's scope"}})
async def create_challenge(body: schemas.ChallengeCreate, actor: Writer, work: WorkOf,
                           response: Response) -> schemas.ChallengeRead:
    challenge = await service.create_challenge(work, actor, body)
    response.headers["Location"] = f"/v1/challenges/{challenge.id}"
    response.headers["ETag"] = etag(challenge.version)
    return challenge


@router.get("", response_model=Page[schemas.ChallengeRead], summary="List the challenges the caller may read")
async def list_challenges(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    status: Annotated[schemas.Stage | None, Query()] = None,
    district_code: Annotated[DistrictCode | None, Query()] = None,
    sector: Annotated[Sector | None, Query()] = None,
    issuer_uscc: Annotated[USCC | None, Query()] = None,
) -> Page[schemas.ChallengeRead]:
    items, next_cursor = await service.list_challenges(sessions, actor, limit=limit, cursor=cursor, status=status,
                                                       district_code=district_code, sector=sector,
                                                       issuer_uscc=issuer_uscc)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{challenge_id}", response_model=schemas.ChallengeRead, summary="Read one challenge")
async def get_challenge(challenge_id: uuid.UUID, actor: Reader, sessions: Sessions,
                        response: Response) -> schemas.ChallengeRead:
    challenge = await service.get_challenge(sessions, actor, challenge_id)
    response.headers["ETag"] = etag(challenge.version)
    return challenge


@router.patch("/{challenge_id}", response_model=schemas.ChallengeRead, summary="Edit a draft challenge",
              responses={409: {"description": "the challenge is no longer being drafted"},
                         412: {"description": "If-Match does not name the current version"},
                         428: {"description": "If-Match is missing"}})
async def update_challenge(challenge_id: uuid.UUID, body: schemas.ChallengeUpdate, actor: Writer, work: WorkOf,
                           response: Response, if_match: IfMatch = None) -> schemas.ChallengeRead:
    challenge = await service.update_challenge(work, actor, challenge_id, body, if_match)
    response.headers["ETag"] = etag(challenge.version)
    return challenge


@router.post("/{challenge_id}/transitions", response_model=schemas.ChallengeRead,
             summary="Move a challenge through its stages (submit_for_review, publish, open_applications, …, close)",
             responses={409: {"description": "the current stage has no such command; `allowed` lists those it has"},
                        412: {"description": "If-Match does not name the current version"},
                        428: {"description": "If-Match is missing"}})
async def transition_challenge(challenge_id: uuid.UUID, body: schemas.ChallengeTransition, actor: Writer,
                               work: WorkOf, response: Response, if_match: IfMatch = None) -> schemas.ChallengeRead:
    challenge = await service.transition_challenge(work, actor, challenge_id, body, if_match)
    response.headers["ETag"] = etag(challenge.version)
    return challenge


@public_router.get("", response_model=Page[schemas.PublicChallengeRead],
                   summary="The challenges that have been on the list, as anyone sees them (no token)")
async def list_public_challenges(
    _: Public,
    sessions: Sessions,
    response: Response,
    limit: PublicLimit = 20,
    cursor: str | None = None,
    status: Annotated[schemas.PublicStage | None, Query()] = None,
    district_code: Annotated[DistrictCode | None, Query()] = None,
    sector: Annotated[Sector | None, Query()] = None,
    cluster: Annotated[Cluster | None, Query()] = None,
) -> Page[schemas.PublicChallengeRead]:
    items, next_cursor = await service.list_public_challenges(sessions, limit=limit, cursor=cursor, status=status,
                                                              district_code=district_code, sector=sector,
                                                              cluster=cluster)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return Page(items=items, next_cursor=next_cursor)


@public_router.get("/{challenge_id}", response_model=schemas.PublicChallengeRead,
                   summary="One challenge that has been on the list, as anyone sees it (no token)")
async def get_public_challenge(challenge_id: uuid.UUID, _: Public, sessions: Sessions,
                               response: Response) -> schemas.PublicChallengeRead:
    challenge = await service.get_public_challenge(sessions, challenge_id)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return challenge
