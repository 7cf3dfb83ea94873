"""Dead letters: list them, and re-publish chosen ones to their original topic once the cause is fixed.

    seedbed <service> dlq list TOPIC [--offset N] [--count M] [--consumer KEY]
    seedbed <service> dlq replay TOPIC --offset N --count M [--consumer KEY] [--dry-run]

TOPIC is the catalogue name (``seedbed.registry.enterprise``; the service's topic prefix is added, and a trailing
``.dlq`` is accepted). The service's settings give the broker. Offsets are those of the dead-letter topic's single
partition; ``--consumer`` keeps only the letters of one consumer (``dlq_consumer``, e.g. ``matching.enterprises``).

Replaying sends each letter to ``dlq_original_topic`` with its key (hence the same partition), value and
CloudEvents headers, without the ``dlq_*`` headers, through an idempotent producer. It is safe for every consumer
of the topic: one that had already applied the event drops it by its id (the inbox). It is not in order: the event
arrives after newer events of its aggregate (docs/operations.md says when to rebuild a read model instead).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.bus.consumer import (
    DLQ_ATTEMPTS,
    DLQ_CONSUMER,
    DLQ_ERROR,
    DLQ_HEADER_PREFIX,
    DLQ_ORIGINAL_TOPIC,
)
from shared.bus.kafka import new_producer
from shared.events.catalog import DEAD_LETTER_SUFFIX
from shared.settings import ServiceSettings

READ_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", "replace")
        return ""

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v) for k, v in self.headers if not k.startswith(DLQ_HEADER_PREFIX)]

    def describe(self) -> str:
        return (f"{self.offset}\t{self.header('ce_type') or '-'}\t{self.header('ce_id') or '-'}\t"
                f"{self.header(DLQ_CONSUMER)}\tattempts {self.header(DLQ_ATTEMPTS)}\t{self.header(DLQ_ERROR)[:200]}")


async def read_dead_letters(
    bootstrap: str, dlq_topic: str, *, offset: int = 0, count: int | None = None, consumer: str | None = None
) -> list[DeadLetter]:
    """The letters at offsets ``offset`` .. ``offset + count - 1`` (or to the end), optionally of one consumer."""
    partition = TopicPartition(dlq_topic, 0)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              client_id="seedbed-dlq")
    await reader.start()
    try:
        if dlq_topic not in await reader.topics():
            raise LookupError(f"no topic {dlq_topic}")
        reader.assign([partition])
        end = (await reader.end_offsets([partition]))[partition]
        stop = end if count is None else min(end, offset + count)
        letters: list[DeadLetter] = []
        if offset >= stop:
            return letters
        reader.seek(partition, offset)
        deadline = asyncio.get_running_loop().time() + READ_TIMEOUT_SECONDS
        while await reader.position(partition) < stop:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {dlq_topic} up to offset {stop}")
            for record in (await reader.getmany(partition, timeout_ms=500)).get(partition, []):
                if record.offset >= stop:
                    break
                letter = DeadLetter(record.offset, record.key, record.value, tuple(record.headers or ()))
                if consumer is None or letter.header(DLQ_CONSUMER) == consumer:
                    letters.append(letter)
        return letters
    finally:
        await reader.stop()


async def replay(bootstrap: str, letters: Sequence[DeadLetter]) -> int:
    """Re-publish ``letters`` to their original topics; returns how many were acknowledged."""
    missing = [letter.offset for letter in letters if not letter.header(DLQ_ORIGINAL_TOPIC)]
    if missing:
        raise ValueError(f"dead letters at offsets {missing} do not name their original topic")
    producer = new_producer(bootstrap, "seedbed-dlq-replay")
    await producer.start()
    try:
        for letter in letters:
            await producer.send_and_wait(letter.header(DLQ_ORIGINAL_TOPIC), value=letter.value, key=letter.key,
                                         headers=letter.original_headers)
    finally:
        await producer.stop()
    return len(letters)


def main(settings: ServiceSettings, argv: list[str]) -> int:
    return asyncio.run(run(settings, argv))


async def run(settings: ServiceSettings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"seedbed {settings.service_name} dlq",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print the dead letters, one per line")
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--count", type=int)
    replaying = commands.add_parser("replay", help="re-publish dead letters to their original topic")
    replaying.add_argument("--offset", type=int, required=True)
    replaying.add_argument("--count", type=int, required=True)
    replaying.add_argument("--dry-run", action="store_true", help="print what would be re-published")
    for sub in (listing, replaying):
        sub.add_argument("topic", help="the catalogue topic, e.g. seedbed.registry.enterprise")
        sub.add_argument("--consumer", help="only the letters of this consumer (dlq_consumer)")
    args = parser.parse_args(argv)
    if args.offset < 0 or (args.count is not None and args.count < 1):
        parser.error("--offset must be 0 or more and --count 1 or more")
    name = args.topic.removesuffix(DEAD_LETTER_SUFFIX)
    dlq_topic = settings.topic(name) + DEAD_LETTER_SUFFIX
    try:
        letters = await read_dead_letters(settings.kafka_bootstrap, dlq_topic, offset=args.offset, count=args.count,
                                          consumer=args.consumer)
    except (LookupError, TimeoutError) as exc:
        print(f"seedbed dlq: {exc}", file=sys.stderr)
        return 2
    for letter in letters:
        print(letter.describe())
    if args.command == "list":
        print(f"{len(letters)} dead letters in {dlq_topic}")
    elif args.dry_run:
        print(f"would re-publish {len(letters)} dead letters (dry run)")
    else:
        replayed = await replay(settings.kafka_bootstrap, letters)
        where = f" (offsets {letters[0].offset}-{letters[-1].offset} of {dlq_topic})" if letters else ""
        print(f"re-published {replayed} dead letters{where}; record how far the dead-letter topic is drained")
    return 0
