"""`seedbed <service> dlq list|replay` against the real broker: letters that a consumer could not apply are listed,
and once the cause is fixed, re-published to their topic and applied exactly once."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import TopicPartition

from shared.bus.consumer import Outcome
from shared.bus.dead_letters import run as dlq
from shared.events.envelope import CloudEvent
from shared.uow import UnitOfWork
from tests.bus_support import Harness, handle_all, make_event, next_records, record_application
from tests.support import TOPIC_PREFIX, settings_for, truncate

pytestmark = pytest.mark.usefixtures("postgres", "kafka")


async def end_offset(consumer, topic: str) -> int:  # type: ignore[no-untyped-def]
    partition = TopicPartition(topic, 0)
    return (await consumer.consumer.end_offsets([partition]))[partition]


async def test_dead_letters_are_listed_and_replayed_once_the_cause_is_fixed(capsys: pytest.CaptureFixture[str]) -> None:
    await truncate("matching")
    cause_fixed = False

    async def handler(uow: UnitOfWork, event: CloudEvent) -> None:
        if event.data.get("needs_fix") and not cause_fixed:
            raise ValueError("the cause is not fixed yet")
        await record_application(uow, event)

    settings = settings_for("matching")
    async with Harness(f"dlq-{uuid.uuid4().hex[:6]}") as h:
        topic = h.topic.removeprefix(TOPIC_PREFIX)  # as an operator names it: the catalogue name
        first, fine, second = make_event(needs_fix=True), make_event(n=1), make_event(needs_fix=True)
        for event in (first, fine, second):
            await h.publish(event)
        consumer = await h.consumer(max_attempts=2, handler=handler)
        try:
            outcomes = await handle_all(consumer, await next_records(consumer, 3))
            assert outcomes == [Outcome.DEAD_LETTERED, Outcome.APPLIED, Outcome.DEAD_LETTERED]

            assert await dlq(settings, ["list", topic]) == 0
            listing = capsys.readouterr().out
            assert first.id in listing and second.id in listing and fine.id not in listing
            assert "2 dead letters" in listing and "the cause is not fixed yet" in listing
            assert await dlq(settings, ["list", topic + ".dlq", "--consumer", "matching.someone-else"]) == 0
            assert "0 dead letters" in capsys.readouterr().out

            # A dry run publishes nothing.
            published = await end_offset(consumer, h.topic)
            assert await dlq(settings, ["replay", topic, "--offset", "0", "--count", "2", "--dry-run"]) == 0
            assert "would re-publish 2" in capsys.readouterr().out
            assert await end_offset(consumer, h.topic) == published

            cause_fixed = True
            assert await dlq(settings, ["replay", topic, "--offset", "0", "--count", "2"]) == 0
            assert "re-published 2 dead letters" in capsys.readouterr().out
            replayed = await next_records(consumer, 2)
            assert [dict(r.headers)["ce_id"].decode() for r in replayed] == [first.id, second.id]
            assert not [k for r in replayed for k, _ in r.headers if k.startswith("dlq_")]
            assert [r.key for r in replayed] == [b"k", b"k"]
            assert await handle_all(consumer, replayed) == [Outcome.APPLIED, Outcome.APPLIED]
            assert [await h.applications(e.id) for e in (first, fine, second)] == [1, 1, 1]

            # Replaying a letter again is harmless: the inbox knows the event.
            assert await dlq(settings, ["replay", topic, "--offset", "0", "--count", "1"]) == 0
            assert await handle_all(consumer, await next_records(consumer, 1)) == [Outcome.DUPLICATE]
            assert await h.applications(first.id) == 1
        finally:
            await consumer.consumer.stop()


async def test_bad_requests_are_refused_and_publish_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for("matching")
    assert await dlq(settings, ["list", "no-such-topic"]) == 2
    assert "no topic" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        await dlq(settings, ["replay", "no-such-topic", "--offset", "0"])  # --count is required: no accidental "all"
    assert refused.value.code == 2
    with pytest.raises(SystemExit):
        await dlq(settings, ["replay", "no-such-topic", "--offset", "-1", "--count", "1"])
