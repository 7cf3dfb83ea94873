"""The enterprise read model (DESIGN §3): what scenarios, funding, licensing and matching know of the registry's
enterprises, kept from ``seedbed.registry.enterprise`` events in each service's own database.

A service declares its table with the mixin and subscribes with the consumer made for it:

    class EnterpriseProfile(Base, EnterpriseReadModel):
        pass

    def subscriptions() -> list[Subscription]:
        return [enterprise_subscription(EnterpriseProfile)]

Eligibility (a tier held, a pool, a size class, a district) is then checked against the service's own rows, never
by calling the registry.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text, Uuid
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.bus.consumer import Handler, Subscription
from shared.db import UTCDateTime, utcnow
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
from shared.uow import UnitOfWork


class EnterpriseReadModel:
    """The columns of the enterprise read model; mix into a service's declarative ``Base``."""

    __tablename__ = "enterprise_profiles"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(100))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    functional_zone: Mapped[str | None] = mapped_column(String(40))
    industry_code: Mapped[str | None] = mapped_column(String(5))
    sector: Mapped[str | None] = mapped_column(String(40))
    cluster: Mapped[str | None] = mapped_column(String(60))
    established_on: Mapped[date | None] = mapped_column(Date)
    main_products: Mapped[str | None] = mapped_column(Text)
    product_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    technical_capabilities: Mapped[str | None] = mapped_column(Text)
    capability_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    platform_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    size_class: Mapped[str | None] = mapped_column(String(10))
    pool: Mapped[str | None] = mapped_column(String(20))
    held_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The registry record version this row reflects: a replayed older profile event must not undo a newer one.
    registry_version: Mapped[int] = mapped_column(Integer, default=0)
    source_event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# What registered / updated carry of the public profile, copied as they are.
PROFILE_FIELDS = (
    "uscc", "name", "short_name", "district_code", "functional_zone", "industry_code", "sector", "cluster",
    "established_on", "main_products", "product_tags", "technical_capabilities", "capability_tags", "platform_id",
    "size_class", "pool",
)

def enterprise_handlers(model: type[EnterpriseReadModel]) -> dict[str, Handler]:
    """The handlers that keep ``model``'s rows, by event type. Each runs inside the consumer's inbox transaction."""

    async def on_enterprise_state(uow: UnitOfWork, event: CloudEvent) -> None:
        """registered / updated carry the whole public profile: upsert it, unless a newer version is already here."""
        session = uow.session
        payload = event.payload(EnterpriseState)  # both events carry the state; nothing else is read
        profile = await session.get(model, payload.enterprise_id)
        version = payload.version or 0
        if profile is not None and (profile.registry_version > version or
                                    (profile.registry_version == version and profile.source_event_time > event.time)):
            return
        fields: dict[str, Any] = {name: getattr(payload, name) for name in PROFILE_FIELDS}
        if profile is None:
            session.add(model(enterprise_id=payload.enterprise_id, registry_version=version,  # type: ignore[call-arg]
                              source_event_time=event.time, held_tiers=[], **fields))
            return
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.registry_version = version
        profile.source_event_time = event.time

    async def existing(session: AsyncSession, enterprise_id: uuid.UUID) -> EnterpriseReadModel:
        # Events of one enterprise share a partition and arrive in order, so a tier, pool or figures event never
        # precedes the registration; if the row is missing the registration was lost upstream, and the event is
        # retried, then dead-lettered, rather than dropped.
        profile = await session.get(model, enterprise_id)
        if profile is None:
            raise LookupError(f"no profile for enterprise {enterprise_id} yet")
        return profile

    async def on_tier_changed(uow: UnitOfWork, event: CloudEvent) -> None:
        payload = event.payload(EnterpriseTierChanged)
        # The event lists every tier held after the change: no history to keep.
        (await existing(uow.session, payload.enterprise_id)).held_tiers = sorted(payload.held_tiers)

    async def on_pool_changed(uow: UnitOfWork, event: CloudEvent) -> None:
        payload = event.payload(EnterprisePoolChanged)
        (await existing(uow.session, payload.enterprise_id)).pool = payload.to_pool

    async def on_figures_reported(uow: UnitOfWork, event: CloudEvent) -> None:
        payload = event.payload(EnterpriseFiguresReported)
        profile = await existing(uow.session, payload.enterprise_id)
        if payload.size_class is not None:  # figures too incomplete to classify leave the known class alone
            profile.size_class = payload.size_class

    return {
        EnterpriseRegistered.event_type: on_enterprise_state,
        EnterpriseUpdated.event_type: on_enterprise_state,
        EnterpriseTierChanged.event_type: on_tier_changed,
        EnterprisePoolChanged.event_type: on_pool_changed,
        EnterpriseFiguresReported.event_type: on_figures_reported,
    }


def enterprise_subscription(model: type[EnterpriseReadModel]) -> Subscription:
    """The consumer that keeps ``model``'s rows from the registry's enterprise events."""
    # A copy of the registry's records: their changes were audited in the registry, not again here.
    return Subscription(name="enterprises", topics=(REGISTRY_ENTERPRISE.name,), handlers=enterprise_handlers(model),
                        audited=False)


def create_enterprise_profiles_v1() -> None:
    """The enterprise_profiles table as a service's migration creates it (the mixin's columns as of now); frozen
    like every migration: a later change to the mixin is a new function and a new revision in each service."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "enterprise_profiles",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=True),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("functional_zone", sa.String(length=40), nullable=True),
        sa.Column("industry_code", sa.String(length=5), nullable=True),
        sa.Column("sector", sa.String(length=40), nullable=True),
        sa.Column("cluster", sa.String(length=60), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("main_products", sa.Text(), nullable=True),
        sa.Column("product_tags", sa.JSON(), nullable=False),
        sa.Column("technical_capabilities", sa.Text(), nullable=True),
        sa.Column("capability_tags", sa.JSON(), nullable=False),
        sa.Column("platform_id", sa.Uuid(), nullable=True),
        sa.Column("size_class", sa.String(length=10), nullable=True),
        sa.Column("pool", sa.String(length=20), nullable=True),
        sa.Column("held_tiers", sa.JSON(), nullable=False),
        sa.Column("registry_version", sa.Integer(), nullable=False),
        sa.Column("source_event_time", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", name="pk_enterprise_profiles"),
        sa.UniqueConstraint("uscc", name="uq_enterprise_profiles_uscc"),
    )
    op.create_index("ix_enterprise_profiles_district_code", "enterprise_profiles", ["district_code"])
