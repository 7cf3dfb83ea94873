"""The outbox relay: publishes committed outbox rows to Kafka and marks them only once Kafka acknowledged them.

Guarantees: nothing committed is lost (a row stays unpublished until acknowledged, so a relay that crashes
between send and mark sends it again after restart); duplicates are possible after such a crash and consumers
drop them by event id (the inbox). Order per aggregate holds because rows go out in id order on one idempotent
producer and the record key pins an aggregate to one partition. On PostgreSQL one relay per service is active at a
time (an advisory lock), so extra worker replicas stand by instead of racing each other.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib

from aiokafka import AIOKafkaProducer
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.bus.tables import BusTables
from shared.db import utcnow

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        tables: BusTables,
        producer: AIOKafkaProducer,
        batch_size: int = 200,
        idle_seconds: float = 0.2,
    ) -> None:
        self.service = service
        self.engine = engine
        self.sessions = sessions
        self.outbox = tables.outbox
        self.producer = producer
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.published_total = 0
        self.failures_total = 0
        # Monotonic time of the last loop turn: the worker's liveness check reads it.
        self.last_tick = time.monotonic()
        self.standing_by = False

    async def publish_batch(self) -> int:
        """Publish up to one batch of pending rows; returns how many were acknowledged and marked."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(self.outbox)
                    .where(self.outbox.c.published_at.is_(None))
                    .order_by(self.outbox.c.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        futures = [
            await self.producer.send(
                row.topic,
                value=row.payload.encode(),
                key=row.key.encode(),
                headers=[(k, v.encode()) for k, v in row.headers],
            )
            for row in rows
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        # Mark only the acknowledged prefix: a row after a failed one is sent again next time, so that no
        # aggregate's later event is recorded as published ahead of an earlier one.
        acked: list[int] = []
        failure: tuple[int, BaseException] | None = None
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failure = (row.id, result)
                break
            acked.append(row.id)
        async with self.sessions.begin() as session:
            if acked:
                await session.execute(
                    update(self.outbox)
                    .where(self.outbox.c.id.in_(acked))
                    .values(published_at=utcnow(), attempts=self.outbox.c.attempts + 1)
                )
            if failure:
                await session.execute(
                    update(self.outbox)
                    .where(self.outbox.c.id == failure[0])
                    .values(attempts=self.outbox.c.attempts + 1, last_error=repr(failure[1])[:2000])
                )
        self.published_total += len(acked)
        if failure:
            raise failure[1]
        return len(acked)

    async def drain(self) -> int:
        """Publish until nothing is pending (used by tests and benchmarks)."""
        total = 0
        while n := await self.publish_batch():
            total += n
        return total

    async def run(self, stop: asyncio.Event) -> None:
        async with self._leadership(stop) as leader:
            if not leader.held:
                return
            backoff = self.idle_seconds
            while not stop.is_set():
                self.last_tick = time.monotonic()
                await leader.confirm()
                try:
                    published = await self.publish_batch()
                    backoff = self.idle_seconds
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - the relay must outlive a broker restart
                    log.exception("outbox relay: publish failed; retrying")
                    self.failures_total += 1
                    published = 0
                    backoff = min(backoff * 2, 5.0)
                if not published:
                    try:
                        await asyncio.wait_for(stop.wait(), backoff)
                    except TimeoutError:
                        pass

    def _leadership(self, stop: asyncio.Event) -> _Leadership:
        return _Leadership(self, stop)


class _Leadership:
    """Holds a PostgreSQL advisory lock while this relay is the active one (no-op on SQLite)."""

    CONFIRM_EVERY_SECONDS = 10.0

    def __init__(self, relay: OutboxRelay, stop: asyncio.Event) -> None:
        self.relay = relay
        self.stop = stop
        self.conn = None
        self.held = False
        self.confirmed_at = 0.0
        self.key = zlib.crc32(f"seedbed.outbox.{relay.service}".encode())

    async def confirm(self) -> None:
        """Raise if the lock's connection is gone (e.g. a database failover): the lock went with it, and another
        relay may hold it now. The worker then exits and is restarted, and stands by or leads afresh."""
        if self.conn is None or time.monotonic() - self.confirmed_at < self.CONFIRM_EVERY_SECONDS:
            return
        await self.conn.execute(text("SELECT 1"))
        await self.conn.commit()
        self.confirmed_at = time.monotonic()

    async def __aenter__(self) -> _Leadership:
        if self.relay.engine.dialect.name != "postgresql":
            self.held = True
            return self
        self.conn = await self.relay.engine.connect()
        while not self.stop.is_set():
            got = await self.conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            await self.conn.commit()
            if got:
                self.relay.standing_by = False
                self.held = True
                self.confirmed_at = time.monotonic()
                return self
            log.info("outbox relay: another relay is active; standing by")
            self.relay.standing_by = True
            self.relay.last_tick = time.monotonic()
            try:
                await asyncio.wait_for(self.stop.wait(), 5.0)
            except TimeoutError:
                pass
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.conn is not None:
            # Closing the connection releases the session-level advisory lock.
            await self.conn.close()
