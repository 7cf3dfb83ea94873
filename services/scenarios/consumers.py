"""Scenarios event handlers. Each runs inside the consumer's inbox transaction."""

from __future__ import annotations

from services.scenarios.models import EnterpriseProfile, PlatformProfile
from services.scenarios.service.invitations import on_match_recommended
from shared.bus.consumer import Subscription
from shared.events.catalog import MATCHING_MATCH, REGISTRY_PLATFORM
from shared.events.envelope import CloudEvent
from shared.events.matching import MatchRecommended
from shared.events.registry import PlatformRegistered, PlatformState, PlatformUpdated
from shared.read_models.enterprises import enterprise_subscription
from shared.uow import UnitOfWork

PLATFORM_FIELDS = ("name", "platform_type", "district_code", "functional_zone", "operator_name", "flagship_years")


async def on_platform_state(uow: UnitOfWork, event: CloudEvent) -> None:
    """registered / updated carry the platform's whole public profile: upsert it, unless a newer version is here
    (a replayed older event must not undo a newer one)."""
    payload = event.payload(PlatformState)
    profile = await uow.session.get(PlatformProfile, payload.platform_id)
    version = payload.version or 0
    if profile is not None and (profile.registry_version > version or
                                (profile.registry_version == version and profile.source_event_time >= event.time)):
        return
    fields = {name: getattr(payload, name) for name in PLATFORM_FIELDS}
    fields["flagship_years"] = sorted(set(fields["flagship_years"]))
    if profile is None:
        uow.session.add(PlatformProfile(platform_id=payload.platform_id, registry_version=version,
                                        source_event_time=event.time, **fields))
        return
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.registry_version = version
    profile.source_event_time = event.time


def platform_subscription() -> Subscription:
    """The platforms as the registry publishes them: the flagship-park list (旗舰园区名单) reads these rows."""
    handlers = {PlatformRegistered.event_type: on_platform_state, PlatformUpdated.event_type: on_platform_state}
    # A copy of the registry's records: their changes were audited in the registry, not again here.
    return Subscription(name="platforms", topics=(REGISTRY_PLATFORM.name,), handlers=handlers, audited=False)


def recommendation_subscription() -> Subscription:
    """Matching's recommendations (match.recommended): each strong candidate is invited to answer the scenario or
    challenge (service/invitations.py). Invitations are this service's own records: audited."""
    return Subscription(name="recommendations", topics=(MATCHING_MATCH.name,),
                        handlers={MatchRecommended.event_type: on_match_recommended})


def subscriptions() -> list[Subscription]:
    return [enterprise_subscription(EnterpriseProfile), platform_subscription(), recommendation_subscription()]
