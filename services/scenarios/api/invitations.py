"""/v1/invitations: the firms matching recommended for a scenario or a challenge, invited to answer (邀约)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.scenarios.schemas import invitations as schemas
from services.scenarios.service import invitations as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page, etag

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])

# A firm reads its own; officers those of their districts' demands; admins and services all (service.INVITATION_SCOPE).
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.SERVICE)]
# Only the invited firm answers.
Firm = Annotated[Actor, require_actor(Role.ENTERPRISE)]
Limit = Annotated[int, Query(ge=1, le=200)]
IfMatch = Annotated[str | None, Header(description="the ETag you read (optional: an invitation is answered once "
                                                   "whatever the version)")]


@router.get("", response_model=Page[schemas.InvitationRead],
            summary="The invitations the caller may read, newest first (a firm: its own)")
async def list_invitations(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    status: Annotated[schemas.Status | None, Query()] = None,
    demand_kind: Annotated[schemas.Kind | None, Query()] = None,
    demand_id: Annotated[uuid.UUID | None, Query(description="one scenario's or challenge's invitations")] = None,
) -> Page[schemas.InvitationRead]:
    items, next_cursor = await service.list_invitations(sessions, actor, limit=limit, cursor=cursor, status=status,
                                                        demand_kind=demand_kind, demand_id=demand_id)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/summary", response_model=schemas.InvitationSummary,
            summary="How the invited firms answered: counts by status and declines by reason code, in the caller's "
                    "scope")
async def summarise_invitations(
    actor: Reader,
    sessions: Sessions,
    demand_kind: Annotated[schemas.Kind | None, Query()] = None,
    demand_id: Annotated[uuid.UUID | None, Query(description="one scenario's or challenge's invitations")] = None,
) -> schemas.InvitationSummary:
    return await service.summarise_invitations(sessions, actor, demand_kind=demand_kind, demand_id=demand_id)


@router.get("/{invitation_id}", response_model=schemas.InvitationRead, summary="Read one invitation")
async def get_invitation(invitation_id: uuid.UUID, actor: Reader, sessions: Sessions,
                         response: Response) -> schemas.InvitationRead:
    invitation = await service.get_invitation(sessions, actor, invitation_id)
    response.headers["ETag"] = etag(invitation.version)
    return invitation


@router.post("/{invitation_id}/transitions", response_model=schemas.InvitationRead,
             summary="Answer an invitation: accept (a scenario: records the firm's interest) or decline with a reason",
             responses={409: {"description": "the invitation is answered already, or the demand no longer takes "
                                             "answers (it can still be declined)"},
                        412: {"description": "If-Match does not name the current version"}})
async def answer_invitation(invitation_id: uuid.UUID, body: schemas.InvitationAnswer, actor: Firm, work: WorkOf,
                            response: Response, if_match: IfMatch = None) -> schemas.InvitationRead:
    invitation = await service.answer_invitation(work, actor, invitation_id, body, if_match)
    response.headers["ETag"] = etag(invitation.version)
    return invitation
