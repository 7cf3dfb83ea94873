"""Matching's event handlers: they keep the read models. Each runs inside the consumer's inbox transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.models import EnterpriseProfile
from shared.bus.consumer import Subscription
from shared.events.catalog import REGISTRY_ENTERPRISE
from shared.events.envelope import CloudEvent
from shared.events.registry import EnterpriseRegistered


async def on_enterprise_registered(session: AsyncSession, event: CloudEvent) -> None:
    payload = event.payload(EnterpriseRegistered)
    profile = await session.get(EnterpriseProfile, payload.enterprise_id)
    if profile is not None and profile.source_event_time > event.time:
        return  # a newer event already shaped this row
    fields = dict(
        uscc=payload.uscc,
        name=payload.name,
        district_code=payload.district_code,
        industry_code=payload.industry_code,
        established_on=payload.established_on,
        main_products=payload.main_products,
        source_event_time=event.time,
    )
    if profile is None:
        session.add(EnterpriseProfile(enterprise_id=payload.enterprise_id, **fields))
    else:
        for key, value in fields.items():
            setattr(profile, key, value)


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            name="enterprises",
            topics=(REGISTRY_ENTERPRISE.name,),
            handlers={EnterpriseRegistered.event_type: on_enterprise_registered},
        )
    ]
