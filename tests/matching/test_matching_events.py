"""Matching's consumers on the real Kafka broker and PostgreSQL: read models, match.recommended (once, whatever the
redeliveries), and a rebuild from the topics that equals the live model."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import jobs, semantic
from services.matching import worker as matching_worker
from services.matching.models import ChallengeRecord, EnterpriseProfile, PatentRecord, ScenarioRecord
from services.matching.service.indexing import LiveIndex
from shared.bus.kafka import create_topics, new_producer
from shared.db import create_engine
from shared.events.catalog import ALL_TOPICS
from shared.events.envelope import CloudEvent, EventPayload
from shared.events.licensing import OpenLicenceDeclared, PatentDelisted, PatentListed
from shared.events.registry import EnterpriseRegistered, EnterpriseTierChanged, EnterpriseUpdated
from shared.events.scenarios import ChallengePublished, ScenarioClosed, ScenarioPublished
from tests.matching.matching_builders import LOOM_FIRM, SIC_FIRM, SIC_SCENARIO
from tests.support import KAFKA, TOPIC_PREFIX, count_rows, make_uscc, pg_url, settings_for, truncate, wait_for

pytestmark = pytest.mark.usefixtures("postgres", "kafka")

RECOMMENDED = "seedbed.matching.match.recommended.v1"


class Bus:
    """Publishes events to this run's topics (or to topics of their own) as their producers' relays would."""

    def __init__(self, prefix: str | None = None) -> None:
        self.settings = settings_for("matching") if prefix is None else settings_for(
            "matching", kafka_topic_prefix=prefix)
        self.producer = new_producer(KAFKA, "matching-test")

    async def send(self, payload: EventPayload, subject: str, event: CloudEvent | None = None) -> CloudEvent:
        event = event or CloudEvent.of(payload, service="test", subject=subject)
        await self.producer.send_and_wait(self.settings.topic(payload.topic), value=event.kafka_value(),
                                          key=subject.encode(), headers=event.kafka_headers())
        return event


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    await truncate("matching")
    b = Bus()
    await b.producer.start()
    yield b
    await b.producer.stop()


@pytest.fixture
async def worker() -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(matching_worker.run(settings_for("matching"), stop))
    yield
    stop.set()
    await asyncio.wait_for(task, 30)


def firm_event(n: int, district: str, profile: dict[str, Any], version: int = 1) -> tuple[EnterpriseRegistered, str]:
    enterprise_id = uuid.uuid5(uuid.NAMESPACE_OID, f"firm-{n}")
    return EnterpriseRegistered(enterprise_id=enterprise_id, uscc=make_uscc(n, district), district_code=district,
                                version=version, **profile), str(enterprise_id)


def scenario_event(publisher: str, **content: Any) -> tuple[ScenarioPublished, str]:
    scenario_id = uuid.uuid4()
    return ScenarioPublished(scenario_id=scenario_id, status="published", district_code="330502", version=2,
                             publisher_kind="enterprise", publisher_uscc=publisher,
                             deadline=date.today() + timedelta(days=30), **content), str(scenario_id)


async def test_a_publication_is_recommended_once_to_its_strong_candidates(bus: Bus, worker: None) -> None:
    for n, district, profile in ((11, "330502", SIC_FIRM), (12, "330503", LOOM_FIRM)):
        await bus.send(*firm_event(n, district, profile))
    url = pg_url("matching")
    await wait_for(lambda: _count(url, "enterprise_profiles", 2), timeout=30)
    payload, subject = scenario_event(make_uscc(99), **SIC_SCENARIO)
    event = await bus.send(payload, subject)
    await bus.send(payload, subject, event)  # the same event again: a redelivery
    await wait_for(lambda: _count(url, "outbox", 1, f"WHERE event_type = '{RECOMMENDED}'"), timeout=30)
    await wait_for(lambda: _count(url, "scenarios", 1), timeout=30)
    await asyncio.sleep(1.0)  # time for a second recommendation, if the redelivery were applied
    assert await count_rows(url, "outbox", f"WHERE event_type = '{RECOMMENDED}'") == 1
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            data = (await conn.execute(text(f"SELECT payload FROM outbox WHERE event_type = '{RECOMMENDED}'"))).scalar_one()
    finally:
        await engine.dispose()
    recommended = json.loads(data)
    assert recommended["demand_kind"] == "scenario" and recommended["demand_id"] == subject
    assert [c["uscc"] for c in recommended["candidates"]] == [make_uscc(11, "330502")]  # not the loom maker
    assert "碳化硅衬底" in recommended["candidates"][0]["matched_terms"]


async def test_a_demand_without_a_strong_candidate_is_not_recommended(bus: Bus, worker: None) -> None:
    await bus.send(*firm_event(13, "330503", LOOM_FIRM))
    url = pg_url("matching")
    await wait_for(lambda: _count(url, "enterprise_profiles", 1), timeout=30)
    payload, subject = scenario_event(make_uscc(98), title="稀释制冷机国产化", description="超导量子比特测控",
                                      sector="future_industries")
    await bus.send(payload, subject)
    await wait_for(lambda: _count(url, "scenarios", 1), timeout=30)
    await asyncio.sleep(1.0)
    assert await count_rows(url, "outbox", f"WHERE event_type = '{RECOMMENDED}'") == 0


async def test_the_worker_embeds_each_text_once_and_the_index_ranks_with_the_stored_vectors(bus: Bus,
                                                                                           worker: None) -> None:
    firm, firm_subject = firm_event(14, "330502", SIC_FIRM)
    registered = await bus.send(firm, firm_subject)
    await bus.send(firm, firm_subject, registered)  # a redelivery
    await bus.send(EnterpriseTierChanged(enterprise_id=firm.enterprise_id, tier="srdi_sme", change="certified",
                                         held_tiers=["srdi_sme"]), firm_subject)  # changes no text
    await bus.send(EnterpriseUpdated(**{**firm.model_dump(), "pool": "seedling_pool", "version": 2},
                                     changed_fields=["pool"]), firm_subject)  # nor does this
    await bus.send(*firm_event(15, "330503", LOOM_FIRM))
    payload, _ = scenario_event(make_uscc(97), **SIC_SCENARIO)
    await bus.send(payload, str(payload.scenario_id))
    url = pg_url("matching")
    # Three texts: two firms' profiles, one scenario (its recommendation may store it first; same key).
    await wait_for(lambda: _count(url, "text_embeddings", 3), timeout=60)
    await wait_for(lambda: _count(url, "scenarios", 1), timeout=30)
    await wait_for(lambda: _count(url, "enterprise_profiles", 1, "WHERE pool = 'seedling_pool'"), timeout=30)
    await asyncio.sleep(1.0)  # time for a fourth, if the redelivery or the text-less changes were embedded again
    assert await count_rows(url, "text_embeddings") == 3

    engine = create_engine(url)
    try:
        live = LiveIndex()
        async with AsyncSession(engine) as session:
            await live.catch_up(session)
        ranked = live.engine.candidates(live.engine.demands.get(f"scenario:{payload.scenario_id}").need, k=10)
        live.engine.close()
    finally:
        await engine.dispose()
    by_uscc = {s.key: s for s, _ in ranked.results}
    sic = by_uscc[make_uscc(14, "330502")]
    # The SiC maker's stored vector is its profile's, as the model gives it now (float16 storage: ~1e-3).
    stored = live.vectors[semantic.text_key(semantic.PASSAGE, semantic.firm_text(SIC_FIRM))]
    fresh = semantic.embed_passages([semantic.firm_text(SIC_FIRM)])[0]
    assert abs(float(stored.astype("float32") @ fresh) - 1.0) < 2e-3
    assert sic.signals["semantic"] > 0.5 and sic.contributions()["semantic"] > 0
    assert ranked.results[0][0].key == sic.key


async def _count(url: str, table: str, expected: int, where: str = "") -> bool:
    return await count_rows(url, table, where) >= expected


async def _snapshot() -> dict[str, list[dict[str, Any]]]:
    engine = create_engine(pg_url("matching"))
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        async with engine.connect() as conn:
            for model, key in ((EnterpriseProfile, "enterprise_id"), (ScenarioRecord, "scenario_id"),
                               (ChallengeRecord, "challenge_id"), (PatentRecord, "patent_id")):
                rows = (await conn.execute(select(model.__table__).order_by(model.__table__.c[key]))).mappings()
                # updated_at says when this database applied the row, not what it holds.
                found[model.__tablename__] = [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]
    finally:
        await engine.dispose()
    return found


@pytest.fixture
async def own_topics() -> AsyncIterator[Bus]:
    """Topics of this test alone: a replay from the beginning must meet no other test's events."""
    from aiokafka.admin import AIOKafkaAdminClient

    prefix = f"{TOPIC_PREFIX}rebuild-{uuid.uuid4().hex[:8]}."
    await create_topics(KAFKA, ALL_TOPICS, prefix)
    await truncate("matching")
    b = Bus(prefix)
    await b.producer.start()
    yield b
    await b.producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        await admin.delete_topics([prefix + t.name for t in ALL_TOPICS])
    finally:
        await admin.close()


