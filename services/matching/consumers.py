"""Matching's event handlers: they keep the read models. Each runs inside the consumer's inbox transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.models import EnterpriseProfile
from shared.bus.consumer import Subscription
from shared.events.catalog import REGISTRY_ENTERPRISE
from shared.events.envelope import CloudEvent
from shared.events.registry import (
    EnterpriseFiguresReported,
    EnterprisePoolChanged,
    EnterpriseRegistered,
    EnterpriseState,
    EnterpriseTierChanged,
    EnterpriseUpdated,
)

PROFILE_FIELDS = (
    "uscc", "name", "short_name", "district_code", "functional_zone", "industry_code", "sector", "cluster",
    "established_on", "main_products", "product_tags", "technical_capabilities", "capability_tags", "platform_id",
    "size_class", "pool",
)


async def on_enterprise_state(session: AsyncSession, event: CloudEvent) -> None:
    """registered / updated carry the whole public profile: upsert it, unless a newer version is already here."""
    payload = event.payload(EnterpriseState)  # both events carry the state; nothing else is read
    profile = await session.get(EnterpriseProfile, payload.enterprise_id)
    version = payload.version or 0
    if profile is not None and (profile.registry_version > version or
                                (profile.registry_version == version and profile.source_event_time > event.time)):
        return
    fields = {name: getattr(payload, name) for name in PROFILE_FIELDS}
    if profile is None:
        session.add(EnterpriseProfile(enterprise_id=payload.enterprise_id, registry_version=version,
                                      source_event_time=event.time, held_tiers=[], **fields))
        return
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.registry_version = version
    profile.source_event_time = event.time


async def _profile(session: AsyncSession, enterprise_id) -> EnterpriseProfile | None:  # type: ignore[no-untyped-def]
    # Events of one enterprise share a partition and arrive in order, so a tier or pool event never precedes the
    # registration; if the profile is missing the registration was lost upstream and the event is kept for a retry.
    profile = await session.get(EnterpriseProfile, enterprise_id)
    if profile is None:
        raise LookupError(f"no profile for enterprise {enterprise_id} yet")
    return profile


async def on_tier_changed(session: AsyncSession, event: CloudEvent) -> None:
    payload = event.payload(EnterpriseTierChanged)
    profile = await _profile(session, payload.enterprise_id)
    profile.held_tiers = sorted(payload.held_tiers)


async def on_pool_changed(session: AsyncSession, event: CloudEvent) -> None:
    payload = event.payload(EnterprisePoolChanged)
    profile = await _profile(session, payload.enterprise_id)
    profile.pool = payload.to_pool


async def on_figures_reported(session: AsyncSession, event: CloudEvent) -> None:
    payload = event.payload(EnterpriseFiguresReported)
    profile = await _profile(session, payload.enterprise_id)
    if payload.size_class is not None:
        profile.size_class = payload.size_class


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            name="enterprises",
            topics=(REGISTRY_ENTERPRISE.name,),
            handlers={
                EnterpriseRegistered.event_type: on_enterprise_state,
                EnterpriseUpdated.event_type: on_enterprise_state,
                EnterpriseTierChanged.event_type: on_tier_changed,
                EnterprisePoolChanged.event_type: on_pool_changed,
                EnterpriseFiguresReported.event_type: on_figures_reported,
            },
        )
    ]
