"""Payloads of the events the registry publishes (``seedbed.registry.*``)."""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.catalog import REGISTRY_ENTERPRISE
from shared.events.envelope import EventPayload, register_event


@register_event
class EnterpriseRegistered(EventPayload):
    """A firm entered the programme's book of record."""

    event_type = "seedbed.registry.enterprise.registered.v1"
    topic = REGISTRY_ENTERPRISE.name

    enterprise_id: uuid.UUID
    uscc: str
    name: str
    district_code: str
    industry_code: str | None = None
    established_on: date | None = None
    main_products: str | None = None
