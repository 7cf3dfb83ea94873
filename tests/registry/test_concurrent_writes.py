"""Conditional writes of the registry under concurrency (issue 8): requests racing for one version (If-Match) or one
unique slot leave exactly one winner; the others are told 412 or 409, never 500; the record ends as the winner sent
it, and the audit trail and the outbox hold the winning change once.

Every race is fired with asyncio.gather through the real app (its lifespan, engine and pool), so the database is
what serialises the requests, as it is in production; the enterprise race also runs across two app instances on
one database (two replicas), and on SQLite (the embedded default of `make run`)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.registry.concurrency_support import (
    ADMIN,
    N,
    assert_problems,
    audit_entries,
    database_url,
    explain,
    race,
    registry_on_sqlite,
    registry_replicas,
    statuses,
    the_winner,
    trail,
    warm_up,
)
from tests.support import count_rows, make_uscc

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres")]

THIS_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year
NO_CACHE = {**ADMIN, "Cache-Control": "no-cache"}
WAN = 1_000_000  # fen per 万元
FIGURES = {"employees": 50, "rd_staff": 10, "tech_staff": 15, "operating_revenue_fen": 2000 * WAN,
           "rd_expense_fen": 120 * WAN, "total_assets_fen": 1500 * WAN}
COMPLIANT = {"resident_in_mainland": True, "products_in_prohibited_category": False,
             "on_abnormal_operation_list": False, "on_serious_dishonesty_list": False, "incidents": []}
PLATFORM = {"platform_type": "incubator", "name": "湖州并发测试孵化器", "operator_name": "湖州科创园运营管理有限公司",
            "operator_uscc": make_uscc(9001), "address": "湖州市吴兴区西山漾路 1 号", "longitude": 120.0865,
            "latitude": 30.8672, "district_code": "330502", "functional_zone": "nantaihu",
            "positioning": ["digital_industry"], "floor_area_m2": 52000, "capacity": 30, "services_offered": ["融资对接"]}
ENTERPRISE_UPDATED = "seedbed.registry.enterprise.updated.v1"
FIGURES_REPORTED = "seedbed.registry.enterprise.figures_reported.v1"
POOL_CHANGED = "seedbed.registry.enterprise.pool_changed.v1"
PLATFORM_UPDATED = "seedbed.registry.platform.updated.v1"
TIER_CHANGED = "seedbed.registry.enterprise.tier_changed.v1"


def if_match(version: int) -> dict[str, str]:
    return {**ADMIN, "If-Match": f'"{version}"'}


async def register(client: httpx.AsyncClient, n: int) -> dict[str, Any]:
    body = {"uscc": make_uscc(n), "name": f"湖州并发测试{n}有限公司", "district_code": "330502",
            "industry_code": "C3981", "established_on": "2015-03-01"}
    response = await client.post("/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    return response.json()  # type: ignore[no-any-return]


async def events(url: str, event_type: str) -> int:
    return await count_rows(url, "outbox", "WHERE event_type = :t", t=event_type)


# --- enterprise PATCH ------------------------------------------------------------------------------------------------

async def _enterprise_patch_race(clients: list[httpx.AsyncClient]) -> None:
    """N renames of one enterprise, each sent with If-Match "1" (spread over the given replicas)."""
    created = await register(clients[0], 1)
    path = f"/v1/enterprises/{created['id']}"
    await warm_up(clients, path)
    names = [f"湖州并发改名{i}有限公司" for i in range(N)]

    responses = await race(lambda i: clients[i % len(clients)].patch(path, json={"name": names[i]},
                                                                        headers=if_match(1)))

    assert statuses(responses) == Counter({200: 1, 412: N - 1}), explain(responses)
    assert_problems(responses, {412})
    winner = the_winner(responses, 200)
    assert responses[winner].json()["name"] == names[winner] and responses[winner].headers["etag"] == '"2"'
    for client in clients:  # every replica reads what the winner wrote
        current = await client.get(path, headers=NO_CACHE)
        assert (current.json()["name"], current.headers["etag"]) == (names[winner], '"2"')
    updates = await trail(clients[0], created["id"], "enterprise.update")
    assert [u["changes"] for u in updates] == [{"name": {"from": created["name"], "to": names[winner]}}]
    assert await events(database_url(clients[0]), ENTERPRISE_UPDATED) == 1


async def test_enterprise_patch_with_one_if_match_has_one_winner() -> None:
    async with registry_replicas(1) as clients:
        await _enterprise_patch_race(clients)


async def test_enterprise_patch_with_one_if_match_has_one_winner_across_two_replicas() -> None:
    async with registry_replicas(2) as clients:
        await _enterprise_patch_race(clients)


async def test_enterprise_patch_with_one_if_match_has_one_winner_on_sqlite(
        tmp_path: Path, registry_sqlite_template: Path) -> None:
    async with registry_on_sqlite(tmp_path, registry_sqlite_template) as client:
        await _enterprise_patch_race([client])


# --- annual figures PUT ----------------------------------------------------------------------------------------------

async def test_figures_correction_with_one_if_match_has_one_winner() -> None:
    async with registry_replicas(1) as (client,):
        firm = (await register(client, 2))["id"]
        path = f"/v1/enterprises/{firm}/figures/2024"
        reported = await client.put(path, json=FIGURES, headers=ADMIN)
        assert reported.status_code == 201 and reported.headers["etag"] == '"1"', reported.text
        await warm_up([client], path)
        bodies = [{**FIGURES, "employees": 60 + i} for i in range(N)]

        responses = await race(lambda i: client.put(path, json=bodies[i], headers=if_match(1)))

        assert statuses(responses) == Counter({200: 1, 412: N - 1}), explain(responses)
        assert_problems(responses, {412})
        winner = the_winner(responses, 200)
        current = await client.get(path, headers=ADMIN)
        assert (current.json()["employees"], current.headers["etag"]) == (60 + winner, '"2"')
        corrections = await trail(client, firm, "figures.correct")
        assert len(corrections) == 1, corrections
        assert corrections[0]["changes"]["employees"] == {"from": 50, "to": 60 + winner}
        assert await events(database_url(client), FIGURES_REPORTED) == 2  # the report and the one correction


async def test_figures_first_report_race_creates_the_year_once() -> None:
    async with registry_replicas(1) as (client,):
        firm = (await register(client, 3))["id"]
        path = f"/v1/enterprises/{firm}/figures/2023"
        await warm_up([client], f"/v1/enterprises/{firm}/figures")
        bodies = [{**FIGURES, "employees": 40 + i} for i in range(N)]

        responses = await race(lambda i: client.put(path, json=bodies[i], headers=ADMIN))

        # The losers found the year taken: 409 when they lost the race for the row, 428 when the row was already
        # there and they, sending no If-Match, asked to correct it without naming the version they read.
        counted = statuses(responses)
        assert counted[201] == 1 and set(counted) <= {201, 409, 412, 428}, explain(responses)
        assert_problems(responses, {409, 412, 428})
        winner = the_winner(responses, 201)
        current = await client.get(path, headers=ADMIN)
        assert (current.json()["employees"], current.headers["etag"]) == (40 + winner, '"1"')
        reports = await trail(client, firm, "figures.report")
        assert [r["changes"]["employees"] for r in reports] == [40 + winner]
        assert await trail(client, firm, "figures.correct") == []
        assert await events(database_url(client), FIGURES_REPORTED) == 1


# --- compliance declarations PUT -------------------------------------------------------------------------------------

async def test_declarations_correction_with_one_if_match_has_one_winner() -> None:
    async with registry_replicas(1) as (client,):
        firm = (await register(client, 4))["id"]
        path = f"/v1/enterprises/{firm}/declarations"
        made = await client.put(path, json=COMPLIANT, headers=ADMIN)
        assert made.status_code == 201 and made.headers["etag"] == '"1"', made.text
        await warm_up([client], path)
        since = [(date(2010, 1, 1) + timedelta(days=i)).isoformat() for i in range(N)]

        responses = await race(lambda i: client.put(path, json={**COMPLIANT, "niche_market_since": since[i]},
                                                    headers=if_match(1)))

        assert statuses(responses) == Counter({200: 1, 412: N - 1}), explain(responses)
        assert_problems(responses, {412})
        winner = the_winner(responses, 200)
        current = await client.get(path, headers=ADMIN)
        assert (current.json()["niche_market_since"], current.headers["etag"]) == (since[winner], '"2"')
        puts = await trail(client, firm, "declarations.put")
        assert len(puts) == 2, puts  # the declarations made, and the one correction that won
        assert puts[1]["changes"] == {"niche_market_since": {"from": None, "to": since[winner]}}


# --- pool changes ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("guard", ["if_match", "same_move"])
async def test_pool_entry_race_moves_the_firm_once(guard: str) -> None:
    async with registry_replicas(1) as (client,):
        created = await register(client, 5)
        path = f"/v1/enterprises/{created['id']}/pool-changes"
        await warm_up([client], path)
        reasons = [f"专家组建议破格入库（第{i}份意见）" for i in range(N)]
        headers = if_match(1) if guard == "if_match" else ADMIN

        responses = await race(lambda i: client.post(path, json={"to_pool": "seedling_pool", "reason": reasons[i]},
                                                     headers=headers))

        counted = statuses(responses)
        # With If-Match a loser may learn of the lost race from the version (412) or from the pool (409);
        # without it, only from the pool: the firm is already in the seedling pool.
        losers = {409, 412} if guard == "if_match" else {409}
        assert counted[201] == 1 and set(counted) <= {201} | losers, explain(responses)
        assert_problems(responses, losers)
        winner = the_winner(responses, 201)
        enterprise = await client.get(f"/v1/enterprises/{created['id']}", headers=NO_CACHE)
        assert (enterprise.json()["pool"], enterprise.headers["etag"]) == ("seedling_pool", '"2"')
        history = (await client.get(path, headers=ADMIN)).json()["items"]
        assert [(h["from_pool"], h["to_pool"], h["reason"]) for h in history] == [(None, "seedling_pool", reasons[winner])]
        entries = await trail(client, created["id"], "pool.entry")
        assert [e["changes"]["reason"] for e in entries] == [reasons[winner]]
        assert await events(database_url(client), POOL_CHANGED) == 1


# --- platform PATCH --------------------------------------------------------------------------------------------------

async def test_platform_patch_with_one_if_match_has_one_winner() -> None:
    async with registry_replicas(1) as (client,):
        registered = await client.post("/v1/platforms", json=PLATFORM, headers=ADMIN)
        assert registered.status_code == 201 and registered.headers["etag"] == '"1"', registered.text
        platform_id = registered.json()["id"]
        path = f"/v1/platforms/{platform_id}"
        await warm_up([client], path)
        addresses = [f"湖州市吴兴区西山漾路 {i + 2} 号" for i in range(N)]

        responses = await race(lambda i: client.patch(path, json={"address": addresses[i]}, headers=if_match(1)))

        assert statuses(responses) == Counter({200: 1, 412: N - 1}), explain(responses)
        assert_problems(responses, {412})
        winner = the_winner(responses, 200)
        current = await client.get(path, headers=ADMIN)
        assert (current.json()["address"], current.headers["etag"]) == (addresses[winner], '"2"')
        url = database_url(client)
        updates = await audit_entries(url, entity_id=platform_id, action="platform.update")
        assert [u["changes"] for u in updates] == [{"address": {"from": PLATFORM["address"], "to": addresses[winner]}}]
        assert await events(url, PLATFORM_UPDATED) == 1


# --- quotas PUT ------------------------------------------------------------------------------------------------------

async def test_quotas_first_set_race_is_never_a_500_and_loses_no_update() -> None:
    year = THIS_YEAR + 3
    async with registry_replicas(1) as (client,):
        path = f"/v1/pools/quotas/{year}"
        await warm_up([client], path)
        bodies = [{"quotas": {"330502": i + 1}} for i in range(N)]

        responses = await race(lambda i: client.put(path, json=bodies[i], headers=ADMIN))

        counted = statuses(responses)
        assert set(counted) <= {200, 201, 409} and counted[200] + counted[201] >= 1, explain(responses)
        assert_problems(responses, {409})
        won = [bodies[i]["quotas"] for i, r in enumerate(responses) if r.status_code in (200, 201)]
        current = (await client.get(path, headers=ADMIN)).json()
        assert current["quotas"] in won
        # Every accepted replacement is audited once, each replacing what the one before it set: none was lost.
        entries = await audit_entries(database_url(client), entity_id=str(year), action="pool.quotas.set")
        assert len(entries) == len(won), entries
        assert sorted(e["changes"]["to"]["330502"] for e in entries) == sorted(q["330502"] for q in won)
        assert [e["changes"]["from"] for e in entries] == [{}] + [e["changes"]["to"] for e in entries[:-1]]
        assert entries[-1]["changes"]["to"] == current["quotas"]


async def test_quota_replacements_naming_different_districts_never_merge() -> None:
    """A PUT replaces the year's quotas as a whole: racing replacements leave one of them, never their union."""
    year = THIS_YEAR + 4
    districts = ["330502", "330503", "330521", "330522", "330523"]
    async with registry_replicas(2) as clients:
        path = f"/v1/pools/quotas/{year}"
        await warm_up(clients, path)
        bodies = [{"quotas": {districts[i % len(districts)]: i + 1}} for i in range(N)]

        responses = await race(lambda i: clients[i % 2].put(path, json=bodies[i], headers=ADMIN))

        assert set(statuses(responses)) <= {200, 201, 409}, explain(responses)
        won = [bodies[i]["quotas"] for i, r in enumerate(responses) if r.status_code in (200, 201)]
        current = (await clients[0].get(path, headers=ADMIN)).json()["quotas"]
        assert current in won, (current, won)


