"""Tables every service keeps in its own database: the outbox, the inbox, the audit log and the idempotency keys.

They are plain Core tables built on the service's own metadata, so each service's Alembic tree owns them and the
relay and consumer code can work on any service generically.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text, Uuid

from shared.db import BigIntPK, UTCDateTime


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table
    audit_log: Table
    idempotency_keys: Table


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
    # The responses of requests sent with an Idempotency-Key (shared/idempotency.py), kept until they expire.
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        # A key is the caller's own: another caller (or the same caller on another route) may use the same one.
        Column("caller", String(250), primary_key=True),
        Column("operation", String(300), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        # Null only inside the first request's own transaction: the response commits with the effect.
        Column("status", Integer, nullable=True),
        Column("headers", JSON, nullable=True),
        Column("body", LargeBinary, nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
    )
    Index("ix_idempotency_keys_expires_at", idempotency_keys.c.expires_at)
    return BusTables(outbox=outbox, inbox=inbox, audit_log=audit_log, idempotency_keys=idempotency_keys)
