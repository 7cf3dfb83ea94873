"""The shared enterprise read model (DESIGN §3): one mixin and one consumer, each service keeping its own rows."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.funding import worker as funding_worker
from services.funding.models import EnterpriseProfile as FundingProfile
from services.registry import worker as registry_worker
from shared.auth import Role
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent
from shared.events.registry import (
    EnterpriseFiguresReported,
    EnterprisePoolChanged,
    EnterpriseRegistered,
    EnterpriseTierChanged,
    EnterpriseUpdated,
)
from shared.read_models.enterprises import EnterpriseReadModel
from tests.support import make_uscc, pg_url, running_app, service_work, settings_for, token, truncate, wait_for

OFFICER = token(Role.OFFICER, city_wide=True)
KEEPERS = ("scenarios", "matching", "funding", "licensing")


async def read_profile(service: str, enterprise_id: Any) -> Any:
    model = importlib.import_module(f"services.{service}.models").EnterpriseProfile
    engine = create_engine(pg_url(service))
    try:
        async with session_factory(engine)() as session:
            return await session.get(model, enterprise_id)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", KEEPERS)
async def test_each_service_keeps_its_own_copy_with_the_same_rules(service: str, postgres: None) -> None:
    model = importlib.import_module(f"services.{service}.models").EnterpriseProfile
    assert issubclass(model, EnterpriseReadModel) and model.__tablename__ == "enterprise_profiles"
    # A service may keep other read models too (scenarios: platforms); this one is the consumer named enterprises.
    (subscription,) = [s for s in importlib.import_module(f"services.{service}.consumers").subscriptions()
                       if s.name == "enterprises"]
    await truncate(service)
    enterprise_id = uuid.uuid4()
    subject = str(enterprise_id)
    base = dict(enterprise_id=enterprise_id, uscc=make_uscc(201), district_code="330503", industry_code="C3921",
                sector="strategic_emerging", cluster="digital_economy", product_tags=["传感器"], size_class="micro")
    v1 = CloudEvent.of(EnterpriseRegistered(**base, name="旧名", version=1), service="registry", subject=subject)
    v2 = CloudEvent.of(EnterpriseUpdated(**base, name="新名", version=2, changed_fields=["name"]),
                       service="registry", subject=subject)
    events = [
        v1, v2, v1,  # v1 again: a replay after v2 undoes nothing
        CloudEvent.of(EnterpriseTierChanged(enterprise_id=enterprise_id, tier="srdi_sme", change="certified",
                                            held_tiers=["tech_innovative_sme", "srdi_sme"]),
                      service="registry", subject=subject),
        CloudEvent.of(EnterprisePoolChanged(enterprise_id=enterprise_id, from_pool=None, to_pool="seedling_pool",
                                            reason="entry by rule"), service="registry", subject=subject),
        CloudEvent.of(EnterpriseFiguresReported(enterprise_id=enterprise_id, year=2025, size_class="small"),
                      service="registry", subject=subject),
        # Figures too incomplete to classify leave the known class alone.
        CloudEvent.of(EnterpriseFiguresReported(enterprise_id=enterprise_id, year=2024), service="registry",
                      subject=subject),
    ]
    engine = create_engine(pg_url(service))
    work = service_work(service, session_factory(engine))
    try:
        for event in events:
            async with work(None, caused_by=event, audited=subscription.audited) as uow:
                await subscription.handlers[event.type](uow, event)
        # A tier event for a firm the service never heard of is retried (then dead-lettered), never dropped.
        stray = CloudEvent.of(EnterpriseTierChanged(enterprise_id=uuid.uuid4(), tier="hnte", change="certified"),
                              service="registry", subject="stray")
        with pytest.raises(LookupError):
            async with work(None, caused_by=stray, audited=subscription.audited) as uow:
                await subscription.handlers[stray.type](uow, stray)
    finally:
        await engine.dispose()
    profile = await read_profile(service, enterprise_id)
    assert (profile.name, profile.registry_version) == ("新名", 2)
    assert (profile.district_code, profile.industry_code, profile.sector, profile.cluster) == (
        "330503", "C3921", "strategic_emerging", "digital_economy")
    assert profile.product_tags == ["传感器"]
    assert profile.held_tiers == ["srdi_sme", "tech_innovative_sme"]
    assert (profile.pool, profile.size_class) == ("seedling_pool", "small")


@pytest.fixture
async def registry_and_funding_workers(postgres: None, kafka: str) -> AsyncIterator[None]:
    await truncate("registry")
    await truncate("funding")
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(registry_worker.run(settings_for("registry"), stop)),
        asyncio.create_task(funding_worker.run(settings_for("funding"), stop)),
    ]
    yield
    stop.set()
    for task in tasks:
        await asyncio.wait_for(task, 30)  # a worker that crashed re-raises here


async def test_funding_learns_of_a_registered_firm_and_its_size_class_over_kafka(
    registry_and_funding_workers: None,
) -> None:
    async with running_app("registry", settings_for("registry")) as registry:
        created = await registry.post(
            "/v1/enterprises",
            json={"uscc": make_uscc(202), "name": "湖州智感电子有限公司", "district_code": "330503",
                  "industry_code": "C3921"},
            headers=OFFICER,
        )
        assert created.status_code == 201, created.text
        enterprise_id = uuid.UUID(created.json()["id"])
        figures = {"employees": 50, "operating_revenue_fen": 20_000_000_00, "total_assets_fen": 15_000_000_00}
        reported = await registry.put(f"/v1/enterprises/{enterprise_id}/figures/2024", json=figures, headers=OFFICER)
        assert reported.status_code == 201, reported.text
        size_class = (await registry.get(f"/v1/enterprises/{enterprise_id}", headers=OFFICER)).json()["size_class"]
        assert size_class is not None

    async def classified_in_funding() -> FundingProfile | None:
        profile = await read_profile("funding", enterprise_id)
        return profile if profile is not None and profile.size_class == size_class else None

    profile = await wait_for(classified_in_funding, timeout=30)
    assert (profile.name, profile.district_code, profile.industry_code) == ("湖州智感电子有限公司", "330503", "C3921")
