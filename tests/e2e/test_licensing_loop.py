"""Issue 9's loop with the services as separate processes over real Kafka and PostgreSQL (DESIGN §10 steps 6–7): a
firm registered in the registry reaches licensing; it takes a university patent under an open licence by written
notice + payment; the registry's worker counts the patent in the firm's IP and re-runs its evaluation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.e2e.test_backbone import OFFICER, Suite
from tests.licensing.licensing_support import HOLDER, TODAY, key, patent_body
from tests.registry.figures_support import COMPLIANT
from tests.registry.test_evaluations_api import TECH_SME_2024
from tests.support import count_rows, make_uscc, pg_url, token, truncate, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("postgres", "kafka")]


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[Suite]:
    asyncio.run(truncate("registry"))
    asyncio.run(truncate("licensing"))
    s = Suite(tmp_path)
    yield s
    s.stop_all()


def test_an_open_licence_raises_the_firms_ip_and_reruns_its_evaluation_across_processes(suite: Suite) -> None:
    registry = suite.start("registry", "api")
    suite.start("registry", "worker")
    licensing = suite.start("licensing", "api")
    licensing_worker = suite.start("licensing", "worker")
    uscc = make_uscc(8201, "330523")

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=registry.url) as reg, httpx.AsyncClient(base_url=licensing.url) as lic:
            created = await reg.post("/v1/enterprises", headers=OFFICER, json={
                "uscc": uscc, "name": "安吉竹境家居科技有限公司", "district_code": "330523", "industry_code": "C2110"})
            assert created.status_code == 201, created.text
            base = f"/v1/enterprises/{created.json()['id']}"
            assert (await reg.put(f"{base}/figures/2025", json=TECH_SME_2024, headers=OFFICER)).status_code == 201
            assert (await reg.put(f"{base}/declarations", json=COMPLIANT, headers=OFFICER)).status_code == 201
            first = await reg.post(f"{base}/evaluations", headers=OFFICER,
                                   json={"tier": "innovative_sme", "evaluation_date": TODAY.isoformat()})
            assert first.status_code == 201, first.text

            async def known() -> bool:
                return await count_rows(pg_url("licensing"), "enterprise_profiles", "WHERE uscc = :u", u=uscc) == 1

            await wait_for(known, timeout=60)
            patent = await lic.post("/v1/patents", json=patent_body(), headers=HOLDER)
            assert patent.status_code == 201, patent.text
            path = f"/v1/patents/{patent.json()['id']}"
            declared = await lic.post(f"{path}/open-licence", headers=HOLDER, json={
                "royalty": {"mode": "lump_sum", "lump_sum_fen": 5_000_000}, "standard": "一次性支付5万元",
                "term_start": TODAY.isoformat(), "term_end": (TODAY + timedelta(days=730)).isoformat()})
            assert declared.status_code == 201, declared.text
            notice = await lic.post(f"{path}/open-licence/notices", headers={**token(Role.ENTERPRISE, uscc=uscc),
                                                                            **key()},
                                    json={"notice_on": TODAY.isoformat()})
            assert notice.status_code == 201 and notice.json()["status"] == "pending", notice.text
            paid = await lic.post(f"/v1/licences/{notice.json()['id']}/payments",
                                  headers={**token(Role.ENTERPRISE, uscc=uscc), **key()},
                                  json={"amount_fen": 5_000_000, "paid_on": TODAY.isoformat(), "reference": "E2E-1"})
            assert paid.status_code == 201 and paid.json()["licence_status"] == "active", paid.text

            async def rerun() -> dict[str, Any] | None:
                items = (await reg.get(f"{base}/evaluations?tier=innovative_sme", headers=OFFICER)).json()["items"]
                return items[0] if items and items[0]["trigger"] == "rerun" else None

            evaluation = await wait_for(rerun, timeout=60)
            holdings = (await reg.get(f"{base}/ip-holdings", headers=OFFICER)).json()["items"]
            assert [(h["reference"], h["acquisition"]) for h in holdings] == [("ZL202110182616.5", "licensed_in")]
            assert evaluation["rerun_of"] == first.json()["id"]
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"{licensing_worker.url}/metrics")).text
            assert 'seedbed_outbox_backlog{service="licensing"} 0.0' in metrics

    asyncio.run(scenario())
