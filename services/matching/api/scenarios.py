"""/v1/scenarios/{id}/candidates: the firms that can answer a published scenario, each with its reasons."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.matching.api import Live
from services.matching.schemas import matches as schemas
from services.matching.service import matches as service
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor

router = APIRouter(prefix="/v1/scenarios", tags=["candidates"])

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.ENTERPRISE)]

# The most candidates one list shows: a ranked shortlist to read, not a directory (the firm list is /v1/enterprises).
MAX_CANDIDATES = 50
District = Annotated[str, Query(pattern=r"^\d{6}$")]
TierName = Literal["tech_sme", "innovative_sme", "tech_innovative_sme", "srdi_sme", "little_giant", "hnte"]
SizeClass = Literal["large", "medium", "small", "micro"]


@router.get("/{scenario_id}/candidates", response_model=schemas.CandidateList,
            summary="Candidates for a scenario: top-k firms, each explained",
            description="Ranked by the formula of services/matching/domain/ranking.py. The scenario's publisher is "
                        "never its own candidate. Firms below the formula's floor are not listed, so a list may be "
                        "short or empty: `verdict` says whether any candidate is strong. Filters narrow the firms "
                        "considered: `district_code`, `tier` and `size_class` (repeat for several values: any of "
                        "them), `eligible_only` (firms of the programme: in a pool or holding a tier).")
async def scenario_candidates(
    scenario_id: uuid.UUID,
    actor: Reader,
    sessions: Sessions,
    live: Live,
    limit: Annotated[int, Query(ge=1, le=MAX_CANDIDATES)] = 10,
    district_code: Annotated[list[District] | None, Query(max_length=10)] = None,
    tier: Annotated[list[TierName] | None, Query(max_length=6)] = None,
    size_class: Annotated[list[SizeClass] | None, Query(max_length=4)] = None,
    eligible_only: bool = False,
) -> schemas.CandidateList:
    filters = service.CandidateFilters(district_codes=district_code or (), tiers=tier or (),
                                       size_classes=size_class or (), eligible_only=eligible_only)
    found = await service.scenario_candidates(sessions, live, actor, scenario_id, filters, k=limit)
    items = [schemas.CandidateRead(enterprise_id=e.info.get("enterprise_id"), uscc=s.key, name=e.info.get("name"),
                                   **schemas.explanation(s)) for s, e in found.ranked.results]
    return schemas.CandidateList(
        demand=schemas.DemandRef(kind=found.kind, id=found.demand_id, title=found.title),  # type: ignore[arg-type]
        verdict=found.ranked.verdict, strong_candidates=sum(1 for i in items if i.strong),
        considered=found.ranked.considered, items=items)