async def test_a_rebuild_from_the_topics_equals_the_live_model(own_topics: Bus) -> None:
    bus = own_topics
    firm, firm_subject = firm_event(21, "330502", SIC_FIRM)
    events: list[tuple[EventPayload, str]] = [
        (firm, firm_subject),
        firm_event(22, "330503", LOOM_FIRM),
        (EnterpriseUpdated(**{**firm.model_dump(), "name": "湖州晶芯半导体集团有限公司", "version": 2},
                           changed_fields=["name"]), firm_subject),
        (EnterpriseTierChanged(enterprise_id=firm.enterprise_id, tier="srdi_sme", change="certified",
                               held_tiers=["srdi_sme"]), firm_subject),
        (firm, firm_subject),  # an older profile again: must not undo version 2
    ]
    scenario, scenario_subject = scenario_event(firm.uscc, **SIC_SCENARIO)
    events += [(scenario, scenario_subject),
               (ScenarioClosed(**{**scenario.model_dump(), "status": "closed", "version": 3}, outcome="withdrawn"),
                scenario_subject)]
    challenge_id = uuid.uuid4()
    events.append((ChallengePublished(
        challenge_id=challenge_id, title="碳化硅衬底微管攻关", status="published", district_code="330502",
        issuer={"kind": "department", "department": "湖州市科技局"},
        bounty={"total_fen": 10, "issuer_fen": 5, "public_fen": 5}, background="降低微管密度", indicators=[],
        sector="strategic_emerging", capability_tags=["长晶"], eligibility={"min_tier": "srdi_sme"},
        application_deadline=date.today(), duration_months=6, max_teams=1, allow_consortium=False,
        ip_ownership="issuer", version=1), str(challenge_id)))
    patent_id = uuid.uuid4()
    patent = dict(patent_id=patent_id, application_number="202110182616.5", patent_number="ZL202110182616.5",
                  patent_type="invention", title="一种碳化硅长晶方法", abstract="PVT长晶", holder_institute_id="zju",
                  holder_name="浙江大学", legal_status="granted")
    events += [(PatentListed(**patent, version=1), str(patent_id)),
               (OpenLicenceDeclared(**patent, version=2, open_licence=True, declaration_id=uuid.uuid4(),
                                    royalty_mode="lump_sum", lump_sum_fen=100, term_start=date.today()),
                str(patent_id)),
               (PatentDelisted(**patent, version=3, open_licence=True), str(patent_id))]
    for payload, subject in events:
        await bus.send(payload, subject)

    stop = asyncio.Event()
    task = asyncio.create_task(matching_worker.run(bus.settings, stop))
    try:
        async def caught_up() -> bool:
            live = await _snapshot()
            return (len(live["enterprise_profiles"]) == 2 and live["scenarios"] and live["scenarios"][0]["status"] ==
                    "closed" and live["challenges"] and live["patents"] and not live["patents"][0]["listed"]
                    and any(r["held_tiers"] for r in live["enterprise_profiles"]))
        await wait_for(caught_up, timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    live = await _snapshot()
    assert {r["name"] for r in live["enterprise_profiles"]} == {"湖州晶芯半导体集团有限公司", LOOM_FIRM["name"]}

    replayed = await jobs.rebuild(bus.settings)
    rebuilt = await _snapshot()
    assert rebuilt == live
    by_name = {r.subscription: r for r in replayed}
    assert by_name["enterprises"].applied == 5 and by_name["scenarios"].applied == 2
    assert by_name["challenges"].applied == 1 and by_name["patents"].applied == 3
