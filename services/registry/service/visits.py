"""Guidance-visit use cases (跟踪辅导): an officer logs a visit with its follow-ups, closes follow-ups, and reads the
open ones per officer and per district, overdue first.

Visits are the programme's working notes, not part of any tier or pool decision, so they publish no integration
event; every change leaves an audit entry.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.domain.visits import is_overdue
from services.registry.models import Enterprise
from services.registry.models.visits import GuidanceVisit, VisitFollowUp
from services.registry.schemas import visits as schemas
from services.registry.service.access import ENTERPRISE_SCOPE, ENTERPRISES
from shared.auth import Actor, Role
from shared.clock import programme_today
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.http import cursor_date, cursor_uuid
from shared.pagination import Key, paginate
from shared.scope import DistrictScope
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]


def _ensure_officer(actor: Actor) -> None:
    # Visits are logged and worked by programme officers (and admins); the enterprise only reads its own.
    if actor.principal.role not in (Role.ADMIN, Role.OFFICER):
        raise PermissionDenied(f"role {actor.principal.role.value} may not log or work guidance visits")


def sees_internal_notes(actor: Actor) -> bool:
    """Internal notes are the officers' own: the enterprise visited never sees them."""
    return actor.principal.role != Role.ENTERPRISE


def follow_up_read(follow_up: VisitFollowUp, today: date) -> schemas.FollowUpRead:
    return schemas.FollowUpRead(
        id=follow_up.id, visit_id=follow_up.visit_id, description=follow_up.description, owner=follow_up.owner,
        due_on=follow_up.due_on, status=follow_up.status, overdue=is_overdue(follow_up.status, follow_up.due_on, today),
        closed_on=follow_up.closed_on, closed_by=follow_up.closed_by, resolution=follow_up.resolution,
    )


def visit_read(actor: Actor, visit: GuidanceVisit, follow_ups: list[VisitFollowUp], today: date) -> schemas.VisitRead:
    fields: dict[str, Any] = dict(
        id=visit.id, enterprise_id=visit.enterprise_id, visited_on=visit.visited_on, officer=visit.officer,
        topics=visit.topics, problems_raised=visit.problems_raised, summary=visit.summary,
        follow_ups=[follow_up_read(f, today) for f in sorted(follow_ups, key=lambda f: f.position)],
        created_at=visit.created_at,
    )
    if sees_internal_notes(actor):
        fields["internal_notes"] = visit.internal_notes
    # Not passing internal_notes leaves it unset, and the routes drop unset fields from the response.
    return schemas.VisitRead(**fields)


async def log_visit(work: Work, actor: Actor, data: schemas.VisitCreate) -> schemas.VisitRead:
    _ensure_officer(actor)
    today = programme_today()
    if data.visited_on > today:
        raise InvalidInput("visited_on is in the future; log a visit once it has taken place", field="visited_on")
    for i, item in enumerate(data.follow_ups):
        if item.due_on < data.visited_on:
            raise InvalidInput("a follow-up cannot be due before the visit", field=f"follow_ups.{i}.due_on")
    async with work(actor) as uow:
        session = uow.session
        # Read, not locked: a visit is the officers' note about the firm and changes nothing of its record.
        enterprise = await ENTERPRISES.get(session, actor, data.enterprise_id)
        ENTERPRISE_SCOPE.ensure_manageable(actor, enterprise)
        visit = GuidanceVisit(
            enterprise_id=enterprise.id, visited_on=data.visited_on, officer=actor.principal.subject,
            topics=data.topics, problems_raised=data.problems_raised, summary=data.summary,
            internal_notes=data.internal_notes,
        )
        session.add(visit)
        await uow.flush()
        follow_ups = [VisitFollowUp(visit_id=visit.id, position=i, description=f.description, owner=f.owner,
                                    due_on=f.due_on, status="open")
                      for i, f in enumerate(data.follow_ups)]
        session.add_all(follow_ups)
        await uow.flush()
        uow.audit("guidance_visit.log", "guidance_visit", str(visit.id),
                  {"enterprise_id": enterprise.id, **data.model_dump(mode="json", exclude={"enterprise_id"})})
    return visit_read(actor, visit, follow_ups, today)


async def _follow_ups_of(session: AsyncSession, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[VisitFollowUp]]:
    found: dict[uuid.UUID, list[VisitFollowUp]] = {v: [] for v in visit_ids}
    if visit_ids:
        for follow_up in await session.scalars(select(VisitFollowUp).where(VisitFollowUp.visit_id.in_(visit_ids))):
            found[follow_up.visit_id].append(follow_up)
    return found


async def get_visit(sessions: Sessions, actor: Actor, visit_id: uuid.UUID) -> schemas.VisitRead:
    async with sessions() as session:
        # A visit of a firm outside the caller's scope reads as absent, like the firm itself.
        visit = await session.scalar(
            select(GuidanceVisit).join(Enterprise, Enterprise.id == GuidanceVisit.enterprise_id)
            .where(GuidanceVisit.id == visit_id, ENTERPRISE_SCOPE.readable(actor))
        )
        if visit is None:
            raise NotFound(f"no visit {visit_id}")
        follow_ups = await _follow_ups_of(session, [visit.id])
    return visit_read(actor, visit, follow_ups[visit.id], programme_today())


