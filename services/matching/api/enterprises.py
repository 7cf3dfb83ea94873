"""/v1/enterprises: matching's view of the registered enterprises."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.matching import schemas, service
from shared.app import Sessions
from shared.auth import Actor, Role, require_actor
from shared.http import Page

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE)]


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
