"""The worker's own HTTP endpoints: /healthz for Kubernetes' liveness probe and /metrics for Prometheus.

It runs in the worker's event loop, so a loop that is blocked or a relay/consumer that stopped turning fails
the probe and the pod is restarted, which a thread-based metrics server would not notice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus.consumer import InboxConsumer
from shared.bus.relay import OutboxRelay
from shared.bus.tables import BusTables


class _WorkerCollector:
    def __init__(self, service: str, relay: OutboxRelay, consumers: Sequence[InboxConsumer]) -> None:
        self.service, self.relay, self.consumers = service, relay, consumers
        self.backlog = 0

    def collect(self):  # type: ignore[no-untyped-def]
        published = CounterMetricFamily("seedbed_relay_published", "Outbox rows acknowledged by Kafka", labels=["service"])
        published.add_metric([self.service], self.relay.published_total)
        failures = CounterMetricFamily("seedbed_relay_failures", "Relay publish attempts that failed", labels=["service"])
        failures.add_metric([self.service], self.relay.failures_total)
        backlog = GaugeMetricFamily("seedbed_outbox_backlog", "Outbox rows not yet published", labels=["service"])
        backlog.add_metric([self.service], self.backlog)
        records = CounterMetricFamily("seedbed_consumer_records", "Records handled, by outcome",
                                      labels=["service", "consumer", "outcome"])
        for consumer in self.consumers:
            for outcome, count in consumer.outcomes.items():
                records.add_metric([self.service, consumer.subscription.name, outcome.value], count)
        yield from (published, failures, backlog, records)


def worker_app(
    service: str,
    relay: OutboxRelay,
    consumers: Sequence[InboxConsumer],
    sessions: async_sessionmaker[AsyncSession],
    tables: BusTables,
    stall_seconds: float,
) -> FastAPI:
    app = FastAPI(title=f"Seedbed {service} worker", openapi_url=None, docs_url=None, redoc_url=None)
    registry = CollectorRegistry()
    collector = _WorkerCollector(service, relay, consumers)
    registry.register(collector)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        now = time.monotonic()
        loops = {"relay": now - relay.last_tick} | {f"consumer:{c.subscription.name}": now - c.last_tick for c in consumers}
        stalled = sorted(name for name, age in loops.items() if age > stall_seconds)
        body = {"status": "stalled" if stalled else "ok", "stalled": stalled, "relay_standing_by": relay.standing_by,
                "seconds_since_last_turn": {k: round(v, 1) for k, v in loops.items()}}
        return JSONResponse(body, status_code=503 if stalled else 200)

    @app.get("/metrics")
    async def metrics() -> Response:
        async with sessions() as session:
            collector.backlog = int(await session.scalar(
                select(func.count()).select_from(tables.outbox).where(tables.outbox.c.published_at.is_(None))) or 0)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
