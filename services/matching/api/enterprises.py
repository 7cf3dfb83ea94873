"""/v1/enterprises: matching's view of the registered enterprises."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.matching.api import Live
from services.matching.schemas import enterprises as schemas
from services.matching.schemas import matches as schemas_matches
from services.matching.service import enterprises as service
from services.matching.service import matches
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor
from shared.http import Page

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
# A firm reads its own opportunities; officers those of their districts' firms.
OpportunityReader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.ENTERPRISE)]


@router.get("", response_model=Page[schemas.EnterpriseProfileRead], summary="List enterprises known to matching")
async def list_enterprises(
    actor: Reader,
    sessions: Sessions,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    district_code: str | None = None,
) -> Page[schemas.EnterpriseProfileRead]:
    rows, next_cursor = await service.list_enterprises(sessions, actor, limit=limit, cursor=cursor, district_code=district_code)
    return Page(items=[schemas.EnterpriseProfileRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{enterprise_id}", response_model=schemas.EnterpriseProfileRead, summary="Read one enterprise profile")
async def get_enterprise(enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions) -> schemas.EnterpriseProfileRead:
    return schemas.EnterpriseProfileRead.model_validate(await service.get_enterprise(sessions, actor, enterprise_id))


@router.get("/{enterprise_id}/opportunities", response_model=schemas_matches.OpportunityList,
            summary="Opportunities for a firm: open scenarios, challenges and listed patents it answers, explained",
            description="Each demand is scored exactly as the firm would be among the demand's candidates (the same "
                        "formula, from the demand to the firm); `kind` narrows the list (repeat for several).")
async def firm_opportunities(
    enterprise_id: uuid.UUID,
    actor: OpportunityReader,
    sessions: Sessions,
    live: Live,
    kind: Annotated[list[schemas_matches.DemandKind] | None, Query(max_length=3)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> schemas_matches.OpportunityList:
    firm, ranked = await matches.firm_opportunities(sessions, live, actor, enterprise_id, kind or (), k=limit)
    items = [schemas_matches.OpportunityRead(
        demand=schemas_matches.DemandRef(kind=e.info["kind"], id=e.info["id"], title=e.info.get("title")),
        district_code=e.info.get("district_code"), **schemas_matches.explanation(s)) for s, e in ranked.results]
    return schemas_matches.OpportunityList(enterprise_id=firm.enterprise_id, uscc=firm.uscc, verdict=ranked.verdict,
                                           items=items)
