"""IP a firm gains through licensing, as the registry's consumer keeps it (services/registry/service/acquired_ip.py),
on PostgreSQL and on SQLite: a licence adds the patent as ``licensed_in`` and re-runs the firm's evaluations (the
innovative-SME IP indicator moves from 0 to the Ⅰ类 band; the tech-SME rules, which ask for ownership, do not count
it); its end removes it; a transfer and a registered equity contribution add it as ``transferred_in``; a trial adds
nothing; a redelivered event applies nothing twice (the inbox)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import httpx

from services.registry.consumers import subscriptions
from shared.bus.consumer import InboxConsumer, Outcome
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent
from shared.events.licensing import EquityRegistered, LicenceGranted, LicenceTerminated
from tests.registry.figures_support import COMPLIANT, OFFICER, database_url, register
from tests.registry.test_evaluations_api import TECH_SME_2024
from tests.support import count_rows, service_work

(SUBSCRIPTION,) = [s for s in subscriptions() if s.name == "licensing"]
PATENT = {"patent_id": "6f0c7a43-1b58-4d1b-9bfc-0d6ef0a8c001", "patent_number": "ZL202110182616.5",
          "patent_type": "invention", "patent_title": "一种竹纤维增强聚乳酸复合材料及其制备方法",
          "patent_granted_on": date(2023, 6, 13), "holder_institute_id": "inst-hznu"}


def licence(kind: str, uscc: str, **changes: Any) -> dict[str, Any]:
    return {**PATENT, "licence_id": "0b8f3f2e-5a0e-4c7e-a9a5-3b0b7e6f0d01", "licensee_uscc": uscc, "kind": kind,
            "status": "active", "territory": ["CN"], "term_start": date(2026, 3, 1), "effective_on": date(2026, 3, 1),
            **changes}


async def deliver(client: httpx.AsyncClient, *events: CloudEvent) -> list[Outcome]:
    """Each event through the registry's inbox consumer (no broker: the record as Kafka would hand it over)."""
    engine = create_engine(database_url(client))
    try:
        consumer = InboxConsumer(service="registry", subscription=SUBSCRIPTION, consumer=None,  # type: ignore[arg-type]
                                 dead_letter_producer=None,  # type: ignore[arg-type]
                                 work=service_work("registry", session_factory(engine)))
        return [await consumer.handle(SimpleNamespace(headers=e.kafka_headers(), value=e.kafka_value(),  # type: ignore[arg-type]
                                                      topic="seedbed.licensing.licence", partition=0, offset=0))
                for e in events]
    finally:
        await engine.dispose()


def event(payload: Any) -> CloudEvent:
    return CloudEvent.of(payload, service="licensing", subject=str(payload.model_dump().get("licence_id", "x")))


async def _firm(client: httpx.AsyncClient, n: int) -> tuple[str, str]:
    firm = await register(client, n)
    base = f"/v1/enterprises/{firm}"
    assert (await client.put(f"{base}/figures/2025", json=TECH_SME_2024, headers=OFFICER)).status_code == 201
    assert (await client.put(f"{base}/declarations", json=COMPLIANT, headers=OFFICER)).status_code == 201
    for ask in ({"tier": "innovative_sme", "evaluation_date": "2026-03-15"},
                {"tier": "tech_sme", "evaluation_date": "2026-03-15"}):
        assert (await client.post(f"{base}/evaluations", json=ask, headers=OFFICER)).status_code == 201
    uscc = (await client.get(base, headers=OFFICER)).json()["uscc"]
    return firm, uscc


async def _latest(client: httpx.AsyncClient, firm: str, tier: str) -> dict[str, Any]:
    listed = (await client.get(f"/v1/enterprises/{firm}/evaluations?tier={tier}", headers=OFFICER)).json()["items"]
    return (await client.get(f"/v1/enterprises/{firm}/evaluations/{listed[0]['id']}", headers=OFFICER)).json()


async def _ip_points(client: httpx.AsyncClient, firm: str, tier: str) -> tuple[int | None, str]:
    """The IP indicator's points in the firm's latest evaluation of ``tier``, and that evaluation's trigger."""
    latest = await _latest(client, firm, tier)
    points = {i["code"]: i["points"] for i in latest["result"]["indicators"]}
    return points["ip"], latest["trigger"]


async def _holdings(client: httpx.AsyncClient, firm: str) -> list[dict[str, Any]]:
    return (await client.get(f"/v1/enterprises/{firm}/ip-holdings", headers=OFFICER)).json()["items"]


