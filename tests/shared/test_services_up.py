"""Every service: its app starts with its lifespan, answers the operational endpoints, and its topics exist as
the catalogue says (created explicitly, with partitions and retention)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.events.catalog import ALL_TOPICS
from tests.support import KAFKA, SERVICES, TOPIC_PREFIX, free_port, pg_url, running_app, settings_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", SERVICES)
async def test_service_answers_health_readiness_and_metrics(service: str, postgres: None, kafka: str) -> None:
    async with running_app(service, settings_for(service)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": True, "kafka": True}
        assert "http_request_duration_seconds" in (await client.get("/metrics")).text
        assert (await client.get("/openapi.json")).json()["info"]["title"] == f"Seedbed {service}"


async def test_readiness_reports_an_unreachable_database(postgres: None, kafka: str) -> None:
    settings = settings_for("funding", "postgresql+asyncpg://seedbed@127.0.0.1:1/nowhere")
    async with running_app("funding", settings) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is False


async def test_an_unreachable_broker_degrades_but_does_not_unready_the_api(postgres: None) -> None:
    # Requests never talk to Kafka (events wait in the outbox), so the API stays in service.
    async with running_app("licensing", settings_for("licensing", kafka_bootstrap="127.0.0.1:1")) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "degraded", "checks": {"database": True, "kafka": False}}


async def test_topics_exist_with_the_catalogue_partitions_and_retention(kafka: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        names = [TOPIC_PREFIX + t.name for t in ALL_TOPICS]
        described = {d["topic"]: d for d in await admin.describe_topics(names)}
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
        retention = {}
        for response in configs:
            for resource in response.resources:
                name, entries = resource[3], resource[4]
                retention[name] = next(int(e[1]) for e in entries if e[0] == "retention.ms")
    finally:
        await admin.close()
    for spec in ALL_TOPICS:
        name = TOPIC_PREFIX + spec.name
        assert len(described[name]["partitions"]) == spec.partitions, name
        assert retention[name] == spec.retention_ms, name


def test_the_api_command_runs_as_many_uvicorn_workers_as_configured(postgres: None) -> None:
    """``seedbed <service> api`` with SEEDBED_<SERVICE>_HTTP_WORKERS=2: two worker processes under one supervisor,
    serving the one port (docs/operations.md "Scale")."""
    port = free_port()
    env = {**os.environ, "SEEDBED_FUNDING_DATABASE_URL": pg_url("funding"), "SEEDBED_FUNDING_HTTP_PORT": str(port),
           "SEEDBED_FUNDING_HTTP_WORKERS": "2", "SEEDBED_FUNDING_KAFKA_TOPIC_PREFIX": TOPIC_PREFIX}
    process = subprocess.Popen([sys.executable, "-m", "shared.cli", "funding", "api"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: list[str] = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [pid for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
                       if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]  # not the resource tracker
        assert len(workers) == 2, workers
        while time.monotonic() < deadline:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json() == {"status": "ok"}
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("the API did not answer")
    finally:
        process.terminate()
        process.wait(30)
