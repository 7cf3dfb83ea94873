"""Matching's event handlers: they keep the read models, and recommend strong candidates for new demands. Each
runs inside the consumer's inbox transaction (a redelivered event is applied once)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.matching.index import KIND_CHALLENGE, KIND_SCENARIO
from services.matching.models import ChallengeRecord, EnterpriseProfile, PatentRecord, ScenarioRecord
from services.matching.service import embeddings, recommendations
from services.matching.service.indexing import LiveIndex, challenge_demand, patent_demand, scenario_demand
from shared.bus.consumer import Handler, Subscription
from shared.events.catalog import LICENSING_PATENT, REGISTRY_ENTERPRISE, SCENARIOS_CHALLENGE, SCENARIOS_SCENARIO
from shared.events.envelope import CloudEvent
from shared.events.licensing import (
    OpenLicenceDeclared,
    OpenLicenceWithdrawn,
    PatentDelisted,
    PatentListed,
    PatentState,
)
from shared.events.registry import EnterpriseRegistered, EnterpriseState, EnterpriseUpdated
from shared.events.scenarios import (
    ChallengeAccepted,
    ChallengeAppointed,
    ChallengeFailed,
    ChallengePublished,
    ChallengeRef,
    ScenarioClosed,
    ScenarioPublished,
    ScenarioState,
)
from shared.read_models.enterprises import enterprise_subscription
from shared.uow import UnitOfWork

SCENARIO_FIELDS = ("title", "description", "status", "publisher_kind", "publisher_uscc", "publisher_department",
                   "sector", "cluster", "industry_chain", "capability_tags", "deliverable", "district_code",
                   "functional_zone", "budget_min_fen", "budget_max_fen", "deadline", "supplier_uscc")
PATENT_FIELDS = ("patent_number", "patent_type", "title", "abstract", "ipc_classes", "holder_institute_id",
                 "holder_name", "legal_status", "modes_offered", "open_licence")


async def upsert_newer(uow: UnitOfWork, model: Any, key: Any, version: int | None, event: CloudEvent,
                       fields: Mapping[str, Any], *, create: bool = True) -> Any:
    """Write ``fields`` on the row of ``key`` unless the row already reflects a newer version of its source (a
    replayed older event must not undo a newer one). ``create=False``: an event that only amends a record leaves a
    missing row missing (it is retried, then dead-lettered: the publication was lost upstream)."""
    row = await uow.session.get(model, key)
    version = version or 0
    if row is not None and (row.source_version > version or
                            (row.source_version == version and row.source_event_time > event.time)):
        return row
    values = {**fields, "source_version": version, "source_event_time": event.time}
    if row is None:
        if not create:
            raise LookupError(f"no {model.__tablename__} row {key} yet")
        row = model(**{model.__mapper__.primary_key[0].key: key}, **values)
        uow.session.add(row)
        return row
    for name, value in values.items():
        setattr(row, name, value)
    return row


async def on_scenario_state(uow: UnitOfWork, event: CloudEvent) -> None:
    """published / closed carry the scenario as the list shows it."""
    payload = event.payload(ScenarioState)
    fields = {name: getattr(payload, name) for name in SCENARIO_FIELDS} | {"outcome": event.data.get("outcome")}
    await upsert_newer(uow, ScenarioRecord, payload.scenario_id, payload.version, event, fields)


async def on_challenge_published(uow: UnitOfWork, event: CloudEvent) -> None:
    p = event.payload(ChallengePublished)
    await upsert_newer(uow, ChallengeRecord, p.challenge_id, p.version, event, {
        "title": p.title, "background": p.background, "indicators": [i.model_dump() for i in p.indicators],
        "status": p.status, "issuer_kind": p.issuer.kind, "issuer_uscc": p.issuer.uscc,
        "issuer_department": p.issuer.department, "sector": p.sector, "cluster": p.cluster,
        "industry_chain": p.industry_chain, "capability_tags": p.capability_tags,
        "eligibility": p.eligibility.model_dump(), "district_code": p.district_code,
        "application_deadline": p.application_deadline, "appointed_usccs": []})


async def on_challenge_progress(uow: UnitOfWork, event: CloudEvent) -> None:
    """Appointed, accepted, failed: the challenge's status, and the firms of its appointed teams (an outcome)."""
    p = event.payload(ChallengeRef)
    teams = event.data.get("teams") or event.data.get("passed_teams") or []
    usccs = sorted({u for t in teams for u in [t.get("lead_uscc"), *(t.get("partner_usccs") or [])] if u})
    fields: dict[str, Any] = {"status": p.status, "title": p.title}
    if usccs:
        fields["appointed_usccs"] = usccs
    await upsert_newer(uow, ChallengeRecord, p.challenge_id, p.version, event, fields, create=False)


