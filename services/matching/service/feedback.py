"""Feedback on matches: a marker's one current mark per match, stored, audited and sent as match.feedback."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching.domain.feedback import Mark, Relation
from services.matching.index import KIND_CHALLENGE, KIND_SCENARIO
from services.matching.models import ChallengeRecord, EnterpriseProfile, MatchFeedback, ScenarioRecord
from shared.auth import Actor, Role
from shared.errors import NotFound
from shared.events.matching import MatchFeedbackGiven
from shared.http import cursor_uuid
from shared.pagination import Key, paginate
from shared.uow import Work

FEEDBACK_KINDS = (KIND_SCENARIO, KIND_CHALLENGE)


@dataclass(frozen=True)
class Demand:
    """What marking needs of a demand: where it is and who published it."""

    kind: str
    id: uuid.UUID
    district_code: str
    publisher_uscc: str | None


async def load_demand(session: AsyncSession, kind: str, demand_id: uuid.UUID) -> Demand:
    if kind == KIND_SCENARIO:
        scenario = await session.get(ScenarioRecord, demand_id)
        if scenario is not None:
            return Demand(kind, demand_id, scenario.district_code, scenario.publisher_uscc)
    elif kind == KIND_CHALLENGE:
        challenge = await session.get(ChallengeRecord, demand_id)
        if challenge is not None:
            return Demand(kind, demand_id, challenge.district_code, challenge.issuer_uscc)
    raise NotFound(f"no {kind} {demand_id}", field="demand_id")


def marker_of(actor: Actor) -> str:
    """Who holds the mark: an enterprise by its USCC (any of its users), a person by the token's subject."""
    principal = actor.principal
    return f"uscc:{principal.uscc}" if principal.role is Role.ENTERPRISE else f"{principal.role.value}:{principal.subject}"


def relation_of(actor: Actor, demand: Demand, firm: EnterpriseProfile) -> Relation:
    """The marker's tie to the match, or NotFound for a caller who has none (existence is not revealed).

    Officers mark matches of demands or firms in their districts; an enterprise marks a match as the demand's
    publisher or as the matched firm."""
    principal = actor.principal
    if principal.role is Role.ADMIN:
        return Relation.OFFICER
    if principal.role is Role.OFFICER:
        if principal.can_see_district(demand.district_code) or principal.can_see_district(firm.district_code):
            return Relation.OFFICER
    elif principal.role is Role.ENTERPRISE and principal.uscc:
        if principal.uscc == demand.publisher_uscc:
            return Relation.PUBLISHER
        if principal.uscc == firm.uscc:
            return Relation.CANDIDATE
    raise NotFound(f"no match of {demand.kind} {demand.id} with firm {firm.uscc} for this caller")


@dataclass(frozen=True)
class Marked:
    row: MatchFeedback
    created: bool


async def mark_match(work: Work, actor: Actor, demand_kind: str, demand_id: uuid.UUID, uscc: str, mark: Mark,
                     note: str | None) -> Marked:
    async with work(actor) as uow:
        session = uow.session
        demand = await load_demand(session, demand_kind, demand_id)
        firm = await session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.uscc == uscc))
        if firm is None:
            raise NotFound(f"no enterprise {uscc}", field="uscc")
        relation = relation_of(actor, demand, firm)
        marker = marker_of(actor)
        # One current mark per (marker, match): concurrent marks by the same marker take turns, so the second reads
        # the first's row and changes it instead of racing it to the unique key.
        await uow.lock("match_feedback", marker, demand_kind, str(demand_id), uscc)
        row = await session.scalar(select(MatchFeedback).where(
            MatchFeedback.marker == marker, MatchFeedback.demand_kind == demand_kind,
            MatchFeedback.demand_id == demand_id, MatchFeedback.uscc == uscc))
        previous = row.mark if row is not None else None
        if row is not None and row.mark == mark.value and row.note == note:
            return Marked(row, created=False)
        if row is None:
            row = MatchFeedback(demand_kind=demand_kind, demand_id=demand_id, uscc=uscc, marker=marker,
                                marker_role=actor.principal.role.value, relation=relation.value, mark=mark.value,
                                note=note)
            session.add(row)
        else:
            row.mark, row.note, row.relation = mark.value, note, relation.value
            row.version += 1
        await uow.flush()
        uow.audit("match.mark", "match_feedback", str(row.id),
                  {"mark": [previous, mark.value], "demand": f"{demand_kind}:{demand_id}", "uscc": uscc})
        if previous != mark.value:
            uow.emit(MatchFeedbackGiven(demand_kind=demand_kind, demand_id=demand_id, uscc=uscc, mark=mark.value,
                                        previous_mark=previous, marker_role=actor.principal.role.value,
                                        relation=relation.value), subject=f"{demand_kind}:{demand_id}")
    return Marked(row, created=previous is None)


async def list_marks(sessions: async_sessionmaker[AsyncSession], actor: Actor, *, demand_id: uuid.UUID | None,
                     uscc: str | None, limit: int, cursor: str | None) -> tuple[list[MatchFeedback], str | None]:
    """The caller's own marks (an admin: everyone's), newest matches first by id order, filtered."""
    query = select(MatchFeedback)
    if actor.principal.role is not Role.ADMIN:
        query = query.where(MatchFeedback.marker == marker_of(actor))
    if demand_id is not None:
        query = query.where(MatchFeedback.demand_id == demand_id)
    if uscc is not None:
        query = query.where(MatchFeedback.uscc == uscc)
    async with sessions() as session:
        return await paginate(session, query, keys=(Key(MatchFeedback.id, cursor_uuid),), limit=limit, cursor=cursor)
