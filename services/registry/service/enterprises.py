"""Registry use cases. Each one is a unit of work: it owns the transaction in which the state change, its
integration event (outbox) and its audit entry commit together."""

from __future__ import annotations

import uuid
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry import schemas
from services.registry.models import Enterprise, bus
from shared.auth import Actor, Role
from shared.bus.outbox import add_audit, add_event
from shared.errors import Conflict, NotFound, PermissionDenied
from shared.events.envelope import CloudEvent
from shared.events.registry import EnterpriseRegistered
from shared.settings import ServiceSettings

SERVICE = "registry"


def _ensure_may_manage(actor: Actor, district_code: str, uscc: str | None = None) -> None:
    p = actor.principal
    if p.role == Role.ENTERPRISE:
        if uscc is None or p.uscc != uscc:
            raise PermissionDenied("an enterprise may act only on its own record")
        return
    if not p.can_see_district(district_code):
        raise PermissionDenied(f"district {district_code} is outside this officer's scope", field="district_code")


async def register_enterprise(
    sessions: async_sessionmaker[AsyncSession], settings: ServiceSettings, actor: Actor, data: schemas.EnterpriseCreate
) -> Enterprise:
    _ensure_may_manage(actor, data.district_code, data.uscc)
    async with sessions.begin() as session:
        existing = await session.scalar(select(Enterprise.id).where(Enterprise.uscc == data.uscc))
        if existing is not None:
            raise _duplicate(data.uscc, existing)
        enterprise = Enterprise(**data.model_dump())
        session.add(enterprise)
        try:
            await session.flush()
        except IntegrityError:
            # A concurrent request registered the same USCC between our check and our insert.
            raise Conflict(f"an enterprise with USCC {data.uscc} already exists", field="uscc") from None
        payload = EnterpriseRegistered(
            enterprise_id=enterprise.id,
            uscc=enterprise.uscc,
            name=enterprise.name,
            district_code=enterprise.district_code,
            industry_code=enterprise.industry_code,
            established_on=enterprise.established_on,
            main_products=enterprise.main_products,
        )
        event = CloudEvent.of(payload, service=SERVICE, subject=str(enterprise.id), correlation_id=actor.request_id)
        await add_event(session, bus, event, topic=settings.topic(payload.topic), key=str(enterprise.id))
        await add_audit(
            session,
            bus,
            actor=actor.principal.subject,
            actor_role=actor.principal.role.value,
            action="enterprise.register",
            entity_type="enterprise",
            entity_id=str(enterprise.id),
            changes=data.model_dump(mode="json"),
            request_id=actor.request_id,
        )
    return enterprise


def _duplicate(uscc: str, existing: uuid.UUID) -> Conflict:
    return Conflict(
        f"an enterprise with USCC {uscc} already exists",
        field="uscc",
        existing=f"/v1/enterprises/{existing}",
    )


async def get_enterprise(sessions: async_sessionmaker[AsyncSession], actor: Actor, enterprise_id: uuid.UUID) -> Enterprise:
    async with sessions() as session:
        enterprise = await session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"no enterprise {enterprise_id}")
    p = actor.principal
    if p.role == Role.ENTERPRISE and p.uscc != enterprise.uscc:
        # Not 403: an enterprise must not learn which other records exist.
        raise NotFound(f"no enterprise {enterprise_id}")
    if p.role == Role.OFFICER and not p.can_see_district(enterprise.district_code):
        raise NotFound(f"no enterprise {enterprise_id}")
    return enterprise
