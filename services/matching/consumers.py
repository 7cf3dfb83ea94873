"""Matching's event handlers: they keep the read models, and recommend strong candidates for new demands. Each
runs inside the consumer's inbox transaction (a redelivered event is applied once)."""

from __future__ import annotations

from typing import Any

from services.matching.index import KIND_SCENARIO
from services.matching.models import EnterpriseProfile, ScenarioRecord
from services.matching.service import recommendations
from services.matching.service.indexing import LiveIndex
from shared.bus.consumer import Handler, Subscription
from shared.events.catalog import SCENARIOS_SCENARIO
from shared.events.envelope import CloudEvent
from shared.events.scenarios import ScenarioClosed, ScenarioPublished, ScenarioState
from shared.read_models.enterprises import enterprise_subscription
from shared.uow import UnitOfWork

SCENARIO_FIELDS = ("title", "description", "status", "publisher_kind", "publisher_uscc", "publisher_department",
                   "sector", "cluster", "industry_chain", "capability_tags", "deliverable", "district_code",
                   "functional_zone", "budget_min_fen", "budget_max_fen", "deadline")


async def on_scenario_state(uow: UnitOfWork, event: CloudEvent) -> None:
    """published / closed carry the scenario as the list shows it: upsert, unless a newer version is here."""
    payload = event.payload(ScenarioState)
    outcome = event.data.get("outcome")
    row = await uow.session.get(ScenarioRecord, payload.scenario_id)
    version = payload.version or 0
    if row is not None and (row.source_version > version or
                            (row.source_version == version and row.source_event_time > event.time)):
        return
    fields: dict[str, Any] = {name: getattr(payload, name) for name in SCENARIO_FIELDS}
    fields |= {"outcome": outcome, "source_version": version, "source_event_time": event.time}
    if row is None:
        uow.session.add(ScenarioRecord(scenario_id=payload.scenario_id, **fields))
        return
    for name, value in fields.items():
        setattr(row, name, value)


def scenario_subscription() -> Subscription:
    # A copy of the scenarios service's records: audited there.
    return Subscription(name="scenarios", topics=(SCENARIOS_SCENARIO.name,), audited=False, handlers={
        ScenarioPublished.event_type: on_scenario_state, ScenarioClosed.event_type: on_scenario_state})


def recommendation_subscription(live: LiveIndex) -> Subscription:
    """On a publication: the strong candidates, as match.recommended (its own consumer, so that recommending never
    holds up the read model, and a failure to recommend is retried on its own)."""

    async def on_scenario_published(uow: UnitOfWork, event: CloudEvent) -> None:
        payload = event.payload(ScenarioPublished)
        await recommendations.recommend(uow, live, KIND_SCENARIO, payload.scenario_id, {
            "id": payload.scenario_id, "title": payload.title, "description": payload.description,
            "sector": payload.sector, "cluster": payload.cluster, "industry_chain": payload.industry_chain,
            "capability_tags": payload.capability_tags, "district_code": payload.district_code,
            "publisher_uscc": payload.publisher_uscc})

    handlers: dict[str, Handler] = {ScenarioPublished.event_type: on_scenario_published}
    # Emits only (no rows of its own change): nothing to audit.
    return Subscription(name="recommendations", topics=(SCENARIOS_SCENARIO.name,), handlers=handlers, audited=False)


def read_model_subscriptions() -> list[Subscription]:
    """The consumers that keep the read models: what ``seedbed matching rebuild`` replays."""
    return [enterprise_subscription(EnterpriseProfile), scenario_subscription()]


def subscriptions(live: LiveIndex | None = None) -> list[Subscription]:
    return [*read_model_subscriptions(), recommendation_subscription(live or LiveIndex())]
