"""作价入股 through the API, on PostgreSQL and on SQLite: a contribution to a registered company, agreed then
registered (``equity.registered``, the patent becomes the company's); shares above 100% and an inventors' share below
the default without a recorded agreement refused, leaving nothing written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.licensing.licensing_support import (
    FIRM,
    FIRM_USCC,
    HOLDER,
    OTHER_FIRM,
    OTHER_INSTITUTE,
    TODAY,
    add_firms,
    create_patent,
    field_of,
)
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.support import count_rows, make_uscc

REGISTERED = "seedbed.licensing.equity.registered.v1"


def contribution(**changes: Any) -> dict[str, Any]:
    body = {"valuation_method": "income", "appraisal_report_no": "浙坤元评报〔2026〕第118号",
            "appraisal_amount_fen": 800_000_000, "target_uscc": FIRM_USCC, "share_ratio": "0.20",
            "pricing_method": "agreement", "publicity_start": (TODAY - timedelta(days=20)).isoformat(),
            "publicity_end": (TODAY - timedelta(days=6)).isoformat(), "inventors_share": "0.70"}
    return {**body, **changes}


async def _patent(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    await add_firms(database_url(client), (FIRM_USCC, "330502"))
    return await create_patent(client, **changes)


async def test_a_contribution_is_agreed_then_registered(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await _patent(client)
    agreed = await client.post(f"/v1/patents/{patent['id']}/equity-contributions", json=contribution(),
                               headers=HOLDER)
    assert agreed.status_code == 201, agreed.text
    body = agreed.json()
    assert body["status"] == "agreed" and body["inventors_equity_fen"] == 560_000_000
    assert (await client.get(f"/v1/equity-contributions/{body['id']}", headers=FIRM)).status_code == 200
    assert (await client.get(f"/v1/equity-contributions/{body['id']}", headers=OTHER_FIRM)).status_code == 404
    path = f"/v1/equity-contributions/{body['id']}/registration"
    registration = {"registration_no": "CNIPA-ZLBG-2026-330500-0091", "registered_on": TODAY.isoformat()}
    expect_problem(await client.post(path, json=registration, headers=HOLDER), 428)
    expect_problem(await client.post(path, json=registration, headers={**OTHER_INSTITUTE, "If-Match": '"1"'}), 404)
    done = await client.post(path, json=registration, headers={**HOLDER, "If-Match": f'"{body["version"]}"'})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "registered"
    [event] = await outbox_payloads(url, REGISTERED)
    assert event["target_uscc"] == FIRM_USCC and event["share_ratio"] == "0.2"
    assert event["patent_number"] == "ZL202110182616.5" and event["patent_type"] == "invention"
    after = (await client.get(f"/v1/patents/{patent['id']}", headers=HOLDER)).json()
    assert after["transferred_to_uscc"] == FIRM_USCC
    again = await client.post(path, json=registration, headers={**HOLDER, "If-Match": f'"{done.json()["version"]}"'})
    assert "already" in expect_problem(again, 409)["detail"]


async def test_shares_above_100_percent_are_refused(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await _patent(client)
    refused = await client.post(f"/v1/patents/{patent['id']}/equity-contributions",
                                json=contribution(share_ratio="1.05"), headers=HOLDER)
    problem = expect_problem(refused, 422)
    assert field_of(problem) == "share_ratio" and "105%" in problem["detail"]
    assert await count_rows(url, "equity_contributions") == 0 and await count_rows(url, "audit_log") == 1


async def test_the_inventors_share_below_the_default_needs_a_recorded_agreement(
        licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await _patent(client)
    path = f"/v1/patents/{patent['id']}/equity-contributions"
    refused = await client.post(path, json=contribution(inventors_share="0.4"), headers=HOLDER)
    problem = expect_problem(refused, 422)
    assert field_of(problem) == "inventors_share" and "50%" in problem["detail"] and problem["minimum"] == "0.5"
    assert await count_rows(url, "equity_contributions") == 0
    agreed = await client.post(path, json=contribution(inventors_share="0.4",
                                                       reward_agreement_ref="湖师院科〔2026〕12号 奖励协议"),
                               headers=HOLDER)
    assert agreed.status_code == 201 and agreed.json()["reward_agreement_ref"].startswith("湖师院科")


async def test_the_company_must_be_registered_and_publicity_over(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    patent = await _patent(client)
    path = f"/v1/patents/{patent['id']}/equity-contributions"
    unknown = await client.post(path, json=contribution(target_uscc=make_uscc(7777)), headers=HOLDER)
    assert field_of(expect_problem(unknown, 422)) == "target_uscc"
    no_publicity = await client.post(path, json=contribution(publicity_end=None), headers=HOLDER)
    assert field_of(expect_problem(no_publicity, 422)) == "publicity_end"
    running = (await client.post(path, json=contribution(publicity_end=(TODAY + timedelta(days=3)).isoformat()),
                                 headers=HOLDER)).json()
    early = await client.post(f"/v1/equity-contributions/{running['id']}/registration",
                              json={"registration_no": "X-1", "registered_on": TODAY.isoformat()},
                              headers={**HOLDER, "If-Match": f'"{running["version"]}"'})
    assert "publicity" in expect_problem(early, 409)["detail"]
