"""The support a firm received, kept from funding's fund.disbursed / fund.clawed_back events (real handlers on the
registry's migrated database, PostgreSQL and SQLite): shown with the firm's record in its scope, counted in the
statistics, and recorded once whatever the redeliveries (the inbox for the same event id, the ledger entry key
for a republished one)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from services.registry import consumers
from shared.auth import Role
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent
from shared.events.funding import FundClawedBack, FundDisbursed
from tests.registry.pools_support import ADMIN, create_enterprise, database_url
from tests.support import count_rows, service_work, token

OFFICER_WUXING = token(Role.OFFICER, districts=["330502"])
OFFICER_DEQING = token(Role.OFFICER, districts=["330521"])


def _movement(enterprise: dict[str, Any], application_id: uuid.UUID, amount_fen: int, key: str) -> dict[str, Any]:
    return {"application_id": application_id, "enterprise_id": uuid.UUID(enterprise["id"]),
            "uscc": enterprise["uscc"], "programme_id": uuid.UUID(int=7), "round_id": uuid.UUID(int=8),
            "programme_name": "专精特新企业研发补助", "instrument": "grant", "issuer": "湖州市",
            "project_title": "坯布瑕疵在线检测系统", "amount_fen": amount_fen, "on": date(2026, 12, 1),
            "entry_key": key}


async def test_payments_and_clawbacks_are_recorded_once_and_shown_with_the_firm(registry_client: httpx.AsyncClient) -> None:
    client, url = registry_client, database_url(registry_client)
    firm = await create_enterprise(client, 61)
    application_id = uuid.uuid4()
    paid = FundDisbursed(**_movement(firm, application_id, 10_000_000, f"application:{application_id}:disbursed:0"),
                         tranche_index=0, milestone="签约", disbursed_total_fen=10_000_000)
    first = CloudEvent.of(paid, service="funding", subject=str(application_id))
    republished = CloudEvent.of(paid, service="funding", subject=str(application_id))  # another event id
    clawed = CloudEvent.of(FundClawedBack(**_movement(firm, application_id, 4_000_000,
                                                      f"application:{application_id}:clawed_back"),
                                          clawed_back_total_fen=4_000_000, reason="虚报"),
                           service="funding", subject=str(application_id))
    stray = CloudEvent.of(FundDisbursed(**_movement({"id": str(uuid.uuid4()), "uscc": firm["uscc"]}, uuid.uuid4(),
                                                    100, "application:x:disbursed:0"), tranche_index=0, milestone="m",
                                        disbursed_total_fen=100), service="funding", subject="x")
    (subscription,) = [s for s in consumers.subscriptions() if s.name == "funding"]
    engine = create_engine(url)
    work = service_work("registry", session_factory(engine))
    try:
        for event in (first, republished, clawed, stray):
            async with work(None, system_actor="registry.funding", caused_by=event) as uow:
                await subscription.handlers[event.type](uow, event)
    finally:
        await engine.dispose()
    assert await count_rows(url, "support_received") == 2

    support = (await client.get(f"/v1/enterprises/{firm['id']}/support", headers=ADMIN)).json()
    assert (support["disbursed_fen"], support["clawed_back_fen"], support["net_fen"]) == (10_000_000, 4_000_000,
                                                                                          6_000_000)
    assert [m["kind"] for m in support["movements"]] == ["disbursed", "clawed_back"]
    assert support["programmes"] == [{"programme_id": str(uuid.UUID(int=7)), "programme_name": "专精特新企业研发补助",
                                      "instrument": "grant", "issuer": "湖州市", "net_fen": 6_000_000}]
    own = token(Role.ENTERPRISE, uscc=firm["uscc"])
    assert (await client.get(f"/v1/enterprises/{firm['id']}/support", headers=own)).status_code == 200
    assert (await client.get(f"/v1/enterprises/{firm['id']}/support", headers=OFFICER_DEQING)).status_code == 404

    stats = (await client.get("/v1/statistics/support", headers=OFFICER_WUXING)).json()
    assert stats == {"net_fen": 6_000_000, "firms_supported": 1,
                     "groups": [{"district_code": "330502", "instrument": "grant", "net_fen": 6_000_000, "firms": 1}]}
    assert (await client.get("/v1/statistics/support", headers=OFFICER_DEQING)).json()["net_fen"] == 0
