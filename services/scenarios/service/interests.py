"""Expressions of interest (意向): a firm answers a published scenario, once (a repeat returns the first answer);
the publisher, the district's officers, admins and services see who answered, any other firm only its own.

Nothing here is personal data: a firm by its USCC and name, and what it offers in its own words."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scenarios.domain.scenarios import ensure_accepts_interest
from services.scenarios.models import Scenario, ScenarioInterest
from services.scenarios.schemas import interests as schemas
from services.scenarios.service.scenarios import SCENARIO_SCOPE, SCENARIOS, publisher_names
from shared.auth import Actor, Role
from shared.errors import Conflict, InvalidInput, PermissionDenied
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.uow import UnitOfWork, Work

Sessions = async_sessionmaker[AsyncSession]


def _read(interest: ScenarioInterest, names: dict[str, str]) -> schemas.InterestRead:
    return schemas.InterestRead(id=interest.id, scenario_id=interest.scenario_id,
                                enterprise_uscc=interest.enterprise_uscc,
                                enterprise_name=names.get(interest.enterprise_uscc), note=interest.note,
                                created_at=interest.created_at)


async def _existing(session: AsyncSession, scenario_id: uuid.UUID, uscc: str) -> ScenarioInterest | None:
    return await session.scalar(select(ScenarioInterest).where(ScenarioInterest.scenario_id == scenario_id,
                                                               ScenarioInterest.enterprise_uscc == uscc))


async def _answer(session: AsyncSession, interest: ScenarioInterest) -> schemas.InterestRead:
    return _read(interest, await publisher_names(session, {interest.enterprise_uscc}))


def firm_of(actor: Actor) -> str:
    """The answering firm: the enterprise token's USCC."""
    if not actor.principal.uscc:
        raise PermissionDenied("an enterprise token names the firm's USCC; this one names none", field="uscc")
    return actor.principal.uscc


async def record_interest(uow: UnitOfWork, actor: Actor, scenario: Scenario, uscc: str,
                          note: str | None) -> tuple[ScenarioInterest, bool]:
    """The firm's interest in ``scenario``, recorded in ``uow`` unless it was there already (then: that row, and
    False). Both ways in use it: a firm answering the scenario, and a firm accepting its invitation to it
    (service/invitations.py)."""
    if (earlier := await _existing(uow.session, scenario.id, uscc)) is not None:
        return earlier, False
    ensure_accepts_interest(scenario.status)
    if scenario.publisher_uscc == uscc:
        raise InvalidInput("a firm does not answer its own scenario", field="enterprise_uscc")
    interest = ScenarioInterest(scenario_id=scenario.id, enterprise_uscc=uscc, note=note,
                                created_by=actor.principal.subject)
    uow.session.add(interest)
    await uow.flush()
    uow.audit("scenario.interest", "scenario", str(scenario.id),
              {"interest_id": str(interest.id), "enterprise_uscc": uscc, "note": note})
    return interest, True


def raced_to_the_same_interest(conflict: Conflict) -> bool:
    """A conflict on the interest's unique key: the same firm's concurrent request recorded it first, and its row is
    this answer too."""
    return conflict.field == "enterprise_uscc"


async def express_interest(work: Work, actor: Actor, scenario_id: uuid.UUID,
                           data: schemas.InterestCreate) -> tuple[schemas.InterestRead, bool]:
    """The firm's interest, and whether this request recorded it (False: it was there already, unchanged)."""
    uscc = firm_of(actor)
    try:
        async with work(actor) as uow:
            scenario = await SCENARIOS.get(uow.session, actor, scenario_id)
            interest, created = await record_interest(uow, actor, scenario, uscc, data.note)
            read = await _answer(uow.session, interest)
    except Conflict as conflict:
        if not raced_to_the_same_interest(conflict):
            raise
        async with work.sessions() as session:
            earlier = await _existing(session, scenario_id, uscc)
            if earlier is None:
                raise
            return await _answer(session, earlier), False
    return read, created


def sees_every_interest(actor: Actor, scenario: Scenario) -> bool:
    """Those who work the case: whoever may manage the scenario (admins, the district's officers, the publishing
    firm), and services."""
    return actor.principal.role == Role.SERVICE or SCENARIO_SCOPE.may_manage(actor, scenario)


_ORDER = (Key(ScenarioInterest.created_at, cursor_datetime), Key(ScenarioInterest.id, cursor_uuid))


async def list_interests(sessions: Sessions, actor: Actor, scenario_id: uuid.UUID, *, limit: int,
                         cursor: str | None) -> tuple[list[schemas.InterestRead], str | None]:
    """Who answered, first answers first."""
    async with sessions() as session:
        scenario = await SCENARIOS.get(session, actor, scenario_id)
        query = select(ScenarioInterest).where(ScenarioInterest.scenario_id == scenario.id)
        if not sees_every_interest(actor, scenario):
            if actor.principal.role != Role.ENTERPRISE:
                raise PermissionDenied("only the publisher and the officers of the scenario's district see who is "
                                       "interested", field="district_code")
            # Another firm learns only whether it answered itself.
            query = query.where(ScenarioInterest.enterprise_uscc == (actor.principal.uscc or ""))
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor)
        names = await publisher_names(session, {i.enterprise_uscc for i in page})
    return [_read(i, names) for i in page], next_cursor
