"""The bus test harness shared by tests/shared: an InboxConsumer on matching's test database reading a topic of its
own, and a producer for it. Handlers record an audit entry per application, so "applied once" is a row count."""

from __future__ import annotations

import asyncio

from services.matching.models import bus as matching_bus
from shared.bus.consumer import Handler, InboxConsumer, Outcome, Subscription
from shared.bus.kafka import create_topics, new_consumer, new_producer
from shared.db import create_engine, session_factory
from shared.events.catalog import TopicSpec
from shared.events.envelope import CloudEvent
from shared.uow import UnitOfWork, Work
from tests.support import KAFKA, TOPIC_PREFIX, count_rows, pg_url, settings_for

TEST_EVENT_TYPE = "seedbed.test.thing.happened.v1"


async def record_application(uow: UnitOfWork, event: CloudEvent) -> None:
    """The test handler's effect: one audit entry per application of an event."""
    if event.data.get("fail"):
        raise ValueError("this record can never be applied")
    uow.audit("applied", "event", event.id, {})


def make_event(**data: object) -> CloudEvent:
    return CloudEvent(type=TEST_EVENT_TYPE, source="/seedbed/test", subject="s", data=dict(data))


class Harness:
    """An InboxConsumer on matching's test database, in its own consumer group, reading this run's topic."""

    def __init__(self, name: str) -> None:
        self.name = name
        # A topic of its own (and its dead-letter twin), so that no other test's records reach this consumer.
        self.topic = f"{TOPIC_PREFIX}bus-test.{name}"
        self.engine = create_engine(pg_url("matching"))
        self.sessions = session_factory(self.engine)
        self.producer = new_producer(KAFKA, "test-producer")

    async def __aenter__(self) -> Harness:
        spec = TopicSpec(name=self.topic, producer="test", description="bus test", partitions=1)
        await create_topics(KAFKA, [spec, spec.dead_letter()])
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
        await self.engine.dispose()

    async def publish(self, event: CloudEvent, key: str = "k", value: bytes | None = None, headers=None) -> None:  # type: ignore[no-untyped-def]
        await self.producer.send_and_wait(
            self.topic, value=event.kafka_value() if value is None else value, key=key.encode(),
            headers=event.kafka_headers() if headers is None else headers,
        )

    async def consumer(self, max_attempts: int = 3, handler: Handler = record_application) -> InboxConsumer:
        kafka_consumer = new_consumer(KAFKA, group_id=f"{TOPIC_PREFIX}{self.name}", topics=[self.topic], client_id=self.name)
        await kafka_consumer.start()
        return InboxConsumer(
            service="matching",
            subscription=Subscription(self.name, (self.topic,), {TEST_EVENT_TYPE: handler}),
            consumer=kafka_consumer,
            dead_letter_producer=self.producer,
            work=Work(self.sessions, settings_for("matching"), matching_bus, matching_bus.outbox.metadata),
            max_attempts=max_attempts,
            retry_backoff_seconds=0.01,
        )

    async def applications(self, event_id: str) -> int:
        return await count_rows(pg_url("matching"), "audit_log", "WHERE entity_id = :id", id=event_id)


async def next_records(consumer: InboxConsumer, wanted: int, timeout: float = 20.0) -> list:  # type: ignore[type-arg]
    records: list = []  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + timeout
    while len(records) < wanted:
        assert asyncio.get_running_loop().time() < deadline, f"got {len(records)} of {wanted} records"
        for batch in (await consumer.consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    return records


async def handle_all(consumer: InboxConsumer, records: list) -> list[Outcome]:  # type: ignore[type-arg]
    outcomes = []
    for record in records:
        outcomes.append(await consumer.handle(record))
        await consumer.commit(record)
    return outcomes
