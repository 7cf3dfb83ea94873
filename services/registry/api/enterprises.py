"""/v1/enterprises: the enterprise records."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.registry import schemas, service
from shared.app import Sessions, Settings
from shared.auth import Actor, Role, require_actor

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

Registrar = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.ENTERPRISE)]
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.SERVICE, Role.REVIEWER, Role.ENTERPRISE)]


@router.post("", status_code=201, response_model=schemas.EnterpriseRead, summary="Register an enterprise",
             responses={409: {"description": "USCC already registered; `existing` points to the record"}})
async def register_enterprise(
    body: schemas.EnterpriseCreate, actor: Registrar, sessions: Sessions, settings: Settings, response: Response
) -> schemas.EnterpriseRead:
    enterprise = await service.register_enterprise(sessions, settings, actor, body)
    response.headers["Location"] = f"/v1/enterprises/{enterprise.id}"
    response.headers["ETag"] = f'"{enterprise.version}"'
    return schemas.EnterpriseRead.model_validate(enterprise)


@router.get("/{enterprise_id}", response_model=schemas.EnterpriseRead, summary="Read one enterprise")
async def get_enterprise(enterprise_id: uuid.UUID, actor: Reader, sessions: Sessions, response: Response) -> schemas.EnterpriseRead:
    enterprise = await service.get_enterprise(sessions, actor, enterprise_id)
    response.headers["ETag"] = f'"{enterprise.version}"'
    return schemas.EnterpriseRead.model_validate(enterprise)
