"""The challenge-bounty consumer over real Kafka and PostgreSQL: funding's worker reads scenarios' challenge
acceptance and pays the passed team's public share once, although the record is delivered twice (the inbox) and
the acceptance is published again under another event id (the award and ledger keys)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.funding import worker as funding_worker
from shared.bus.kafka import new_producer
from shared.events.envelope import CloudEvent
from shared.events.scenarios import AppointedTeam
from tests.funding.support import ADMIN, add_firm, balance, ok, open_round
from tests.funding.test_awards import _accepted
from tests.registry.pools_support import outbox_payloads
from tests.support import KAFKA, TOPIC_PREFIX, count_rows, pg_url, running_app, settings_for, truncate, wait_for


@pytest.fixture
async def funding(postgres: None, kafka: str) -> AsyncIterator[httpx.AsyncClient]:
    await truncate("funding")
    stop = asyncio.Event()
    worker = asyncio.create_task(funding_worker.run(settings_for("funding"), stop))
    async with running_app("funding", settings_for("funding")) as client:
        client.database_url = pg_url("funding")  # type: ignore[attr-defined]
        yield client
    stop.set()
    await asyncio.wait_for(worker, 30)


async def test_an_accepted_challenge_delivered_twice_and_republished_pays_once(funding: httpx.AsyncClient) -> None:
    client = funding
    url = pg_url("funding")
    round_ = await open_round(client, budget_fen=10**8, cap_fen=10**8, instrument="challenge_bounty",
                              round_extra={"pays_challenge_bounties": True})
    firm = await add_firm(client, 50)
    team = AppointedTeam(application_id=uuid.uuid4(), lead_uscc=firm["uscc"], award_fen=5 * 10**7,
                         issuer_fen=3 * 10**7, public_fen=2 * 10**7)
    challenge_id = uuid.uuid4()
    event = CloudEvent.of(_accepted(challenge_id, [team]), service="scenarios", subject=str(challenge_id))
    again = CloudEvent.of(_accepted(challenge_id, [team]), service="scenarios", subject=str(challenge_id))
    producer = new_producer(KAFKA, "bounty-test")
    await producer.start()
    try:
        topic = f"{TOPIC_PREFIX}seedbed.scenarios.challenge"
        for delivered in (event, event, again):  # a duplicate delivery, then a republication
            await producer.send_and_wait(topic, value=delivered.kafka_value(), key=str(challenge_id).encode(),
                                         headers=delivered.kafka_headers())
    finally:
        await producer.stop()

    async def all_three_seen() -> bool:
        return await count_rows(url, "inbox", "WHERE consumer = 'funding.challenge-bounties'") == 2

    await wait_for(all_three_seen, timeout=60)
    await asyncio.sleep(1)  # the duplicate of the first record has had its turn too
    (award,) = ok(await client.get("/v1/applications?origin=automatic", headers=ADMIN), 200)["items"]
    assert (award["status"], award["disbursed_fen"]) == ("closed", 2 * 10**7)
    b = await balance(client, round_["id"])
    assert (b["disbursed_fen"], b["reconciled"]) == (2 * 10**7, True)
    assert len(await outbox_payloads(url, "seedbed.funding.fund.disbursed.v1")) == 1
    assert await count_rows(url, "ledger_entries", "WHERE kind = 'disbursed'") == 1