async def test_screenings_of_one_year_racing_run_once() -> None:
    async with registry_replicas(2) as clients:
        await warm_up(clients, "/v1/pools/screenings")
        body = {"year": THIS_YEAR, "quotas": {"330502": 1}}

        responses = await race(lambda i: clients[i % 2].post("/v1/pools/screenings", json=body, headers=ADMIN))

        counted = statuses(responses)
        # One run; a request that arrives after it committed is told it already ran (200), one that raced it 409.
        assert counted[201] == 1 and set(counted) <= {200, 201, 409}, explain(responses)
        assert_problems(responses, {409})
        assert all(r.json()["already_run"] for r in responses if r.status_code == 200)
        assert await count_rows(database_url(clients[0]), "screening_runs") == 1


# --- certifications --------------------------------------------------------------------------------------------------

def _certificate(number: str) -> dict[str, str]:
    return {"tier": "tech_sme", "certificate_no": number, "override_reason": "科技厅线下认定，证书已核验"}


async def _certifications(client: httpx.AsyncClient, firm: str, **params: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/enterprises/{firm}/certifications", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_the_same_certification_sent_at_once_is_recorded_once() -> None:
    async with registry_replicas(1) as (client,):
        firm = (await register(client, 6))["id"]
        path = f"/v1/enterprises/{firm}/certifications"
        await warm_up([client], path)

        responses = await race(lambda i: client.post(path, json=_certificate("KJ-2026-0001"), headers=ADMIN))

        assert statuses(responses) == Counter({201: 1, 409: N - 1}), explain(responses)
        assert_problems(responses, {409})
        winner = responses[the_winner(responses, 201)].json()
        assert [c["id"] for c in await _certifications(client, firm)] == [winner["id"]]
        assert [c["id"] for c in await _certifications(client, firm, status="active")] == [winner["id"]]
        assert len(await trail(client, firm, "certification.certify")) == 1
        assert await events(database_url(client), TIER_CHANGED) == 1


async def test_certifications_of_one_tier_racing_leave_one_active() -> None:
    async with registry_replicas(1) as (client,):
        firm = (await register(client, 7))["id"]
        path = f"/v1/enterprises/{firm}/certifications"
        await warm_up([client], path)
        numbers = [f"KJ-2026-{i + 100:04d}" for i in range(N)]

        responses = await race(lambda i: client.post(path, json=_certificate(numbers[i]), headers=ADMIN))

        # Each may be recorded (a later one renews the earlier: it is superseded) or refused as a conflict; never
        # two held at once.
        counted = statuses(responses)
        assert set(counted) <= {201, 409} and counted[201] >= 1, explain(responses)
        assert_problems(responses, {409})
        recorded = {r.json()["id"] for r in responses if r.status_code == 201}
        active = await _certifications(client, firm, status="active")
        assert len(active) == 1 and active[0]["id"] in recorded, active
        every = await _certifications(client, firm)
        assert {c["id"] for c in every} == recorded
        assert {c["status"] for c in every if c["id"] != active[0]["id"]} <= {"superseded"}
        assert len(await trail(client, firm, "certification.certify")) == len(recorded)


async def test_one_certificate_number_sent_for_several_firms_at_once_is_recorded_once() -> None:
    async with registry_replicas(1) as (client,):
        firms = [(await register(client, 10 + i))["id"] for i in range(N)]
        await warm_up([client], f"/v1/enterprises/{firms[0]}/certifications")

        responses = await race(lambda i: client.post(f"/v1/enterprises/{firms[i]}/certifications",
                                                     json=_certificate("KJ-2026-0777"), headers=ADMIN))

        assert statuses(responses) == Counter({201: 1, 409: N - 1}), explain(responses)
        assert_problems(responses, {409})
        winner = the_winner(responses, 201)
        for i, firm in enumerate(firms):
            held = [c["certificate_no"] for c in await _certifications(client, firm)]
            assert held == (["KJ-2026-0777"] if i == winner else []), (i, held)
        assert await count_rows(database_url(client), "certifications") == 1
