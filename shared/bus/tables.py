"""Tables every service keeps in its own database: the outbox, the inbox and the audit log.

They are plain Core tables built on the service's own metadata, so each service's Alembic tree owns them and the
relay and consumer code can work on any service generically.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, Uuid

from shared.db import BigIntPK, UTCDateTime


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table
    audit_log: Table


def bus_tables(metadata: MetaData) -> BusTables:
    outbox = Table(
        "outbox",
        metadata,
        # The relay publishes in id order: per aggregate that is commit order, which Kafka keeps per key.
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("headers", JSON, nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )
    # The relay's only query: unpublished rows in id order.
    Index("ix_outbox_unpublished", outbox.c.published_at, outbox.c.id)
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("processed_at", UTCDateTime, nullable=False),
    )
    audit_log = Table(
        "audit_log",
        metadata,
        Column("id", BigIntPK, primary_key=True, autoincrement=True),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("actor", String(200), nullable=False),
        Column("actor_role", String(40), nullable=False),
        Column("action", String(100), nullable=False),
        Column("entity_type", String(100), nullable=False),
        Column("entity_id", String(100), nullable=False),
        Column("changes", JSON, nullable=False),
        Column("request_id", String(100), nullable=True),
    )
    Index("ix_audit_log_entity", audit_log.c.entity_type, audit_log.c.entity_id, audit_log.c.id)
    return BusTables(outbox=outbox, inbox=inbox, audit_log=audit_log)
