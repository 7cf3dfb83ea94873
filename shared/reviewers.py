"""Reviewers' declarations of interests (利益冲突声明), shared by every service whose experts review firms'
applications (scenarios' challenges, funding's programmes); the rule that reads them is ``shared.conflicts``.

A reviewer declares once, for every review: their own organisation (none for an independent expert) and each tie
with a firm (a shareholding, employment, an office). An officer assigning the reviewer to an application is refused,
naming every tie, when the reviewer's organisation is a party or a declared tie reaches one; the service checks
again when the review is submitted (a tie declared since keeps the reviewer off it too).

A service keeps the declarations in its own database with the model mixin and mounts the two routes of the
declaring reviewer (``GET``/``PUT /v1/reviewers/me/declaration``) with :func:`declaration_router`::

    class ReviewerDeclaration(Versioned, Base, ReviewerDeclarationColumns):
        pass

    router = declaration_router(ReviewerDeclaration)

and, in its assignment and submission use cases, ``shared.conflicts.check_assignment(await declared(session, Model,
reviewer_id), applicant_uscc, partner_usccs)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.conflicts import DeclaredTie, Reviewer, TieKind
from shared.db import UTCDateTime, utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.http import check_if_match, etag
from shared.repository import apply_changes, refuse_version_of_absent
from shared.types import USCC
from shared.uow import Work

# --------------------------------------------------------------------------------------------------------------
# The declarations, as a service keeps them
# --------------------------------------------------------------------------------------------------------------


class ReviewerDeclarationColumns:
    """The columns of a reviewer's declaration; mix into a service's declarative ``Base`` with ``Versioned``."""

    __tablename__ = "reviewer_declarations"

    reviewer_id: Mapped[str] = mapped_column(String(200), primary_key=True)  # the token's subject
    organisation_uscc: Mapped[str | None] = mapped_column(String(18))
    ties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{uscc, kind}] (DeclaredTie)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def reviewer_of(row: ReviewerDeclarationColumns) -> Reviewer:
    return Reviewer(row.reviewer_id, row.organisation_uscc, tuple(DeclaredTie(t["uscc"], t["kind"]) for t in row.ties))


async def declared(session: AsyncSession, model: type[ReviewerDeclarationColumns], reviewer_id: str) -> Reviewer:
    """The reviewer's declaration as the rule reads it; 409 when they have not declared (a reviewer is assigned only
    once declared)."""
    row = await session.get(model, reviewer_id)
    if row is None:
        raise Conflict(f"reviewer {reviewer_id} has not declared their interests; a reviewer is assigned only once "
                       "declared", field="reviewer_id")
    return reviewer_of(row)


class TieIn(BaseModel):
    """A tie with a firm: a shareholding (持股), employment (任职), or an office (董监高)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: USCC
    kind: Literal[tuple(TieKind)]  # type: ignore[valid-type]


class DeclarationIn(BaseModel):
    """利益冲突声明: the reviewer's own organisation (none for an independent expert) and every tie with a firm.
    A reviewer is assigned only once declared; a tie with an applicant or a partner keeps the reviewer off it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation_uscc: USCC | None = None
    ties: Annotated[list[TieIn], Field(max_length=200)] = []


class DeclarationRead(BaseModel):
    reviewer_id: str
    organisation_uscc: str | None
    ties: list[dict[str, str]]
    declared_at: datetime
    updated_at: datetime
    version: int


def declaration_read(row: Any) -> DeclarationRead:
    return DeclarationRead(reviewer_id=row.reviewer_id, organisation_uscc=row.organisation_uscc, ties=row.ties,
                           declared_at=row.declared_at, updated_at=row.updated_at, version=row.version)


async def get_declaration(sessions: Sessions, model: type[Any], actor: Actor) -> DeclarationRead:
    async with sessions() as session:
        row = await session.get(model, actor.principal.subject)
    if row is None:
        raise NotFound(f"reviewer {actor.principal.subject} has not declared their interests yet")
    return declaration_read(row)


async def declare(work: Work, model: type[Any], actor: Actor, data: DeclarationIn,
                  if_match: str | None) -> DeclarationRead:
    """The reviewer's own declaration, written or replaced (If-Match on a replacement)."""
    ties = []
    for index, tie in enumerate(data.ties):
        try:
            ties.append(DeclaredTie(tie.uscc, tie.kind))
        except InvalidInput as refused:
            refused.field = f"ties.{index}.{refused.field}"
            raise
    values = {"organisation_uscc": data.organisation_uscc,
              "ties": [{"uscc": t.uscc, "kind": t.kind.value} for t in dict.fromkeys(ties)]}
    async with work(actor) as uow:
        row = await uow.session.get(model, actor.principal.subject, with_for_update=True)
        if row is None:
            refuse_version_of_absent(if_match, "this reviewer has not declared yet")
            row = model(reviewer_id=actor.principal.subject, **values)
            uow.session.add(row)
            changed = {name: {"from": None, "to": value} for name, value in values.items()}
        else:
            check_if_match(if_match, row.version)
            changed = apply_changes(row, values)
        if changed:
            await uow.flush()
            uow.audit("reviewer.declare", "reviewer_declaration", row.reviewer_id, changed)
        read = declaration_read(row)
    return read


DeclaringReviewer = Annotated[Actor, require_actor(Role.REVIEWER)]


def declaration_router(model: type[Any]) -> APIRouter:
    """The declaring reviewer's own two routes, over ``model`` (the service's table of declarations)."""
    router = APIRouter(tags=["reviewers"])

    @router.get("/v1/reviewers/me/declaration", response_model=DeclarationRead,
                summary="The calling reviewer's declaration of interests")
    async def get_own_declaration(actor: DeclaringReviewer, sessions: Sessions, response: Response) -> DeclarationRead:
        declaration = await get_declaration(sessions, model, actor)
        response.headers["ETag"] = etag(declaration.version)
        return declaration

    @router.put("/v1/reviewers/me/declaration", response_model=DeclarationRead,
                summary="Declare (or replace) the calling reviewer's organisation and ties with firms",
                responses={412: {"description": "If-Match does not name the current version"},
                           428: {"description": "If-Match is missing on a replacement"}})
    async def declare_own(body: DeclarationIn, actor: DeclaringReviewer, work: WorkOf, response: Response,
                          if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
                          ) -> DeclarationRead:
        declaration = await declare(work, model, actor, body, if_match)
        response.headers["ETag"] = etag(declaration.version)
        return declaration

    return router
