"""aiokafka clients as the suite configures them, and explicit topic creation."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.events.catalog import TopicSpec

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


def new_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    # Idempotence (implies acks=all) lets the producer retry without duplicating or reordering within a
    # partition, which is what keeps one aggregate's events in order.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30000,
    )


def new_consumer(bootstrap: str, group_id: str, topics: Iterable[str], client_id: str) -> AIOKafkaConsumer:
    # Offsets are committed by hand, after the database commit (DESIGN §4.4).
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=200,
    )


async def create_topics(bootstrap: str, specs: Iterable[TopicSpec], prefix: str = "", replication_factor: int = 1) -> list[str]:
    """Create the topics that do not exist yet; returns the names created. Safe to run again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="seedbed-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [s for s in specs if prefix + s.name not in existing]
        if not wanted:
            return []
        response = await admin.create_topics(
            [
                NewTopic(
                    name=prefix + s.name,
                    num_partitions=s.partitions,
                    replication_factor=replication_factor,
                    topic_configs={"retention.ms": str(s.retention_ms)},
                )
                for s in wanted
            ]
        )
        for error in response.topic_errors:
            name, code = error[0], error[1]
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {name}: error code {code} {error[2:] if len(error) > 2 else ''}")
        created = [prefix + s.name for s in wanted]
        log.info("created topics: %s", ", ".join(created))
        return created
    finally:
        await admin.close()


async def kafka_reachable(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """Whether a broker answers a metadata request (used by /readyz)."""
    import asyncio

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="seedbed-readyz", request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    finally:
        try:
            await admin.close()
        except Exception:  # noqa: BLE001
            pass