async def on_patent_state(uow: UnitOfWork, event: CloudEvent) -> None:
    """listed / delisted / open licence declared or withdrawn carry the patent as it stands."""
    p = event.payload(PatentState)
    fields: dict[str, Any] = {name: getattr(p, name) for name in PATENT_FIELDS}
    if event.type in (PatentListed.event_type, PatentDelisted.event_type):
        fields["listed"] = event.type == PatentListed.event_type
    else:  # an open licence changes what is offered, not whether the patent is on the listing
        row = await uow.session.get(PatentRecord, p.patent_id)
        fields["listed"] = bool(row is not None and row.listed)
    await upsert_newer(uow, PatentRecord, p.patent_id, p.version, event, fields)


def read_model_subscriptions() -> list[Subscription]:
    """The consumers that keep the read models: what ``seedbed matching rebuild`` replays. Copies of other
    services' records, audited where they were made."""
    return [
        enterprise_subscription(EnterpriseProfile),
        Subscription(name="scenarios", topics=(SCENARIOS_SCENARIO.name,), audited=False, handlers={
            ScenarioPublished.event_type: on_scenario_state, ScenarioClosed.event_type: on_scenario_state}),
        Subscription(name="challenges", topics=(SCENARIOS_CHALLENGE.name,), audited=False, handlers={
            ChallengePublished.event_type: on_challenge_published,
            ChallengeAppointed.event_type: on_challenge_progress, ChallengeAccepted.event_type: on_challenge_progress,
            ChallengeFailed.event_type: on_challenge_progress}),
        Subscription(name="patents", topics=(LICENSING_PATENT.name,), audited=False, handlers={
            t.event_type: on_patent_state
            for t in (PatentListed, PatentDelisted, OpenLicenceDeclared, OpenLicenceWithdrawn)}),
    ]


def recommendation_subscription(live: LiveIndex, *, semantic: bool = True) -> Subscription:
    """On a publication: the strong candidates, as match.recommended (its own consumer, so that recommending never
    holds up the read models, and a failure to recommend is retried on its own)."""

    async def on_scenario_published(uow: UnitOfWork, event: CloudEvent) -> None:
        p = event.payload(ScenarioPublished)
        await recommendations.recommend(uow, live, KIND_SCENARIO, p.scenario_id, scenario_demand(p), embed=semantic)

    async def on_challenge_published(uow: UnitOfWork, event: CloudEvent) -> None:
        p = event.payload(ChallengePublished)
        await recommendations.recommend(uow, live, KIND_CHALLENGE, p.challenge_id, challenge_demand(
            p, issuer_uscc=p.issuer.uscc, indicators=[i.model_dump() for i in p.indicators]), embed=semantic)

    handlers: dict[str, Handler] = {ScenarioPublished.event_type: on_scenario_published,
                                    ChallengePublished.event_type: on_challenge_published}
    # Emits only (no rows of its own change): nothing to audit.
    return Subscription(name="recommendations", topics=(SCENARIOS_SCENARIO.name, SCENARIOS_CHALLENGE.name),
                        handlers=handlers, audited=False)


def embedding_subscription() -> Subscription:
    """The vectors of what the read models hold (service/embeddings.py), from the same events: the text is built
    from the event as the index builds it from the row, so the keys meet. Events that change no text (a tier, a
    pool, an appointment) are not handled; a text seen before is not embedded again."""

    async def on_enterprise(uow: UnitOfWork, event: CloudEvent) -> None:
        await embeddings.store(uow.session, [embeddings.firm_text(event.payload(EnterpriseState).model_dump())])

    async def on_scenario(uow: UnitOfWork, event: CloudEvent) -> None:
        await embeddings.store(uow.session, [embeddings.demand_text(scenario_demand(event.payload(ScenarioState)))])

    async def on_challenge(uow: UnitOfWork, event: CloudEvent) -> None:
        p = event.payload(ChallengePublished)
        demand = challenge_demand(p, issuer_uscc=p.issuer.uscc, indicators=[i.model_dump() for i in p.indicators])
        await embeddings.store(uow.session, [embeddings.demand_text(demand)])

    async def on_patent(uow: UnitOfWork, event: CloudEvent) -> None:
        await embeddings.store(uow.session, [embeddings.demand_text(patent_demand(event.payload(PatentState)))])

    handlers: dict[str, Handler] = {
        EnterpriseRegistered.event_type: on_enterprise, EnterpriseUpdated.event_type: on_enterprise,
        ScenarioPublished.event_type: on_scenario, ChallengePublished.event_type: on_challenge,
        PatentListed.event_type: on_patent, OpenLicenceDeclared.event_type: on_patent}
    # Derived data, keyed by content: nothing to audit.
    return Subscription(name="embeddings", topics=(REGISTRY_ENTERPRISE.name, SCENARIOS_SCENARIO.name,
                                                   SCENARIOS_CHALLENGE.name, LICENSING_PATENT.name),
                        handlers=handlers, audited=False)


def subscriptions(live: LiveIndex | None = None, *, semantic: bool = True) -> list[Subscription]:
    """Every consumer of the worker; ``semantic=False`` (settings.semantic): none embeds a text."""
    return [*read_model_subscriptions(), *([embedding_subscription()] if semantic else []),
            recommendation_subscription(live or LiveIndex(), semantic=semantic)]
