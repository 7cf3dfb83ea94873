"""Writing events and audit entries in the caller's transaction (DESIGN §4.3, §6).

The unit of work (``shared.uow``) makes these rows from what a use case records and inserts them at commit, so
that they commit or roll back with the state change. Nothing here talks to Kafka: the relay
(``shared.bus.relay``) publishes committed rows afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import json_dumps, utcnow
from shared.events.envelope import CloudEvent

if TYPE_CHECKING:
    from shared.auth import Actor
    from shared.events.envelope import EventPayload
    from shared.settings import ServiceSettings


def outbox_row(event: CloudEvent, *, topic: str, key: str, created_at: datetime | None = None) -> dict[str, Any]:
    """The outbox row of one event. Bulk use cases collect these and insert them with one executemany."""
    return {
        "event_id": uuid.UUID(event.id),
        "topic": topic,
        "key": key,
        "event_type": event.type,
        "headers": [[k, v.decode()] for k, v in event.kafka_headers()],
        "payload": event.kafka_value().decode(),
        "created_at": created_at or utcnow(),
        "attempts": 0,
    }


def audit_row(
    actor: Actor | None,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    changes: dict[str, Any],
    occurred_at: datetime | None = None,
    system_actor: str = "system",
) -> dict[str, Any]:
    """The audit row of one change; ``actor`` None is a job acting on its own (recorded as ``system_actor``)."""
    return {
        "occurred_at": occurred_at or utcnow(),
        "actor": actor.principal.subject if actor else system_actor,
        "actor_role": actor.principal.role.value if actor else system_actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        # Through JSON and back, so that dates, UUIDs and Decimals are stored the same way on every backend.
        "changes": orjson.loads(json_dumps(changes)),
        "request_id": actor.request_id if actor else None,
    }


async def insert_rows(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    """Many outbox or audit rows (from outbox_row/audit_row) in one executemany; nothing when there are none."""
    if rows:
        await session.execute(table.insert(), rows)


def event_row(
    settings: ServiceSettings,
    payload: EventPayload,
    *,
    subject: str,
    actor: Actor | None = None,
    causation_id: str | None = None,
    created_at: datetime | None = None,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """The outbox row of the usual event: the payload's topic (with the settings' prefix), keyed by ``subject``
    (the aggregate id), correlated with the request that caused it (or ``correlation_id``: the flow an applied
    event belongs to). Bulk use cases insert many with insert_rows."""
    event = CloudEvent.of(
        payload,
        service=settings.service_name,
        subject=subject,
        correlation_id=correlation_id or (actor.request_id if actor else None),
        causation_id=causation_id,
    )
    return outbox_row(event, topic=settings.topic(payload.topic), key=subject, created_at=created_at)
