"""Payloads of the events the scenarios service publishes (``seedbed.scenarios.*``).

Event-carried state: what matching needs to index a scenario without calling back. Personal data (the contact)
never travels in events. Money in fen (分).
"""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.catalog import SCENARIOS_SCENARIO
from shared.events.envelope import EventPayload, register_event


class ScenarioState(EventPayload):
    """A scenario as the list shows it, as of the event."""

    scenario_id: uuid.UUID
    title: str
    description: str
    status: str
    publisher_kind: str
    publisher_uscc: str | None = None
    publisher_department: str | None = None
    sector: str
    cluster: str | None = None
    industry_chain: str | None = None
    capability_tags: list[str] = []
    deliverable: str | None = None
    district_code: str
    functional_zone: str | None = None
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    deadline: date
    version: int | None = None


@register_event
class ScenarioPublished(ScenarioState):
    """A scenario went on the list (发布): enterprises may answer it until its deadline."""

    event_type = "seedbed.scenarios.scenario.published.v1"
    topic = SCENARIOS_SCENARIO.name


@register_event
class ScenarioClosed(ScenarioState):
    """A scenario ended with its outcome (``outcome``: domain ScenarioOutcome) and the reason given."""

    event_type = "seedbed.scenarios.scenario.closed.v1"
    topic = SCENARIOS_SCENARIO.name

    outcome: str
    reason: str | None = None
