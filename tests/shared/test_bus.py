"""The event backbone against the real Kafka broker and the real PostgreSQL server: outbox relay, inbox consumer,
dead letters. Handlers here record an audit entry per application, so "applied once" is a row count."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer

from services.registry.models import bus as registry_bus
from shared.bus.consumer import Outcome
from shared.bus.kafka import new_producer
from shared.bus.outbox import insert_rows, outbox_row
from shared.bus.relay import OutboxRelay
from shared.db import create_engine, session_factory
from shared.events.catalog import REGISTRY_ENTERPRISE
from shared.events.envelope import CloudEvent
from tests.bus_support import TEST_EVENT_TYPE, Harness, handle_all, make_event, next_records
from tests.support import KAFKA, TOPIC_PREFIX, count_rows, pg_url, truncate

pytestmark = pytest.mark.usefixtures("postgres", "kafka")

TOPIC = TOPIC_PREFIX + REGISTRY_ENTERPRISE.name


async def test_duplicate_delivery_is_applied_once() -> None:
    await truncate("matching")
    async with Harness(f"dup-{uuid.uuid4().hex[:6]}") as h:
        event = make_event(n=1)
        await h.publish(event)
        await h.publish(event)  # the same event id delivered again (e.g. a relay that resent after a crash)
        consumer = await h.consumer()
        try:
            outcomes = await handle_all(consumer, await next_records(consumer, 2))
        finally:
            await consumer.consumer.stop()
        assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]
        assert await h.applications(event.id) == 1


async def test_consumer_crash_after_db_commit_before_offset_commit_applies_once() -> None:
    await truncate("matching")
    async with Harness(f"crash-{uuid.uuid4().hex[:6]}") as h:
        event = make_event(n=2)
        await h.publish(event)
        first = await h.consumer()
        (record,) = await next_records(first, 1)
        assert await first.handle(record) == Outcome.APPLIED  # the database commit happened...
        await first.consumer.stop()  # ...and the process died before committing the offset.

        second = await h.consumer()  # same group: it resumes from the last committed offset
        try:
            (again,) = await next_records(second, 1)
            assert again.offset == record.offset  # the event is seen again
            assert await second.handle(again) == Outcome.DUPLICATE
            await second.commit(again)
        finally:
            await second.consumer.stop()
        assert await h.applications(event.id) == 1


async def test_poison_message_goes_to_the_dead_letter_topic_and_the_consumer_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="shared.bus")
    await truncate("matching")
    async with Harness(f"poison-{uuid.uuid4().hex[:6]}") as h:
        failing = make_event(fail=True)
        not_cloudevent = make_event(n=3)
        good = make_event(n=4)
        await h.publish(failing)
        await h.publish(not_cloudevent, headers=[("content-type", b"application/json")])
        await h.publish(good)
        consumer = await h.consumer(max_attempts=3)
        try:
            outcomes = await handle_all(consumer, await next_records(consumer, 3))
        finally:
            await consumer.consumer.stop()
        assert outcomes == [Outcome.DEAD_LETTERED, Outcome.DEAD_LETTERED, Outcome.APPLIED]
        assert await h.applications(good.id) == 1
        assert await h.applications(failing.id) == 0
        # The log names the failure's kind, not its words (they may quote the event's personal data); the words
        # travel with the dead letter, beside the event itself, for whoever replays it.
        logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("shared.bus"))
        assert "dead-lettered" in logged and "can never be applied" not in logged

        dlq = AIOKafkaConsumer(h.topic + ".dlq", bootstrap_servers=KAFKA, auto_offset_reset="earliest", group_id=None)
        await dlq.start()
        try:
            letters = []
            deadline = asyncio.get_running_loop().time() + 20
            while len(letters) < 2 and asyncio.get_running_loop().time() < deadline:
                for batch in (await dlq.getmany(timeout_ms=500)).values():
                    letters.extend(r for r in batch if dict(r.headers).get("dlq_consumer") == f"matching.{h.name}".encode())
        finally:
            await dlq.stop()
        assert len(letters) == 2
        by_id = {dict(r.headers).get("ce_id", b"").decode(): dict(r.headers) for r in letters}
        assert b"can never be applied" in by_id[failing.id]["dlq_error"]
        assert by_id[failing.id]["dlq_attempts"] == b"3"
        assert b"missing CloudEvents headers" in by_id[""]["dlq_error"]
        assert by_id[""]["dlq_original_topic"] == h.topic.encode()


async def test_relay_publishes_rows_committed_while_it_was_down_in_order_per_aggregate() -> None:
    await truncate("registry")
    engine = create_engine(pg_url("registry"))
    sessions = session_factory(engine)
    keys = [f"agg-{uuid.uuid4().hex[:6]}" for _ in range(4)]
    # 4 aggregates x 10 events, interleaved, each committed in its own transaction while no relay runs.
    for seq in range(10):
        for key in keys:
            async with sessions.begin() as session:
                event = CloudEvent(type=TEST_EVENT_TYPE, source="/seedbed/registry", subject=key, data={"seq": seq})
                await insert_rows(session, registry_bus.outbox, [outbox_row(event, topic=TOPIC, key=key)])
    producer = new_producer(KAFKA, "test-relay")
    await producer.start()
    try:
        relay = OutboxRelay(service="registry", engine=engine, sessions=sessions, tables=registry_bus,
                            producer=producer, batch_size=7)
        # The relay publishes one batch, then "crashes"; a new one picks up where the outbox says.
        assert await relay.publish_batch() == 7
        restarted = OutboxRelay(service="registry", engine=engine, sessions=sessions, tables=registry_bus,
                                producer=producer, batch_size=7)
        assert await restarted.drain() == 33
    finally:
        await producer.stop()
    assert await count_rows(pg_url("registry"), "outbox", "WHERE published_at IS NULL") == 0
    await engine.dispose()

    reader = AIOKafkaConsumer(TOPIC, bootstrap_servers=KAFKA, auto_offset_reset="earliest", group_id=None)
    await reader.start()
    seen: dict[str, list[int]] = defaultdict(list)
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while sum(len(v) for v in seen.values()) < 40 and asyncio.get_running_loop().time() < deadline:
            for batch in (await reader.getmany(timeout_ms=500)).values():
                for r in batch:
                    if r.key.decode() in keys:
                        seen[r.key.decode()].append(json.loads(r.value)["seq"])
    finally:
        await reader.stop()
    assert {k: seen[k] for k in keys} == {k: list(range(10)) for k in keys}