async def test_a_licence_taken_counts_in_the_firms_ip_and_reruns_its_evaluations(
        registry_client: httpx.AsyncClient) -> None:
    client, url = registry_client, database_url(registry_client)
    firm, uscc = await _firm(client, 61)
    assert await _ip_points(client, firm, "innovative_sme") == (0, "request")

    granted = event(LicenceGranted(**licence("open", uscc)))
    assert await deliver(client, granted, granted) == [Outcome.APPLIED, Outcome.DUPLICATE]
    [holding] = await _holdings(client, firm)
    assert (holding["reference"], holding["kind"], holding["acquisition"]) == (
        "ZL202110182616.5", "invention_patent", "licensed_in")
    # Licensing cannot know whether the patent serves the firm's main product: the re-run evaluation says so and
    # names the input, rather than guessing.
    rerun = await _latest(client, firm, "innovative_sme")
    assert rerun["trigger"] == "rerun"
    assert "ip[ZL202110182616.5].related_to_main_product" in rerun["result"]["missing_inputs"]
    assert await count_rows(url, "evaluations") == 4  # each tier re-run once, the duplicate applied nothing
    # The firm's officer confirms it: the Ⅰ类 band (C: ≥ 1, acquired rather than self-developed).
    confirmed = {"kind": "invention_patent", "reference": "ZL202110182616.5", "acquisition": "licensed_in",
                 "related_to_main_product": True, "high_value": False, "granted_on": "2023-06-13",
                 "acquired_on": "2026-03-01"}
    put = await client.put(f"/v1/enterprises/{firm}/ip-holdings/{holding['id']}", json=confirmed,
                           headers={**OFFICER, "If-Match": f'"{holding["version"]}"'})
    assert put.status_code == 200, put.text
    assert await _ip_points(client, firm, "innovative_sme") == (10, "rerun")
    assert (await _ip_points(client, firm, "tech_sme"))[0] == 0  # the tech-SME rules count owned IP only
    assert await count_rows(url, "audit_log", "WHERE action = 'ip_holding.acquired'") == 1

    ended = event(LicenceTerminated(**licence("open", uscc, status="terminated"), terminated_on=date(2026, 9, 1)))
    assert await deliver(client, ended) == [Outcome.APPLIED]
    assert await _holdings(client, firm) == []
    assert await _ip_points(client, firm, "innovative_sme") == (0, "rerun")


async def test_transfers_and_equity_make_the_patent_the_firms_and_trials_do_not(
        registry_client: httpx.AsyncClient) -> None:
    client = registry_client
    firm, uscc = await _firm(client, 62)
    company, company_uscc = await _firm(client, 63)
    trial = event(LicenceGranted(**licence("trial", uscc, status="trial", conversion_mode="transfer")))
    assert await deliver(client, trial) == [Outcome.APPLIED]
    assert await _holdings(client, firm) == []
    transfer = event(LicenceGranted(**licence("transfer", uscc, licence_id="0b8f3f2e-5a0e-4c7e-a9a5-3b0b7e6f0d02")))
    await deliver(client, transfer)
    [owned] = await _holdings(client, firm)
    assert owned["acquisition"] == "transferred_in" and owned["acquired_on"] == "2026-03-01"
    # A licence of a patent the firm owns already changes nothing.
    await deliver(client, event(LicenceGranted(**licence("ordinary", uscc,
                                                         licence_id="0b8f3f2e-5a0e-4c7e-a9a5-3b0b7e6f0d03"))))
    assert [h["acquisition"] for h in await _holdings(client, firm)] == ["transferred_in"]

    equity = CloudEvent.of(EquityRegistered(
        contribution_id="2c0e8a7e-52f6-4f0e-8d36-9a1d0f5b0e01", **{**PATENT, "patent_number": "ZL202322865413.3",
                                                                   "patent_type": "utility_model"},
        target_uscc=company_uscc, share_ratio="0.2", appraisal_amount_fen=800_000_000,
        registration_no="CNIPA-ZLBG-2026-0091", registered_on=date(2026, 5, 20)), service="licensing", subject="e")
    assert await deliver(client, equity) == [Outcome.APPLIED]
    [contributed] = await _holdings(client, company)
    assert (contributed["kind"], contributed["acquisition"]) == ("utility_model", "transferred_in")


async def test_an_event_for_a_firm_the_registry_does_not_know_is_skipped(registry_client: httpx.AsyncClient) -> None:
    from tests.support import make_uscc

    assert await deliver(registry_client, event(LicenceGranted(**licence("open", make_uscc(9876))))) == [
        Outcome.APPLIED]
    assert await count_rows(database_url(registry_client), "ip_holdings") == 0

