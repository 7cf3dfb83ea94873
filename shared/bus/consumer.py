"""Idempotent event consumers with an inbox and dead letters (DESIGN §4.4).

For each record: the handler's effect and the inbox row ``(consumer, event id)`` commit in one transaction; the
Kafka offset is committed only after that. A crash between the two means the record is read again, and the inbox
turns the second delivery into a no-op. A record that keeps failing is copied to ``<topic>.dlq`` with the error in
its headers, and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import utcnow
from shared.errors import Conflict, error_summary
from shared.events.catalog import DEAD_LETTER_SUFFIX
from shared.events.envelope import CloudEvent, MalformedEvent

if TYPE_CHECKING:
    from shared.uow import UnitOfWork, Work

log = logging.getLogger(__name__)

# A handler applies one event in the consumer's unit of work (``uow.session``, ``uow.emit``, ``uow.audit``).
Handler = Callable[["UnitOfWork", CloudEvent], Awaitable[None]]

# The headers a dead letter carries besides the record's own (read back by shared/bus/dead_letters.py).
DLQ_HEADER_PREFIX = "dlq_"
DLQ_ERROR, DLQ_ATTEMPTS, DLQ_CONSUMER = "dlq_error", "dlq_attempts", "dlq_consumer"
DLQ_ORIGINAL_TOPIC, DLQ_ORIGINAL_PARTITION, DLQ_ORIGINAL_OFFSET = (
    "dlq_original_topic", "dlq_original_partition", "dlq_original_offset")


@dataclass(frozen=True)
class Subscription:
    """What one consumer reads: its name (the inbox key and consumer group), topics, and a handler per event type.

    Event types with no handler are skipped (their offsets still commit): a topic carries more types than any
    one consumer needs.
    """

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    # False for a read model of another service's records: their changes were audited where they were made.
    audited: bool = True


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    DEAD_LETTERED = "dead_lettered"


class InboxConsumer:
    def __init__(
        self,
        *,
        service: str,
        subscription: Subscription,
        consumer: AIOKafkaConsumer,
        dead_letter_producer: AIOKafkaProducer,
        work: Work,
        max_attempts: int = 3,
        retry_backoff_seconds: float = 0.2,
    ) -> None:
        self.service = service
        self.subscription = subscription
        self.consumer = consumer
        self.dead_letters = dead_letter_producer
        self.work = work
        self.inbox = work.tables.inbox
        self.max_attempts = max_attempts
        self.retry_backoff_seconds = retry_backoff_seconds
        self.inbox_key = f"{service}.{subscription.name}"
        self.outcomes: Counter[Outcome] = Counter()
        # Monotonic time of the last loop turn: the worker's liveness check reads it.
        self.last_tick = time.monotonic()

    async def handle(self, record: ConsumerRecord) -> Outcome:
        """Apply one record at most once; never raises for a bad record (it goes to the dead letters)."""
        try:
            event = CloudEvent.from_kafka(record.headers, record.value)
        except MalformedEvent as exc:
            await self._dead_letter(record, exc, attempts=1)
            return Outcome.DEAD_LETTERED
        handler = self.subscription.handlers.get(event.type)
        if handler is None:
            return Outcome.SKIPPED
        last_error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await self._apply_once(event, handler)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
                last_error = exc
                # The error's kind, not its words (they may quote the event's personal data); the dead letter's
                # header keeps the words for the operator who replays it, beside the event itself.
                log.warning("%s: attempt %d/%d failed for %s: %s", self.inbox_key, attempt, self.max_attempts,
                            event.id, error_summary(exc))
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.retry_backoff_seconds * attempt)
        assert last_error is not None
        await self._dead_letter(record, last_error, attempts=self.max_attempts)
        return Outcome.DEAD_LETTERED

    async def _seen(self, session: AsyncSession, event: CloudEvent) -> bool:
        return await session.scalar(select(self.inbox.c.event_id).where(
            self.inbox.c.consumer == self.inbox_key, self.inbox.c.event_id == event.id)) is not None

    async def _apply_once(self, event: CloudEvent, handler: Handler) -> Outcome:
        try:
            # The handler's unit of work: what it emits is caused by this event; a read model it keeps copies
            # changes audited where they were made (Subscription.audited).
            async with self.work(None, system_actor=self.inbox_key, caused_by=event,
                                 audited=self.subscription.audited) as uow:
                if await self._seen(uow.session, event):
                    return Outcome.DUPLICATE
                await uow.session.execute(self.inbox.insert().values(
                    consumer=self.inbox_key, event_id=event.id, event_type=event.type, processed_at=utcnow()))
                await handler(uow, event)
        except (IntegrityError, Conflict):
            # Another instance recorded the same event between our check and our insert: it was applied there.
            async with self.work.sessions() as session:
                if await self._seen(session, event):
                    return Outcome.DUPLICATE
            raise
        return Outcome.APPLIED

    async def _dead_letter(self, record: ConsumerRecord, error: BaseException, attempts: int) -> None:
        headers = list(record.headers or ()) + [
            (DLQ_ERROR, repr(error)[:4000].encode()),
            (DLQ_ATTEMPTS, str(attempts).encode()),
            (DLQ_CONSUMER, self.inbox_key.encode()),
            (DLQ_ORIGINAL_TOPIC, record.topic.encode()),
            (DLQ_ORIGINAL_PARTITION, str(record.partition).encode()),
            (DLQ_ORIGINAL_OFFSET, str(record.offset).encode()),
        ]
        # Awaiting the acknowledgement before the offset commit: a dead letter is never lost either.
        await (await self.dead_letters.send(record.topic + DEAD_LETTER_SUFFIX, value=record.value, key=record.key, headers=headers))
        log.error("%s: dead-lettered %s[%d]@%d: %s", self.inbox_key, record.topic, record.partition, record.offset,
                  error_summary(error))

    async def commit(self, record: ConsumerRecord) -> None:
        try:
            await self.consumer.commit({TopicPartition(record.topic, record.partition): record.offset + 1})
        except CommitFailedError:
            # The partition moved to another member during a rebalance; it will re-read from the last commit and
            # the inbox absorbs the repeat.
            log.warning("%s: offset commit failed after a rebalance", self.inbox_key)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.last_tick = time.monotonic()
            batches = await self.consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    self.outcomes[await self.handle(record)] += 1
                    await self.commit(record)
                    self.last_tick = time.monotonic()
