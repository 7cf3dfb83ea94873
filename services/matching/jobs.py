"""Matching jobs for the command line::

    seedbed matching rebuild [--only enterprises,scenarios,challenges,patents]
    seedbed matching embed

``rebuild`` empties matching's read models (enterprises, scenarios, challenges, patents) and replays their topics
from the beginning through the very handlers the worker runs (shared/bus/consumer.py: inbox, versions, dead
letters), up to the end offsets seen when it started. Feedback is matching's own data and is left alone. Use it
after a schema change of a read model, or to build a new database: stop the worker first (its offsets stay where
they were, so it resumes after the replay without applying anything twice: the rebuilt inbox knows every event).
API replicas need no restart: they notice the rows changing and re-index them (service/indexing.py); a full
rebuild leaves every row with a new ``updated_at``.

The embeddings (the semantic signal's vectors, models/embeddings.py) are keyed by text and survive a rebuild: the
replayed rows find them. ``embed`` computes the vectors that rows of the read models lack (~36–130 ms each, one
thread): after the semantic signal is first deployed over an existing database, or if the worker's ``embeddings``
consumer was behind when it was stopped. Safe to run at any time, and again: a text already stored is skipped.

Exit status: 0 done, 2 refused (bad arguments), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import delete, select

from services.matching.consumers import read_model_subscriptions
from services.matching.models import ChallengeRecord, EnterpriseProfile, PatentRecord, ScenarioRecord, bus
from services.matching.service import embeddings, work_of
from services.matching.service.indexing import FIRM_FIELDS, challenge_demand, firm_of, patent_demand, scenario_demand
from services.matching.settings import Settings
from shared.bus.consumer import InboxConsumer, Outcome, Subscription
from shared.bus.kafka import new_producer
from shared.db import create_engine, session_factory
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

# The table each read-model consumer keeps.
TABLES = {"enterprises": EnterpriseProfile, "scenarios": ScenarioRecord, "challenges": ChallengeRecord,
          "patents": PatentRecord}


@dataclass
class Replayed:
    subscription: str
    records: int
    applied: int
    seconds: float


async def _from_the_beginning(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, topics: Sequence[str]
                              ) -> dict[TopicPartition, int]:
    """Assign every partition of ``topics`` from its first record; the end offset of each non-empty one."""
    # The producer's partitions_for waits for the topic's metadata (a bare consumer has none until it subscribes).
    partitions = [TopicPartition(t, p) for t in topics for p in sorted(await producer.partitions_for(t))]
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    return {tp: offset for tp, offset in (await consumer.end_offsets(partitions)).items() if offset > 0}


async def replay(settings: ServiceSettings, subscription: Subscription) -> Replayed:
    """Empty the subscription's table and inbox, then apply its topics from the first record to the last one
    present when the replay started."""
    started = time.perf_counter()
    engine = create_engine(settings.database_url, settings.database_pool_size)
    work = work_of(session_factory(engine), settings)
    inbox_key = f"{settings.service_name}.{subscription.name}"
    async with work.sessions.begin() as session:
        await session.execute(delete(TABLES[subscription.name]))
        await session.execute(delete(bus.inbox).where(bus.inbox.c.consumer == inbox_key))
    topics = [settings.topic(t) for t in subscription.topics]
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                client_id=f"seedbed-matching-rebuild-{subscription.name}")
    producer = new_producer(settings.kafka_bootstrap, client_id="seedbed-matching-rebuild")
    await consumer.start()
    await producer.start()
    records = applied = 0
    try:
        ends = await _from_the_beginning(consumer, producer, topics)
        inbox = InboxConsumer(service=settings.service_name, subscription=subscription, consumer=consumer,
                              dead_letter_producer=producer, work=work, max_attempts=settings.consumer_max_attempts,
                              retry_backoff_seconds=settings.consumer_retry_backoff_seconds)
        pending = dict(ends)
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, batch in batches.items():
                for record in batch:
                    if record.offset >= ends[tp]:
                        break
                    records += 1
                    applied += await inbox.handle(record) is Outcome.APPLIED
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    del pending[tp]
    finally:
        await consumer.stop()
        await producer.stop()
        await engine.dispose()
    return Replayed(subscription.name, records, applied, time.perf_counter() - started)


async def embed_missing(settings: ServiceSettings, chunk: int = 200) -> tuple[int, int]:
    """(texts looked at, vectors computed) over every firm, open demand and listed patent of the read models."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    texts: list[tuple[str, str]] = []
    try:
        async with sessions() as session:
            for row in await session.execute(select(*(getattr(EnterpriseProfile, n) for n in FIRM_FIELDS))):
                texts.append(embeddings.firm_text(firm_of(row)))
            for scenario in await session.scalars(select(ScenarioRecord)):
                texts.append(embeddings.demand_text(scenario_demand(scenario)))
            for challenge in await session.scalars(select(ChallengeRecord)):
                texts.append(embeddings.demand_text(challenge_demand(
                    challenge, issuer_uscc=challenge.issuer_uscc, indicators=challenge.indicators)))
            for patent in await session.scalars(select(PatentRecord)):
                texts.append(embeddings.demand_text(patent_demand(patent)))
        computed = 0
        for start in range(0, len(texts), chunk):
            async with sessions() as session, session.begin():  # a commit per chunk: an interrupted run keeps its work
                computed += await embeddings.store(session, texts[start:start + chunk])
        return len(texts), computed
    finally:
        await engine.dispose()


async def rebuild(settings: ServiceSettings, only: Sequence[str] = ()) -> list[Replayed]:
    chosen = [s for s in read_model_subscriptions() if not only or s.name in only]
    return [await replay(settings, s) for s in chosen]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seedbed matching rebuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help=f"comma-separated, of {', '.join(TABLES)} (default: all)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(TABLES)
    if unknown:
        print(f"seedbed matching rebuild: unknown read model {sorted(unknown)}; one of {list(TABLES)}", file=sys.stderr)
        return 2
    for done in asyncio.run(rebuild(Settings(), only)):
        print(f"{done.subscription}: {done.records} records replayed, {done.applied} applied in {done.seconds:.1f} s")
    return 0


def embed_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seedbed matching embed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    try:
        parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    started = time.perf_counter()
    seen, computed = asyncio.run(embed_missing(Settings()))
    print(f"embeddings: {seen} texts, {computed} computed in {time.perf_counter() - started:.1f} s")
    return 0


JOBS = {"rebuild": main, "embed": embed_main}
