"""Vouchers over the real broker and PostgreSQL, the services as their workers run them: a firm registered in the
registry reaches funding's read model (registry outbox → Kafka → funding's consumer); only then may funding issue it
a voucher; voucher.issued and voucher.redeemed, and resource.listed, leave through funding's outbox and relay as
CloudEvents keyed by the aggregate id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer

from services.funding import worker as funding_worker
from services.registry import worker as registry_worker
from shared.auth import CITY_WIDE, Role
from shared.events.catalog import FUNDING_RESOURCE, FUNDING_VOUCHER
from tests.funding.resources_support import MONDAY, at, book, create_resource, deliver, issue, redeem, voucher_round
from tests.support import (
    KAFKA,
    TOPIC_PREFIX,
    count_rows,
    make_uscc,
    pg_url,
    running_app,
    settings_for,
    token,
    truncate,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("postgres", "kafka")

OFFICER = token(Role.OFFICER, districts=[CITY_WIDE])


@pytest.fixture
async def workers() -> AsyncIterator[None]:
    await truncate("registry")
    await truncate("funding")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(registry_worker.run(settings_for("registry"), stop)),
             asyncio.create_task(funding_worker.run(settings_for("funding"), stop))]
    yield
    stop.set()
    for task in tasks:
        await asyncio.wait_for(task, 30)  # a worker that crashed re-raises here


async def _records(topic: str, keys: set[str], count: int) -> list[tuple[str, dict[str, str], dict]]:  # type: ignore[type-arg]
    reader = AIOKafkaConsumer(TOPIC_PREFIX + topic, bootstrap_servers=KAFKA, auto_offset_reset="earliest",
                              group_id=None)
    await reader.start()
    found = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            for batch in (await reader.getmany(timeout_ms=500)).values():
                for record in batch:
                    if record.key.decode() in keys:
                        headers = {k: v.decode() for k, v in record.headers}
                        found.append((record.key.decode(), headers, json.loads(record.value)))
    finally:
        await reader.stop()
    return found


async def test_a_registered_firm_gets_a_voucher_and_its_events_reach_kafka(workers: None) -> None:
    uscc = make_uscc(8201, "330502")
    firm = token(Role.ENTERPRISE, uscc=uscc)
    async with running_app("registry", settings_for("registry")) as registry, \
            running_app("funding", settings_for("funding")) as funding:
        funding.database_url = pg_url("funding")  # type: ignore[attr-defined]
        funding.backend = "postgres"  # type: ignore[attr-defined]
        round_ = await voucher_round(funding)
        refused = await issue(funding, round_["id"], uscc)
        assert refused.status_code == 404  # funding does not know the firm yet
        created = await registry.post("/v1/enterprises", headers=OFFICER, json={
            "uscc": uscc, "name": "湖州织里智纺科技有限公司", "district_code": "330502", "industry_code": "C1751"})
        assert created.status_code == 201, created.text

        async def known_to_funding() -> bool:
            return await count_rows(pg_url("funding"), "enterprise_profiles", "WHERE uscc = :u", u=uscc) == 1

        await wait_for(known_to_funding, timeout=60)
        issued = await issue(funding, round_["id"], uscc)
        assert issued.status_code == 201, issued.text
        voucher = issued.json()
        resource = await create_resource(funding)
        booking = (await book(funding, resource, at(MONDAY, 9), at(MONDAY, 10), headers=firm,
                              voucher_ids=[voucher["id"]])).json()
        await deliver(funding, booking["id"])
        paid = await redeem(funding, booking["id"], voucher["id"])
        assert paid.status_code == 201, paid.text

    vouchers = await _records(FUNDING_VOUCHER.name, {voucher["id"]}, 2)
    assert [h["ce_type"] for _, h, _ in vouchers] == ["seedbed.funding.voucher.issued.v1",
                                                      "seedbed.funding.voucher.redeemed.v1"]
    assert all(h["ce_source"] == "/seedbed/funding" and h["ce_subject"] == voucher["id"] for _, h, _ in vouchers)
    assert vouchers[0][2]["enterprise_uscc"] == uscc and vouchers[0][2]["face_value_fen"] == 2_000_000
    assert vouchers[1][2]["amount_fen"] == 60_000 and vouchers[1][2]["remaining_fen"] == 2_000_000 - 60_000
    listed = await _records(FUNDING_RESOURCE.name, {resource["id"]}, 1)
    assert listed[0][1]["ce_type"] == "seedbed.funding.resource.listed.v1"
    assert listed[0][2]["name"] == resource["name"]
