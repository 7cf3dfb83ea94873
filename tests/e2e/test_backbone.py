"""The services as separate processes over real Kafka and PostgreSQL: the slice, and the faults DESIGN §8 names
(relay killed mid-stream, broker restarted) with nothing lost and nothing applied twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.auth import Role
from shared.bus.kafka import create_topics
from shared.events.catalog import ALL_TOPICS
from tests.e2e.processes import OwnBroker, ServiceProcess, service_env
from tests.support import (
    KAFKA,
    TOPIC_PREFIX,
    count_rows,
    make_uscc,
    pg_url,
    token,
    truncate,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("postgres", "kafka")]

OFFICER = token(Role.OFFICER, city_wide=True)


class Suite:
    def __init__(self, log_dir: Path, prefix: str = TOPIC_PREFIX) -> None:
        self.log_dir = log_dir
        self.processes: list[ServiceProcess] = []
        self.prefix = prefix

    def start(self, service: str, role: str, **env: str) -> ServiceProcess:
        env.setdefault("prefix", self.prefix)
        process = ServiceProcess(service, role, service_env(service, **env), self.log_dir).start()
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[Suite]:
    asyncio.run(truncate("registry"))
    asyncio.run(truncate("matching"))
    # Topics of this test's own: the databases were just emptied, and records another e2e test left on the run's
    # topics (a worker stopped before committing its last offsets re-reads them) would be applied here again.
    prefix = f"{TOPIC_PREFIX}{uuid.uuid4().hex[:6]}."
    asyncio.run(asyncio.wait_for(create_topics(KAFKA, ALL_TOPICS, prefix), 60))
    s = Suite(tmp_path, prefix)
    yield s
    s.stop_all()


async def register(client: httpx.AsyncClient, n: int) -> str:
    response = await client.post("/v1/enterprises", headers=OFFICER, json={
        "uscc": make_uscc(n), "name": f"湖州测试企业{n}", "district_code": "330502", "industry_code": "C3981"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def profiles() -> int:
    return await count_rows(pg_url("matching"), "enterprise_profiles")


def test_registered_enterprise_reaches_matching_across_processes(suite: Suite) -> None:
    registry = suite.start("registry", "api")
    registry_worker = suite.start("registry", "worker")
    matching = suite.start("matching", "api")
    matching_worker = suite.start("matching", "worker")

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=registry.url) as reg, httpx.AsyncClient(base_url=matching.url) as mat:
            enterprise_id = await register(reg, 201)

            async def visible():  # type: ignore[no-untyped-def]
                r = await mat.get(f"/v1/enterprises/{enterprise_id}", headers=token(Role.SERVICE))
                return r if r.status_code == 200 else None

            profile = (await wait_for(visible, timeout=30)).json()
            assert profile["uscc"] == make_uscc(201)
            ready = await reg.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "kafka": True}
        async with httpx.AsyncClient() as http:
            # The workers' own endpoints, which the liveness probes and Prometheus use.
            health = await http.get(f"{registry_worker.url}/healthz")
            assert health.status_code == 200 and health.json()["stalled"] == []
            relay_metrics = (await http.get(f"{registry_worker.url}/metrics")).text
            assert 'seedbed_relay_published_total{service="registry"} 1.0' in relay_metrics
            assert 'seedbed_outbox_backlog{service="registry"} 0.0' in relay_metrics
            consumer_metrics = (await http.get(f"{matching_worker.url}/metrics")).text
            assert 'seedbed_consumer_records_total{consumer="enterprises",outcome="applied",service="matching"} 1.0' in consumer_metrics

    asyncio.run(scenario())


# The inbox rows of matching's enterprise read model (its consumer ``enterprises``).
READ_MODEL_INBOX = "WHERE consumer = 'matching.enterprises'"


def test_relay_killed_mid_stream_loses_nothing_and_applies_nothing_twice(suite: Suite) -> None:
    registry = suite.start("registry", "api")
    suite.start("matching", "worker")
    total = 120

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=registry.url) as reg:
            for n in range(total):
                await register(reg, 1000 + n)
        assert await count_rows(pg_url("registry"), "outbox", "WHERE published_at IS NULL") == total

        # One row per batch, so that the kill lands while the relay is part-way through the backlog.
        worker = suite.start("registry", "worker", RELAY_BATCH_SIZE="1")

        async def some_published() -> bool:
            return await count_rows(pg_url("registry"), "outbox", "WHERE published_at IS NOT NULL") >= 10

        await wait_for(some_published, timeout=30, interval=0.02)
        worker.kill()
        published = await count_rows(pg_url("registry"), "outbox", "WHERE published_at IS NOT NULL")
        assert published < total, "the relay finished before it was killed; the test proved nothing"

        suite.start("registry", "worker")

        async def all_arrived() -> bool:
            return await profiles() == total

        await wait_for(all_arrived, timeout=60)
        assert await count_rows(pg_url("registry"), "outbox", "WHERE published_at IS NULL") == 0
        # Each event applied once: one inbox row per event, one profile per enterprise. (Matching's other consumer of
        # the topic, the embeddings, keeps inbox rows of its own.)
        assert await count_rows(pg_url("matching"), "inbox", READ_MODEL_INBOX) == total

    asyncio.run(scenario())


def test_broker_restart_loses_nothing(suite: Suite, tmp_path: Path) -> None:
    broker = OwnBroker(tmp_path)
    broker.start()
    try:
        prefix = TOPIC_PREFIX + "restart."
        asyncio.run(asyncio.wait_for(create_topics(broker.bootstrap, ALL_TOPICS, prefix), 60))
        registry = suite.start("registry", "api", bootstrap=broker.bootstrap, prefix=prefix)
        suite.start("registry", "worker", bootstrap=broker.bootstrap, prefix=prefix)
        suite.start("matching", "worker", bootstrap=broker.bootstrap, prefix=prefix)

        async def register_range(start: int, count: int) -> None:
            async with httpx.AsyncClient(base_url=registry.url) as reg:
                for n in range(start, start + count):
                    await register(reg, n)

        async def arrived(expected: int) -> None:
            async def enough() -> bool:
                return await profiles() == expected

            await wait_for(enough, timeout=90, interval=0.2)

        asyncio.run(register_range(3000, 5))
        asyncio.run(arrived(5))
        broker.stop()
        # The API keeps accepting work while Kafka is down: events wait in the outbox.
        asyncio.run(register_range(3005, 5))
        broker.start()
        asyncio.run(arrived(10))
        assert asyncio.run(count_rows(pg_url("registry"), "outbox", "WHERE published_at IS NULL")) == 0
        assert asyncio.run(count_rows(pg_url("matching"), "inbox", READ_MODEL_INBOX)) == 10
    finally:
        broker.stop()
