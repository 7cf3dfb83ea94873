"""/v1/rounds/{round_id}/automatic-awards: 免申即享 — a rule run over the enterprise read model makes pre-approved
awards without applications, each explained, within the round's budget."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.funding.schemas import applications as schemas
from services.funding.service import awards as service
from shared.app import WorkOf
from shared.auth import Actor, Role, require_actor
from shared.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyRequired

router = APIRouter(tags=["awards"])

Officer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]


@router.post("/v1/rounds/{round_id}/automatic-awards", status_code=201, response_model=schemas.AutomaticAwardRunRead,
             summary="Run a 免申即享 rule: pre-approved awards for every firm that qualifies, each explained",
             responses={**IDEMPOTENCY_RESPONSES,
                        409: {"description": "the round is not open, or no dated amount is in force for the item"}})
async def run_automatic_awards(round_id: uuid.UUID, body: schemas.AutomaticAwardRunCreate, actor: Officer,
                               work: WorkOf, idempotency: IdempotencyRequired) -> Response:
    return (await service.run_automatic_awards(work, actor, round_id, body, idempotency)).http()
