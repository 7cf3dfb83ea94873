"""The vertical slice in one process: registry API -> outbox -> relay -> Kafka -> matching consumer -> matching API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from services.matching import worker as matching_worker
from services.matching.consumers import subscriptions
from services.matching.models import EnterpriseProfile
from services.registry import worker as registry_worker
from shared.auth import Role
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent
from shared.events.registry import EnterpriseRegistered, EnterpriseTierChanged, EnterpriseUpdated
from tests.support import (
    count_rows,
    make_uscc,
    pg_url,
    running_app,
    service_work,
    settings_for,
    token,
    truncate,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("postgres", "kafka")

SERVICE_TOKEN = token(Role.SERVICE)
SUBSCRIPTION = subscriptions()[0]


@pytest.fixture
async def workers() -> AsyncIterator[None]:
    await truncate("registry")
    await truncate("matching")
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(registry_worker.run(settings_for("registry"), stop)),
        asyncio.create_task(matching_worker.run(settings_for("matching"), stop)),
    ]
    yield
    stop.set()
    for task in tasks:
        await asyncio.wait_for(task, 30)  # a worker that crashed re-raises here


async def test_registered_enterprise_appears_in_matching(workers: None) -> None:
    uscc = make_uscc(101)
    async with running_app("registry", settings_for("registry")) as registry, running_app("matching", settings_for("matching")) as matching:
        created = await registry.post(
            "/v1/enterprises",
            json={"uscc": uscc, "name": "湖州绿色家居科技有限公司", "district_code": "330523", "industry_code": "C2110",
                  "main_products": "竹木复合家具"},
            headers=token(Role.OFFICER, city_wide=True),
        )
        assert created.status_code == 201, created.text
        enterprise_id = created.json()["id"]

        async def visible_in_matching():  # type: ignore[no-untyped-def]
            response = await matching.get(f"/v1/enterprises/{enterprise_id}", headers=SERVICE_TOKEN)
            return response if response.status_code == 200 else None

        profile = (await wait_for(visible_in_matching, timeout=30)).json()
        assert profile["uscc"] == uscc
        assert profile["name"] == "湖州绿色家居科技有限公司"
        assert profile["district_code"] == "330523"
        assert profile["main_products"] == "竹木复合家具"

        renamed = await registry.patch(f"/v1/enterprises/{enterprise_id}", json={"name": "湖州绿色家居集团有限公司"},
                                       headers={**token(Role.OFFICER, city_wide=True), "If-Match": created.headers["etag"]})
        assert renamed.status_code == 200, renamed.text

        async def renamed_in_matching():  # type: ignore[no-untyped-def]
            response = await matching.get(f"/v1/enterprises/{enterprise_id}", headers=SERVICE_TOKEN)
            return response if response.json()["name"] == "湖州绿色家居集团有限公司" else None

        await wait_for(renamed_in_matching, timeout=30)

        listed = await matching.get("/v1/enterprises", params={"district_code": "330523"}, headers=SERVICE_TOKEN)
        assert [p["enterprise_id"] for p in listed.json()["items"]] == [enterprise_id]
        # An officer of another district does not see it; a reviewer may not use matching's enterprise list at all.
        assert (await matching.get(f"/v1/enterprises/{enterprise_id}", headers=token(Role.OFFICER, districts=["330521"]))).status_code == 404
        assert (await matching.get("/v1/enterprises", headers=token(Role.REVIEWER))).status_code == 403

    assert await count_rows(pg_url("registry"), "outbox", "WHERE published_at IS NULL") == 0


async def test_a_replayed_older_profile_does_not_undo_a_newer_one_and_tiers_follow(postgres: None) -> None:
    await truncate("matching")
    enterprise_id = uuid.uuid4()
    base = dict(enterprise_id=enterprise_id, uscc=make_uscc(103), district_code="330502")
    v1 = CloudEvent.of(EnterpriseRegistered(**base, name="旧名", version=1), service="registry", subject=str(enterprise_id))
    v2 = CloudEvent.of(EnterpriseUpdated(**base, name="新名", version=2, changed_fields=["name"]), service="registry",
                       subject=str(enterprise_id))
    tier = CloudEvent.of(EnterpriseTierChanged(enterprise_id=enterprise_id, tier="srdi_sme", change="certified",
                                               held_tiers=["tech_innovative_sme", "srdi_sme"]),
                         service="registry", subject=str(enterprise_id))
    engine = create_engine(pg_url("matching"))
    sessions = session_factory(engine)
    work = service_work("matching", sessions)
    try:
        for event in (v1, v2, v1, tier):  # v1 again: a replay after v2
            async with work(None, caused_by=event, audited=SUBSCRIPTION.audited) as uow:
                await SUBSCRIPTION.handlers[event.type](uow, event)
        async with sessions() as session:
            profile = await session.get(EnterpriseProfile, enterprise_id)
        assert profile is not None
        assert profile.name == "新名" and profile.registry_version == 2
        assert profile.held_tiers == ["srdi_sme", "tech_innovative_sme"]
    finally:
        await engine.dispose()