async def list_enterprise_visits(
    sessions: Sessions, actor: Actor, enterprise_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[schemas.VisitRead], str | None]:
    """An enterprise's visits, latest first."""
    async with sessions() as session:
        enterprise = await ENTERPRISES.get(session, actor, enterprise_id)
        page, next_cursor = await paginate(
            session, select(GuidanceVisit).where(GuidanceVisit.enterprise_id == enterprise.id),
            keys=(Key(GuidanceVisit.visited_on, cursor_date), Key(GuidanceVisit.id, cursor_uuid)), limit=limit,
            cursor=cursor, descending=True)
        follow_ups = await _follow_ups_of(session, [v.id for v in page])
    today = programme_today()
    return [visit_read(actor, v, follow_ups[v.id], today) for v in page], next_cursor


async def close_follow_up(
    work: Work, actor: Actor, follow_up_id: uuid.UUID, data: schemas.FollowUpClose
) -> schemas.FollowUpRead:
    _ensure_officer(actor)
    today = programme_today()
    closed_on = data.closed_on or today
    if closed_on > today:
        raise InvalidInput("closed_on is in the future", field="closed_on")
    async with work(actor) as uow:
        session = uow.session
        # A follow-up of a firm outside the caller's scope reads as absent, like the firm itself.
        found = (await session.execute(
            select(VisitFollowUp, GuidanceVisit, Enterprise)
            .join(GuidanceVisit, GuidanceVisit.id == VisitFollowUp.visit_id)
            .join(Enterprise, Enterprise.id == GuidanceVisit.enterprise_id)
            .where(VisitFollowUp.id == follow_up_id, ENTERPRISE_SCOPE.readable(actor))
        )).first()
        if found is None:
            raise NotFound(f"no follow-up {follow_up_id}")
        follow_up, visit, enterprise = found
        ENTERPRISE_SCOPE.ensure_manageable(actor, enterprise)
        if follow_up.status == "done":
            raise Conflict(f"the follow-up was already closed on {follow_up.closed_on} by {follow_up.closed_by}")
        if closed_on < visit.visited_on:
            raise InvalidInput(f"closed_on is before the visit on {visit.visited_on}", field="closed_on")
        # Conditional on still being open: of two officers closing it at once, one gets 200 and the other 409.
        closed = await session.execute(
            update(VisitFollowUp).where(VisitFollowUp.id == follow_up.id, VisitFollowUp.status == "open")
            .values(status="done", closed_on=closed_on, closed_by=actor.principal.subject, resolution=data.resolution)
            .execution_options(synchronize_session=False)
        )
        if closed.rowcount == 0:  # type: ignore[attr-defined]
            raise Conflict("the follow-up was closed by someone else a moment ago")
        await session.refresh(follow_up)
        uow.audit("guidance_visit.follow_up_closed", "guidance_visit", str(visit.id),
                  {"follow_up_id": follow_up.id, "closed_on": closed_on, "resolution": data.resolution})
    return follow_up_read(follow_up, today)


# By due date; the keys are selected as columns of their own, for paginate to read the cursor off the row.
_FOLLOW_UP_ORDER = (Key(VisitFollowUp.due_on, cursor_date), Key(VisitFollowUp.id, cursor_uuid))


async def list_follow_ups(
    sessions: Sessions,
    actor: Actor,
    *,
    status: str = "open",
    officer: str | None = None,
    district_code: str | None = None,
    owner: str | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[schemas.OpenFollowUpRead], str | None]:
    """Follow-ups per officer and per district, by due date: the overdue ones (due before today) therefore come
    first, the most overdue at the top."""
    _ensure_officer(actor)
    query = (select(VisitFollowUp, GuidanceVisit, Enterprise, *(key.column for key in _FOLLOW_UP_ORDER))
             .join(GuidanceVisit, GuidanceVisit.id == VisitFollowUp.visit_id)
             .join(Enterprise, Enterprise.id == GuidanceVisit.enterprise_id)
             .where(VisitFollowUp.status == status))
    # The officer's districts, narrowed to one when asked (403 for a district outside them).
    query = DistrictScope(ENTERPRISE_SCOPE, Enterprise.district_code, actor, district_code).apply(query)
    if officer is not None:
        query = query.where(GuidanceVisit.officer == officer)
    if owner is not None:
        query = query.where(VisitFollowUp.owner == owner)
    async with sessions() as session:
        rows, next_cursor = await paginate(session, query, keys=_FOLLOW_UP_ORDER, limit=limit, cursor=cursor)
    today = programme_today()
    items = [
        schemas.OpenFollowUpRead(
            **follow_up_read(row.VisitFollowUp, today).model_dump(), enterprise_id=row.Enterprise.id,
            enterprise_name=row.Enterprise.name, district_code=row.Enterprise.district_code,
            officer=row.GuidanceVisit.officer, visited_on=row.GuidanceVisit.visited_on,
        )
        for row in rows
    ]
    return items, next_cursor
