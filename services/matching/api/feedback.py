"""/v1/feedback: mark a match useful, not useful, contacted or deal (one current mark per marker and match)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from services.matching.schemas import feedback as schemas
from services.matching.service import feedback as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])

# People who know the case: officers, admins, and the enterprises on either side of the match.
Marker = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)]
Uscc = Annotated[str, Path(pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$", description="the matched firm's USCC")]


@router.put("/{demand_kind}/{demand_id}/{uscc}", response_model=schemas.FeedbackRead,
            summary="Mark a match (201 the first time, 200 when it replaces the marker's earlier mark)",
            description="Officers mark matches of their districts' demands or firms; an enterprise marks a match as "
                        "the demand's publisher or as the matched firm. How marks move the ranking, and why one "
                        "firm cannot lift itself: services/matching/domain/feedback.py.")
async def mark_match(
    demand_kind: Literal["scenario", "challenge"],
    demand_id: uuid.UUID,
    uscc: Uscc,
    body: schemas.FeedbackWrite,
    actor: Marker,
    work: WorkOf,
    response: Response,
) -> schemas.FeedbackRead:
    marked = await service.mark_match(work, actor, demand_kind, demand_id, uscc, body.mark, body.note)
    response.status_code = 201 if marked.created else 200
    return schemas.FeedbackRead.model_validate(marked.row)


@router.get("", response_model=Page[schemas.FeedbackRead], summary="The caller's marks (an admin: everyone's)")
async def list_marks(
    actor: Marker,
    sessions: Sessions,
    demand_id: uuid.UUID | None = None,
    uscc: Annotated[str | None, Query(pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[schemas.FeedbackRead]:
    rows, next_cursor = await service.list_marks(sessions, actor, demand_id=demand_id, uscc=uscc, limit=limit,
                                                 cursor=cursor)
    return Page(items=[schemas.FeedbackRead.model_validate(r) for r in rows], next_cursor=next_cursor)
