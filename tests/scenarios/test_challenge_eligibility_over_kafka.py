"""Eligibility follows the registry, over the real Kafka broker (DESIGN §10 steps 1 and 4): a firm registered in the
registry reaches scenarios' enterprise read model (registry worker → Kafka → scenarios worker); its application to
a challenge that asks for a tech SME is refused naming the tier rule; the registry certifies it as a tech SME; once
scenarios has the tier from the event, the same application is accepted."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from services.registry import worker as registry_worker
from services.scenarios import worker as scenarios_worker
from shared.auth import Role
from tests.scenarios.challenges_support import APPLICATION, OFFICER, open_for_applications
from tests.support import count_rows, make_uscc, pg_url, running_app, settings_for, token, truncate, wait_for

ADMIN = token(Role.ADMIN)


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


async def test_a_tier_certified_in_the_registry_makes_the_application_eligible(
        registry_and_scenarios_workers: None) -> None:
    uscc = make_uscc(8301, "330502")
    firm = token(Role.ENTERPRISE, uscc=uscc)
    body = {**APPLICATION, "partners": [],
            "team": [{"name": "周工", "role": "lead", "organisation_uscc": uscc, "title": "总工程师"}]}
    async with running_app("registry", settings_for("registry")) as registry, \
            running_app("scenarios", settings_for("scenarios")) as scenarios:
        created = await registry.post("/v1/enterprises", headers=ADMIN, json={
            "uscc": uscc, "name": "湖州轻材科技有限公司", "district_code": "330502", "industry_code": "C3061"})
        assert created.status_code == 201, created.text

        async def known_to_scenarios() -> bool:
            return await count_rows(pg_url("scenarios"), "enterprise_profiles", "WHERE uscc = :u", u=uscc) == 1

        await wait_for(known_to_scenarios, timeout=60)
        challenge = await open_for_applications(scenarios)
        path = f"/v1/challenges/{challenge['id']}/applications"
        refused = await scenarios.post(path, json=body, headers={**firm, "Idempotency-Key": str(uuid.uuid4())})
        assert refused.status_code == 422, refused.text
        assert [r["rule"] for r in refused.json()["failed_rules"]] == ["min_tier"]

        certified = await registry.post(f"/v1/enterprises/{created.json()['id']}/certifications", headers=ADMIN,
                                        json={"tier": "tech_sme", "certificate_no": "2026330502A0301",
                                              "override_reason": "科技厅入库公告，证书已核验"})
        assert certified.status_code == 201, certified.text

        async def holds_the_tier() -> bool:
            return await count_rows(pg_url("scenarios"), "enterprise_profiles",
                                    "WHERE uscc = :u AND CAST(held_tiers AS TEXT) LIKE '%tech_sme%'", u=uscc) == 1

        await wait_for(holds_the_tier, timeout=60)
        accepted = await scenarios.post(path, json=body, headers={**firm, "Idempotency-Key": str(uuid.uuid4())})
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["lead_name"] == "湖州轻材科技有限公司" and accepted.json()["status"] == "submitted"
        listed = (await scenarios.get(path, headers=OFFICER)).json()["items"]
        assert [a["lead_uscc"] for a in listed] == [uscc]
