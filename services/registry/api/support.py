"""/v1/enterprises/{id}/support and /v1/statistics/support: public money a firm received (from funding's events)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.schemas import support as schemas
from services.registry.service import support as service
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor

router = APIRouter(tags=["support"])

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE, Role.SERVICE)]
Staff = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]
District = Annotated[str | None, Query(pattern=r"^\d{6}$", description="narrow to one district (GB/T 2260 code)")]


@router.get("/v1/enterprises/{enterprise_id}/support", response_model=schemas.SupportRead,
            summary="Public money the firm received (disbursed, clawed back), by programme")
async def support_of(enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions) -> schemas.SupportRead:
    found = await service.support_of(sessions, actor, enterprise_id)
    return schemas.SupportRead(**{**found, "movements": [schemas.SupportMovementRead.model_validate(
        m, from_attributes=True) for m in found["movements"]]})


@router.get("/v1/statistics/support", response_model=schemas.SupportStatisticsRead,
            summary="Support received by firms: net fen and firms supported, by district and instrument")
async def support_statistics(actor: Staff, sessions: Sessions,
                             district_code: District = None) -> schemas.SupportStatisticsRead:
    return schemas.SupportStatisticsRead(**await service.support_statistics(sessions, actor, district_code))
