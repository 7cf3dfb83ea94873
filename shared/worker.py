"""A service's background process: the outbox relay plus its event consumers (DESIGN §3 ``worker.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator, Sequence

import uvicorn
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus.consumer import InboxConsumer, Subscription
from shared.bus.kafka import new_consumer, new_producer
from shared.bus.relay import OutboxRelay
from shared.bus.tables import BusTables
from shared.db import create_engine, session_factory
from shared.idempotency import purge_expired
from shared.settings import ServiceSettings
from shared.uow import Work
from shared.worker_http import worker_app

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """Uvicorn inside the worker's event loop. The worker, not uvicorn, handles SIGTERM, so that shutdown stops
    the relay and consumers first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def consumer_group(settings: ServiceSettings, subscription: Subscription) -> str:
    return settings.topic(f"seedbed.{settings.service_name}.{subscription.name}")


async def _start_with_retry(client, what: str, stop: asyncio.Event) -> bool:  # type: ignore[no-untyped-def]
    # A worker that starts while the broker is down waits for it instead of crash-looping.
    delay = 0.5
    while not stop.is_set():
        try:
            await client.start()
            return True
        except KafkaConnectionError:
            log.warning("%s: Kafka not reachable; retrying in %.1fs", what, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
    return False


async def run_worker(
    settings: ServiceSettings,
    tables: BusTables,
    subscriptions: Sequence[Subscription],
    stop: asyncio.Event | None = None,
) -> None:
    stop = stop or asyncio.Event()
    engine = create_engine(settings.database_url, settings.database_pool_size)
    sessions = session_factory(engine)
    work = Work(sessions, settings, tables, tables.outbox.metadata)
    service = settings.service_name
    producer = new_producer(settings.kafka_bootstrap, client_id=f"seedbed-{service}-relay")
    consumers: list[InboxConsumer] = []
    try:
        if not await _start_with_retry(producer, f"{service} producer", stop):
            return
        relay = OutboxRelay(
            service=service,
            engine=engine,
            sessions=sessions,
            tables=tables,
            producer=producer,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
        )
        for sub in subscriptions:
            kafka_consumer = new_consumer(
                settings.kafka_bootstrap,
                group_id=consumer_group(settings, sub),
                topics=[settings.topic(t) for t in sub.topics],
                client_id=f"seedbed-{service}-{sub.name}",
            )
            if not await _start_with_retry(kafka_consumer, f"{service} consumer {sub.name}", stop):
                return
            consumers.append(
                InboxConsumer(
                    service=service,
                    subscription=sub,
                    consumer=kafka_consumer,
                    dead_letter_producer=producer,
                    work=work,
                    max_attempts=settings.consumer_max_attempts,
                    retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
                )
            )
        http = _EmbeddedServer(uvicorn.Config(
            worker_app(service, relay, consumers, sessions, tables, settings.worker_stall_seconds),
            host=settings.http_host, port=settings.worker_http_port, log_level="warning", lifespan="off",
        ))
        tasks = [asyncio.create_task(relay.run(stop), name="relay")] + [
            asyncio.create_task(c.run(stop), name=f"consumer:{c.subscription.name}") for c in consumers
        ]
        housekeeping = asyncio.create_task(keep_house(sessions, tables, stop), name="housekeeping")
        http_task = asyncio.create_task(http.serve(), name="http")
        log.info("%s worker running: relay + %d consumer(s)", service, len(consumers))
        done, _ = await asyncio.wait(tasks + [asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        http.should_exit = True
        await asyncio.gather(*tasks, http_task, housekeeping, return_exceptions=True)
        for task in tasks:
            if task in done and task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        for c in consumers:
            await c.consumer.stop()
        await producer.stop()
        await engine.dispose()


# Expired Idempotency-Keys are ignored already; deleting them only frees space, so once an hour is plenty.
HOUSEKEEPING_SECONDS = 3600.0


async def keep_house(sessions: async_sessionmaker[AsyncSession], tables: BusTables, stop: asyncio.Event,
                     every: float = HOUSEKEEPING_SECONDS) -> None:
    """Delete expired Idempotency-Keys now and then. A failure is logged and tried again next time: it must never
    take the relay and consumers down with it."""
    while not stop.is_set():
        try:
            async with sessions.begin() as session:
                purged = await purge_expired(session, tables)
            if purged:
                log.info("purged %d expired idempotency keys", purged)
        except Exception:  # noqa: BLE001 - housekeeping is best effort
            log.exception("idempotency key purge failed; trying again later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
