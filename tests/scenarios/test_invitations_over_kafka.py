"""Invitations over the real Kafka broker and PostgreSQL: the scenarios worker reads matching's match.recommended
for a published scenario and invites each firm once, although the record is delivered twice (the inbox) and the
recommendation is published again under another event id (the unique key of demand and firm); the firm then
reads its invitation through the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from services.scenarios import worker as scenarios_worker
from shared.bus.kafka import new_producer
from shared.events.catalog import MATCHING_MATCH
from tests.scenarios.invitations_support import A_USCC, B_USCC, FIRM_A, invitations, recommendation
from tests.scenarios.support import publish_new
from tests.support import KAFKA, TOPIC_PREFIX, count_rows, pg_url, running_app, settings_for, truncate, wait_for


@pytest.fixture
async def scenarios(postgres: None, kafka: str) -> AsyncIterator[httpx.AsyncClient]:
    await truncate("scenarios")
    stop = asyncio.Event()
    worker = asyncio.create_task(scenarios_worker.run(settings_for("scenarios"), stop))
    async with running_app("scenarios", settings_for("scenarios")) as client:
        yield client
    stop.set()
    await asyncio.wait_for(worker, 30)  # a worker that crashed re-raises here


async def test_a_recommendation_delivered_twice_and_republished_invites_each_firm_once(
    scenarios: httpx.AsyncClient,
) -> None:
    client, url = scenarios, pg_url("scenarios")
    scenario = await publish_new(client)
    event = recommendation("scenario", scenario, [(A_USCC, 0.82)])
    again = recommendation("scenario", scenario, [(A_USCC, 0.82), (B_USCC, 0.6)])
    producer = new_producer(KAFKA, "invitations-test")
    await producer.start()
    try:
        for delivered in (event, event, again):  # a duplicate delivery, then a republication
            await producer.send_and_wait(f"{TOPIC_PREFIX}{MATCHING_MATCH.name}", value=delivered.kafka_value(),
                                         key=scenario["id"].encode(), headers=delivered.kafka_headers())
    finally:
        await producer.stop()

    async def both_event_ids_applied() -> bool:
        return await count_rows(url, "inbox", "WHERE consumer = 'scenarios.recommendations'") == 2

    # One key, one partition, read in order: once the republication is applied, the duplicate before it was read.
    await wait_for(both_event_ids_applied, timeout=60)
    assert await count_rows(url, "invitations") == 2
    assert await count_rows(url, "audit_log", "WHERE action = 'invitation.recorded'") == 2
    (mine,) = await invitations(client, FIRM_A)
    assert (mine["demand_id"], mine["status"], mine["reasons"]["score"]) == (scenario["id"], "pending", 0.82)
    assert mine["reasons"]["matched_terms"] == ["机器视觉", "验布"]
