"""/v1/scenarios/{id}/candidates and /v1/challenges/{id}/candidates: the firms that can answer a published demand,
each with its reasons."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from services.matching.api import Live
from services.matching.index import KIND_CHALLENGE, KIND_SCENARIO
from services.matching.schemas import matches as schemas
from services.matching.service import matches as service
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor

router = APIRouter(tags=["candidates"])

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.ENTERPRISE)]

# The most candidates one list shows: a ranked shortlist to read, not a directory (the firm list is /v1/enterprises).
MAX_CANDIDATES = 50
District = Annotated[str, Query(pattern=r"^\d{6}$")]
TierName = Literal["tech_sme", "innovative_sme", "tech_innovative_sme", "srdi_sme", "little_giant", "hnte"]
SizeClass = Literal["large", "medium", "small", "micro"]

DESCRIPTION = ("Ranked by the formula of services/matching/domain/ranking.py. The publisher is never its own "
               "candidate. Firms below the formula's floor are not listed, so a list may be short or empty: `verdict` "
               "says whether any candidate is strong. Filters narrow the firms considered: `district_code`, `tier` "
               "and `size_class` (repeat for several values: any of them), `eligible_only` ({eligible}).")


@dataclass(frozen=True)
class CandidateQuery:
    """The query parameters both routes share."""

    limit: int
    filters: service.CandidateFilters


# A coroutine on purpose: FastAPI runs a plain callable dependency (a class, as this was) in a worker thread, a
# thread hop on every request (measured in the request's profile).
async def candidate_query(
    limit: Annotated[int, Query(ge=1, le=MAX_CANDIDATES)] = 10,
    district_code: Annotated[list[District] | None, Query(max_length=10)] = None,
    tier: Annotated[list[TierName] | None, Query(max_length=6)] = None,
    size_class: Annotated[list[SizeClass] | None, Query(max_length=4)] = None,
    eligible_only: bool = False,
) -> CandidateQuery:
    return CandidateQuery(limit, service.CandidateFilters(district_codes=district_code or (), tiers=tier or (),
                                                          size_classes=size_class or (), eligible_only=eligible_only))


def candidate_list(found: service.Candidates) -> schemas.CandidateList:
    items = [schemas.CandidateRead(enterprise_id=e.info.get("enterprise_id"), uscc=s.key, name=e.info.get("name"),
                                   **schemas.explanation(s)) for s, e in found.ranked.results]
    return schemas.CandidateList(
        demand=schemas.DemandRef(kind=found.kind, id=found.demand_id, title=found.title),  # type: ignore[arg-type]
        verdict=found.ranked.verdict, strong_candidates=sum(1 for i in items if i.strong),
        considered=found.ranked.considered, items=items)


def candidate_response(found: service.Candidates) -> Response:
    """The list as JSON, made once per ranked list: a remembered list (one per demand, filters and k, until a change
    that can alter it) is served as the bytes made the first time, without building and validating its models
    again (measured: ~0.6 ms of a request). Only lists of indexed demands keep their bytes: their title is the
    index's, and a change of the demand forgets its lists."""
    ranked = found.ranked
    body = ranked.rendered if found.indexed else None
    if body is None:
        body = candidate_list(found).model_dump_json().encode()
        if found.indexed:
            ranked.rendered = body
    return Response(body, media_type="application/json")


@router.get("/v1/scenarios/{scenario_id}/candidates", response_model=schemas.CandidateList,
            summary="Candidates for a scenario: top-k firms, each explained",
            description=DESCRIPTION.format(eligible="firms of the programme: in a pool or holding a tier"))
async def scenario_candidates(scenario_id: uuid.UUID, actor: Reader, sessions: Sessions, live: Live,
                              query: Annotated[CandidateQuery, Depends(candidate_query)]) -> Response:
    return candidate_response(await service.demand_candidates(sessions, live, actor, KIND_SCENARIO, scenario_id,
                                                              query.filters, k=query.limit))


@router.get("/v1/challenges/{challenge_id}/candidates", response_model=schemas.CandidateList,
            summary="Candidates for a challenge (揭榜挂帅): top-k firms, each explained",
            description=DESCRIPTION.format(eligible="firms that meet the challenge's 申报条件: tier, areas, sectors, "
                                                    "clusters, size classes, pools"))
async def challenge_candidates(challenge_id: uuid.UUID, actor: Reader, sessions: Sessions, live: Live,
                               query: Annotated[CandidateQuery, Depends(candidate_query)]) -> Response:
    return candidate_response(await service.demand_candidates(sessions, live, actor, KIND_CHALLENGE, challenge_id,
                                                              query.filters, k=query.limit))
