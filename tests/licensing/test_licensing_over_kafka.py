"""The loop of DESIGN §10 steps 6–7 in one process over the real broker and PostgreSQL: a firm registered in the
registry reaches licensing's read model (registry worker → Kafka → licensing worker); it takes a university patent
under an open licence by notice + payment; licence.granted leaves through licensing's outbox and relay, and the
registry's worker counts the patent in the firm's IP and re-runs its evaluation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.licensing import worker as licensing_worker
from services.registry import worker as registry_worker
from shared.auth import Role
from tests.licensing.licensing_support import HOLDER, TODAY, key, patent_body
from tests.registry.figures_support import COMPLIANT
from tests.registry.test_evaluations_api import TECH_SME_2024
from tests.support import count_rows, make_uscc, pg_url, running_app, settings_for, token, truncate, wait_for

pytestmark = pytest.mark.usefixtures("postgres", "kafka")

OFFICER = token(Role.OFFICER, city_wide=True)


@pytest.fixture
async def workers() -> AsyncIterator[None]:
    await truncate("registry")
    await truncate("licensing")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(registry_worker.run(settings_for("registry"), stop)),
             asyncio.create_task(licensing_worker.run(settings_for("licensing"), stop))]
    yield
    stop.set()
    for task in tasks:
        await asyncio.wait_for(task, 30)  # a worker that crashed re-raises here


async def test_an_open_licence_taken_raises_the_firms_ip_in_the_registry(workers: None) -> None:
    uscc = make_uscc(8101, "330523")
    firm_token = token(Role.ENTERPRISE, uscc=uscc)
    async with running_app("registry", settings_for("registry")) as registry, \
            running_app("licensing", settings_for("licensing")) as licensing:
        created = await registry.post("/v1/enterprises", headers=OFFICER, json={
            "uscc": uscc, "name": "安吉竹境家居科技有限公司", "district_code": "330523", "industry_code": "C2110"})
        assert created.status_code == 201, created.text
        firm = created.json()["id"]
        base = f"/v1/enterprises/{firm}"
        assert (await registry.put(f"{base}/figures/2025", json=TECH_SME_2024, headers=OFFICER)).status_code == 201
        assert (await registry.put(f"{base}/declarations", json=COMPLIANT, headers=OFFICER)).status_code == 201
        first = await registry.post(f"{base}/evaluations", headers=OFFICER,
                                    # Asked as of today: holdings acquired after an evaluation date do not count in it.
                                    json={"tier": "innovative_sme", "evaluation_date": TODAY.isoformat()})
        assert first.status_code == 201 and not first.json()["inputs"]["ip_holdings"]

        async def known_to_licensing() -> bool:
            return await count_rows(pg_url("licensing"), "enterprise_profiles", "WHERE uscc = :u", u=uscc) == 1

        await wait_for(known_to_licensing, timeout=60)

        patent = await licensing.post("/v1/patents", json=patent_body(), headers=HOLDER)
        assert patent.status_code == 201, patent.text
        path = f"/v1/patents/{patent.json()['id']}"
        declared = await licensing.post(f"{path}/open-licence", headers=HOLDER, json={
            "royalty": {"mode": "lump_sum", "lump_sum_fen": 5_000_000}, "standard": "一次性支付5万元",
            "term_start": TODAY.isoformat(), "term_end": (TODAY + timedelta(days=730)).isoformat()})
        assert declared.status_code == 201, declared.text
        taken = await licensing.post(f"{path}/open-licence/notices", headers={**firm_token, **key()}, json={
            "notice_on": TODAY.isoformat(), "payment": {"amount_fen": 5_000_000, "paid_on": TODAY.isoformat()}})
        assert taken.status_code == 201 and taken.json()["status"] == "active", taken.text

        async def rerun() -> dict | None:  # type: ignore[type-arg]
            listed = (await registry.get(f"{base}/evaluations?tier=innovative_sme", headers=OFFICER)).json()["items"]
            return listed[0] if listed and listed[0]["trigger"] == "rerun" else None

        evaluation = await wait_for(rerun, timeout=60)
        holdings = (await registry.get(f"{base}/ip-holdings", headers=OFFICER)).json()["items"]
        assert [(h["reference"], h["acquisition"]) for h in holdings] == [("ZL202110182616.5", "licensed_in")]
        full = (await registry.get(f"{base}/evaluations/{evaluation['id']}", headers=OFFICER)).json()
        assert [h["ref"] for h in full["inputs"]["ip_holdings"]] == ["ZL202110182616.5"]
        assert full["rerun_of"] == first.json()["id"]
