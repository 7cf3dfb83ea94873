"""Single winners on PostgreSQL, where requests really run at once: a firm's open licence taken by many notices at
the same moment (one licence), a trial converted by many payments (one conversion, one payment), an equity
contribution registered by many requests (one registration, one event)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest

from tests.licensing.licensing_support import (
    FIRM,
    FIRM_USCC,
    HOLDER,
    TODAY,
    add_firms,
    create_patent,
)
from tests.registry.pools_support import database_url
from tests.support import count_rows

N = 10


def _fresh() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


@pytest.fixture
async def client(licensing_client: httpx.AsyncClient) -> httpx.AsyncClient:
    if licensing_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("races are run on PostgreSQL")
    await add_firms(database_url(licensing_client), (FIRM_USCC, "330502"))
    return licensing_client


async def test_many_notices_of_one_firm_make_one_open_licence(client: httpx.AsyncClient) -> None:
    url = database_url(client)
    patent = await create_patent(client)
    path = f"/v1/patents/{patent['id']}"
    declared = await client.post(f"{path}/open-licence", headers=HOLDER, json={
        "royalty": {"mode": "lump_sum", "lump_sum_fen": 100_000}, "standard": "一次性支付1000元",
        "term_start": TODAY.isoformat()})
    assert declared.status_code == 201, declared.text
    body = {"notice_on": TODAY.isoformat(), "payment": {"amount_fen": 100_000, "paid_on": TODAY.isoformat()}}
    answers = await asyncio.gather(*(client.post(f"{path}/open-licence/notices", json=body,
                                                 headers={**FIRM, **_fresh()}) for _ in range(N)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (N - 1), [a.text for a in answers]
    assert await count_rows(url, "licences") == 1 and await count_rows(url, "payments") == 1
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.licensing.licence.granted.v1'") == 1


async def test_many_conversions_of_a_trial_make_one(client: httpx.AsyncClient) -> None:
    url = database_url(client)
    patent = await create_patent(client)
    trial = await client.post(f"/v1/patents/{patent['id']}/trials", headers={**HOLDER, **_fresh()}, json={
        "licensee_uscc": FIRM_USCC, "conversion_mode": "transfer", "price_fen": 1_000_000,
        "trial_start": (TODAY - timedelta(days=10)).isoformat(), "trial_end": (TODAY + timedelta(days=10)).isoformat()})
    assert trial.status_code == 201, trial.text
    body = {"amount_fen": 1_000_000, "paid_on": TODAY.isoformat()}
    answers = await asyncio.gather(*(client.post(f"/v1/licences/{trial.json()['id']}/conversion", json=body,
                                                 headers={**FIRM, **_fresh()}) for _ in range(N)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (N - 1), [a.text for a in answers]
    assert await count_rows(url, "payments") == 1
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.licensing.licence.converted.v1'") == 1


async def test_many_registrations_of_a_contribution_make_one(client: httpx.AsyncClient) -> None:
    url = database_url(client)
    patent = await create_patent(client)
    agreed = await client.post(f"/v1/patents/{patent['id']}/equity-contributions", headers=HOLDER, json={
        "valuation_method": "market", "appraisal_report_no": "评报〔2026〕7号", "appraisal_amount_fen": 100_000_000,
        "target_uscc": FIRM_USCC, "share_ratio": "0.1", "pricing_method": "auction", "inventors_share": "0.5"})
    assert agreed.status_code == 201, agreed.text
    registration = {"registration_no": "CNIPA-ZLBG-2026-1", "registered_on": TODAY.isoformat()}
    answers = await asyncio.gather(*(client.post(
        f"/v1/equity-contributions/{agreed.json()['id']}/registration", json=registration,
        headers={**HOLDER, "If-Match": f'"{agreed.json()["version"]}"'}) for _ in range(N)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1 and set(statuses) <= {200, 409, 412}, [a.text for a in answers]
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.licensing.equity.registered.v1'") == 1
