"""Outbox relay throughput against raw aiokafka producer throughput, measured in the same run.

Both publish the same records (same size, headers, keys) to a topic of the same shape on the local broker with the
same producer settings (idempotent, acks=all). The relay's figure is from "rows committed in the outbox" to "every
row acknowledged by Kafka and marked published in PostgreSQL". Prints medians of several rounds and the ratio.

    make bench            (or: .venv/bin/python bench/bench_relay.py [events] [rounds])
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid

from sqlalchemy import text

from bench._support import fresh_database
from services.registry.models import bus
from shared.bus.kafka import create_topics, new_producer
from shared.bus.relay import OutboxRelay
from shared.db import create_engine, session_factory, utcnow
from shared.events.catalog import TopicSpec
from shared.events.envelope import CloudEvent
from tests.support import KAFKA


def sample_event(i: int) -> CloudEvent:
    return CloudEvent(type="seedbed.registry.enterprise.registered.v1", source="/seedbed/registry", subject=f"agg-{i % 500}",
                      data={"enterprise_id": str(uuid.uuid4()), "uscc": "91330502000000011X", "name": f"湖州基准企业{i}",
                            "district_code": "330502", "industry_code": "C3981", "main_products": "工业视觉检测设备"})


async def raw_producer_round(topic: str, events: list[CloudEvent]) -> float:
    producer = new_producer(KAFKA, "bench-raw")
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, value=e.kafka_value(), key=e.subject.encode(), headers=e.kafka_headers()) for e in events]
        await asyncio.gather(*futures)
        return len(events) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def relay_round(url: str, topic: str, events: list[CloudEvent], batch_size: int) -> float:
    engine = create_engine(url, pool_size=4)
    sessions = session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE outbox RESTART IDENTITY"))
        await conn.execute(bus.outbox.insert(), [
            {"event_id": uuid.UUID(e.id), "topic": topic, "key": e.subject, "event_type": e.type,
             "headers": [[k, v.decode()] for k, v in e.kafka_headers()], "payload": e.kafka_value().decode(),
             "created_at": utcnow(), "attempts": 0}
            for e in events
        ])
    producer = new_producer(KAFKA, "bench-relay")
    await producer.start()
    try:
        relay = OutboxRelay(service="registry", engine=engine, sessions=sessions, tables=bus, producer=producer,
                            batch_size=batch_size)
        started = time.perf_counter()
        published = await relay.drain()
        elapsed = time.perf_counter() - started
        assert published == len(events), (published, len(events))
        return len(events) / elapsed
    finally:
        await producer.stop()
        await engine.dispose()


async def main(n: int, rounds: int) -> None:
    url = await fresh_database("seedbed_bench_relay")
    prefix = f"bench-{uuid.uuid4().hex[:6]}."
    spec = TopicSpec("relay", "bench", "relay benchmark", partitions=6)
    await create_topics(KAFKA, [spec], prefix)
    topic = prefix + spec.name
    events = [sample_event(i) for i in range(n)]
    results: dict[str, list[float]] = {"raw aiokafka producer": [], "relay batch 200": [], "relay batch 1000": []}
    for _ in range(rounds):  # interleaved, so that machine noise hits every variant alike
        results["raw aiokafka producer"].append(await raw_producer_round(topic, events))
        results["relay batch 200"].append(await relay_round(url, topic, events, 200))
        results["relay batch 1000"].append(await relay_round(url, topic, events, 1000))
    baseline = statistics.median(results["raw aiokafka producer"])
    print(f"relay benchmark: {n} events x {rounds} rounds, 6 partitions, idempotent producer, acks=all")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:<24} median {median:>9,.0f} events/s   ({median / baseline:.2f}x raw)   rounds: "
              + ", ".join(f"{v:,.0f}" for v in values))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000, int(sys.argv[2]) if len(sys.argv) > 2 else 3))
