"""Matching use cases (reads of the read models for now)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching.models import EnterpriseProfile
from shared.auth import Actor, Role
from shared.errors import NotFound
from shared.http import cursor_uuid, decode_cursor, encode_cursor


def _visible(actor: Actor, profile: EnterpriseProfile) -> bool:
    return actor.principal.role != Role.OFFICER or actor.principal.can_see_district(profile.district_code)


async def get_enterprise(sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID) -> EnterpriseProfile:
    async with sessions() as session:
        profile = await session.get(EnterpriseProfile, enterprise_id)
    if profile is None or not _visible(actor, profile):
        raise NotFound(f"no enterprise {enterprise_id} in matching's read model")
    return profile


async def list_enterprises(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, *, limit: int, cursor: str | None, district_code: str | None
) -> tuple[list[EnterpriseProfile], str | None]:
    query = select(EnterpriseProfile).order_by(EnterpriseProfile.enterprise_id).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, cursor_uuid)
        query = query.where(EnterpriseProfile.enterprise_id > after)
    if district_code:
        query = query.where(EnterpriseProfile.district_code == district_code)
    if actor.principal.role == Role.OFFICER and actor.principal.districts:
        query = query.where(EnterpriseProfile.district_code.in_(actor.principal.districts))
    async with sessions() as session:
        rows = list((await session.scalars(query)).all())
    next_cursor = encode_cursor([str(rows[limit - 1].enterprise_id)]) if len(rows) > limit else None
    return rows[:limit], next_cursor
