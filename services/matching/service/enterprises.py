"""Reads of matching's copy of the registered enterprises."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching.models import EnterpriseProfile
from shared.auth import Actor, Role
from shared.http import cursor_uuid
from shared.pagination import Key, paginate
from shared.repository import Records
from shared.scope import EVERYWHERE, InDistrict, OwnUscc, ScopeRule

# Matching's copy of the firms: officers see their districts' firms, admins and other services all of them, an
# enterprise its own (its opportunities).
PROFILE_SCOPE = ScopeRule(
    noun="enterprise in matching's read model",
    readers={Role.ADMIN: EVERYWHERE, Role.SERVICE: EVERYWHERE, Role.OFFICER: InDistrict(EnterpriseProfile.district_code),
             Role.ENTERPRISE: OwnUscc(EnterpriseProfile.uscc)},
    managers={},  # kept from registry events only
)
PROFILES = Records(EnterpriseProfile, PROFILE_SCOPE)


async def get_enterprise(sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID) -> EnterpriseProfile:
    async with sessions() as session:
        return await PROFILES.get(session, actor, enterprise_id)


async def list_enterprises(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, *, limit: int, cursor: str | None, district_code: str | None
) -> tuple[list[EnterpriseProfile], str | None]:
    query = PROFILES.select(actor)
    if district_code:
        query = query.where(EnterpriseProfile.district_code == district_code)
    async with sessions() as session:
        return await paginate(session, query, keys=(Key(EnterpriseProfile.enterprise_id, cursor_uuid),), limit=limit,
                              cursor=cursor)
