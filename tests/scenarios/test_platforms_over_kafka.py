"""The flagship-park list across processes, over the real Kafka broker: the registry registers a park and lists it
as a flagship of the year; the scenarios worker keeps it from the platform events; an officer publishes the
flagship-park list's edition in scenarios with the park on it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry import worker as registry_worker
from services.scenarios import worker as scenarios_worker
from services.scenarios.models import PlatformProfile
from shared.auth import Role
from shared.db import create_engine, session_factory
from tests.scenarios.support import TODAY
from tests.support import make_uscc, pg_url, running_app, settings_for, token, truncate, wait_for

ADMIN = token(Role.ADMIN)
CITY = token(Role.OFFICER, city_wide=True)


@pytest.fixture
async def registry_and_scenarios_workers(postgres: None, kafka: str) -> AsyncIterator[None]:
    await truncate("registry")
    await truncate("scenarios")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(registry_worker.run(settings_for("registry"), stop)),
             asyncio.create_task(scenarios_worker.run(settings_for("scenarios"), stop))]
    yield
    stop.set()
    for task in tasks:
        await asyncio.wait_for(task, 30)  # a worker that crashed re-raises here


async def _profile(platform_id: Any) -> PlatformProfile | None:
    engine = create_engine(pg_url("scenarios"))
    try:
        async with session_factory(engine)() as session:
            return await session.get(PlatformProfile, platform_id)
    finally:
        await engine.dispose()


async def test_a_flagship_park_listed_in_the_registry_is_on_the_scenarios_flagship_list(
    registry_and_scenarios_workers: None,
) -> None:
    year = TODAY.year
    park = {"platform_type": "incubator", "name": "湖州南太湖科技创新园", "operator_name": "湖州南太湖科创园运营有限公司",
            "operator_uscc": make_uscc(9401), "address": "湖州市南太湖大道 1 号", "longitude": 120.15,
            "latitude": 30.92, "district_code": "330502", "capacity": 40}
    async with running_app("registry", settings_for("registry")) as registry:
        created = await registry.post("/v1/platforms", json=park, headers=ADMIN)
        assert created.status_code == 201, created.text
        platform_id = uuid.UUID(created.json()["id"])
        listed = await registry.post("/v1/platforms/flagships", json={"year": year, "platform_id": str(platform_id)},
                                     headers=ADMIN)
        assert listed.status_code in (200, 201), listed.text

    async def flagship_in_scenarios() -> PlatformProfile | None:
        profile = await _profile(platform_id)
        return profile if profile is not None and year in profile.flagship_years else None

    profile = await wait_for(flagship_in_scenarios, timeout=45)
    assert (profile.name, profile.district_code) == ("湖州南太湖科技创新园", "330502")

    async with running_app("scenarios", settings_for("scenarios")) as scenarios:
        edition = await scenarios.post("/v1/lists/flagship_parks/editions", json={"year": year}, headers=CITY)
        assert edition.status_code == 201, edition.text
        assert [i["name"] for i in edition.json()["items"]] == ["湖州南太湖科技创新园"]
