"""Changes under If-Match through the funding API, on PostgreSQL and SQLite: a fund pool's and a programme's terms
(budget, cap, dates, rules as data), never below what they have committed to their children; a draft application
changed by its own firm. Each answers 428 without If-Match and 412 on a stale ETag; on PostgreSQL many PATCHes
with one ETag leave exactly one 200."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.funding.support import (
    ADMIN,
    CITY_OFFICER,
    DEQING_OFFICER,
    TODAY,
    add_firm,
    apply,
    database_url,
    moved,
    ok,
    pool,
    programme,
    round_,
)
from tests.registry.pools_support import expect_problem
from tests.support import count_rows


async def patch(client: httpx.AsyncClient, path: str, body: dict[str, Any], version: int | None,
                headers: dict[str, str] = CITY_OFFICER) -> httpx.Response:
    if_match = {} if version is None else {"If-Match": f'"{version}"'}
    return await client.patch(path, json=body, headers={**headers, **if_match})


async def test_a_pool_changes_under_if_match_and_never_below_its_programmes(funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    p = await pool(client, budget_fen=10**9)
    prog = await programme(client, p["id"], budget_fen=6 * 10**8, cap_fen=10**7)
    path = f"/v1/fund-pools/{p['id']}"
    assert (await client.get(path, headers=ADMIN)).headers["ETag"] == '"1"'

    assert (await patch(client, path, {"budget_fen": 8 * 10**8}, None)).status_code == 428
    # Below what its programmes hold: refused naming the budget and the sum; nothing changed.
    below = expect_problem(await patch(client, path, {"budget_fen": 5 * 10**8}, 1), 409)
    assert (below["code"], below["errors"][0]["field"], below["total_fen"]) == ("over_allotted", "budget_fen", 6 * 10**8)
    # Dates that would leave the programme outside.
    early = expect_problem(await patch(client, path, {"closes_on": (TODAY + timedelta(days=100)).isoformat()}, 1), 422)
    assert early["code"] == "outside_parent_dates"
    assert expect_problem(await patch(client, path, {"name": None}, 1), 422)["errors"][0]["field"] == "name"
    assert (await patch(client, path, {"budget_fen": 6 * 10**8}, 1, DEQING_OFFICER)).status_code == 403

    changed = await patch(client, path, {"budget_fen": 6 * 10**8, "name": "2026年播种计划配套基金（调整）"}, 1)
    assert ok(changed, 200)["budget_fen"] == 6 * 10**8 and changed.headers["ETag"] == '"2"'
    assert (await patch(client, path, {"budget_fen": 7 * 10**8}, 1)).status_code == 412
    # The pool is full now: a programme that would take more is refused.
    body = {"pool_id": p["id"], "name": "另一项目", "instrument": "grant", "budget_fen": 1, "per_enterprise_cap_fen": 1,
            "opens_on": prog["opens_on"], "closes_on": prog["closes_on"]}
    assert expect_problem(await client.post("/v1/programmes", json=body, headers=CITY_OFFICER), 409)["code"] == \
        "over_allotted"
    assert await count_rows(url, "audit_log", "WHERE action = 'fund_pool.update'") == 1


async def test_a_programme_changes_its_budget_cap_dates_and_rules_but_keeps_its_rounds(
        funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    p = await pool(client, budget_fen=10**9)
    prog = await programme(client, p["id"], budget_fen=3 * 10**8, cap_fen=10**7, conflict_group="研发类")
    await round_(client, prog["id"], budget_fen=10**8, per_enterprise_cap_fen=5 * 10**6)
    await round_(client, prog["id"], budget_fen=10**8)
    path = f"/v1/programmes/{prog['id']}"

    below = expect_problem(await patch(client, path, {"budget_fen": 2 * 10**8 - 1}, 1), 409)
    assert (below["code"], below["total_fen"]) == ("over_allotted", 2 * 10**8)
    beyond_pool = expect_problem(await patch(client, path, {"budget_fen": 10**9 + 1}, 1), 409)
    assert beyond_pool["code"] == "over_allotted"
    cap = expect_problem(await patch(client, path, {"per_enterprise_cap_fen": 4 * 10**6}, 1), 422)
    assert (cap["code"], cap["errors"][0]["field"]) == ("cap_above_programme_cap", "per_enterprise_cap_fen")
    dates = expect_problem(await patch(client, path, {"closes_on": (TODAY + timedelta(days=30)).isoformat()}, 1), 422)
    assert dates["code"] == "outside_parent_dates"
    bad_rule = expect_problem(await patch(client, path, {"eligibility": [{"kind": "tier_held", "values": []}]}, 1), 422)
    assert bad_rule["errors"][0]["field"].startswith("eligibility.0")
    for zero in ({"budget_fen": 0}, {"budget_fen": 2.5e8}, {"budget_fen": "200000000.00"}):
        assert expect_problem(await patch(client, path, zero, 1), 422)["errors"][0]["field"] == "budget_fen"

    rules = [{"kind": "district", "values": ["330502"], "label": "吴兴区企业"}]
    changed = ok(await patch(client, path, {"budget_fen": 2 * 10**8, "per_enterprise_cap_fen": 6 * 10**6,
                                            "eligibility": rules, "conflict_group": None}, 1), 200)
    assert (changed["budget_fen"], changed["per_enterprise_cap_fen"], changed["conflict_group"], changed["version"]) == (
        2 * 10**8, 6 * 10**6, None, 2)
    assert [r["kind"] for r in changed["eligibility"]] == ["district"]
    # The rounds read the programme's new rules and cap.
    rounds = ok(await client.get("/v1/rounds", params={"programme_id": prog["id"]}, headers=ADMIN), 200)["items"]
    assert sorted(r["per_enterprise_cap_fen"] for r in rounds) == [5 * 10**6, 6 * 10**6]
    assert all(r["eligibility"][0]["kind"] == "district" for r in rounds)
    assert (await patch(client, path, {"name": "x"}, 1)).status_code == 412


async def test_the_firm_changes_its_draft_under_if_match_and_nothing_once_submitted(
        funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    p = await pool(client)
    prog = await programme(client, p["id"], cap_fen=2 * 10**7)
    rnd = await round_(client, prog["id"])
    firm = await add_firm(client, 31)
    draft = ok(await apply(client, firm, rnd["id"], requested_fen=10**7))
    path = f"/v1/applications/{draft['id']}"

    assert (await patch(client, path, {"requested_fen": 1}, None, firm["token"])).status_code == 428
    above = expect_problem(await patch(client, path, {"requested_fen": 2 * 10**7 + 1}, 1, firm["token"]), 422)
    assert above["errors"][0]["field"] == "requested_fen"
    other = await add_firm(client, 32)
    assert (await patch(client, path, {"summary": "x"}, 1, other["token"])).status_code == 404
    assert (await patch(client, path, {"summary": "x"}, 1, CITY_OFFICER)).status_code == 403
    changed = await patch(client, path, {"project_title": "坯布瑕疵在线检测系统（二期）", "requested_fen": 1_500_000_0,
                                         "summary": "增加多光谱成像"}, 1, firm["token"])
    read = ok(changed, 200)
    assert (read["project_title"], read["requested_fen"], read["summary"], read["version"]) == (
        "坯布瑕疵在线检测系统（二期）", 15_000_000, "增加多光谱成像", 2)
    assert changed.headers["ETag"] == '"2"'
    assert (await patch(client, path, {"summary": None}, 1, firm["token"])).status_code == 412
    assert ok(await patch(client, path, {"summary": None}, 2, firm["token"]), 200)["summary"] is None

    submitted = await moved(client, {**read, "version": 3}, "submit", firm["token"])
    late = expect_problem(await patch(client, path, {"summary": "迟到的修改"}, submitted["version"], firm["token"]), 409)
    assert (late["errors"][0]["field"], late["current_status"]) == ("status", "eligibility_checked")


async def test_many_patches_with_one_etag_leave_exactly_one_winner(funding_client: httpx.AsyncClient) -> None:
    if funding_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = funding_client, database_url(funding_client)
    p = await pool(client, budget_fen=10**9)
    prog = await programme(client, p["id"], budget_fen=10**8, cap_fen=10**7)
    rnd = await round_(client, prog["id"])
    firm = await add_firm(client, 33)
    draft = ok(await apply(client, firm, rnd["id"], requested_fen=10**6))
    races = ((f"/v1/fund-pools/{p['id']}", lambda n: {"budget_fen": 10**9 + n}, CITY_OFFICER),
             (f"/v1/programmes/{prog['id']}", lambda n: {"budget_fen": 10**8 + n}, CITY_OFFICER),
             (f"/v1/applications/{draft['id']}", lambda n: {"requested_fen": 10**6 + n}, firm["token"]))
    for path, body, headers in races:
        answers = await asyncio.gather(*(patch(client, path, body(n + 1), 1, headers) for n in range(20)))
        assert Counter(a.status_code for a in answers) == {200: 1, 412: 19}, [a.text for a in answers]
        (winner,) = [a.json() for a in answers if a.status_code == 200]
        now = ok(await client.get(path, headers=ADMIN), 200)
        amount = "requested_fen" if "/applications/" in path else "budget_fen"
        assert (now["version"], now[amount]) == (2, winner[amount])
    assert await count_rows(url, "audit_log", "WHERE action LIKE '%.update'") == 3


async def test_top_ups_racing_a_change_of_the_round_all_go_through(funding_client: httpx.AsyncClient) -> None:
    """A top-up reads the round only under its lock: a PATCH of the round's terms meanwhile is no reason to refuse
    it (it moves the round's version, not its money)."""
    if funding_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client = funding_client
    p = await pool(client, budget_fen=10**9)
    prog = await programme(client, p["id"], budget_fen=2 * 10**8, cap_fen=10**7)
    rnd = await round_(client, prog["id"], budget_fen=10**8)

    async def top_up(n: int) -> httpx.Response:
        return await client.post(f"/v1/rounds/{rnd['id']}/allocations", json={"amount_fen": 1000 + n},
                                 headers={**CITY_OFFICER, "Idempotency-Key": f"top-up-{n}"})

    answers = await asyncio.gather(*(top_up(n) for n in range(12)),
                                   *(patch(client, f"/v1/rounds/{rnd['id']}", {"name": f"第一批（{n}）"}, 1)
                                     for n in range(12)))
    tops, changes = answers[:12], answers[12:]
    assert Counter(a.status_code for a in tops) == {201: 12}, [a.text for a in tops]
    assert Counter(a.status_code for a in changes) == {200: 1, 412: 11}, [a.text for a in changes]
    assert ok(await client.get(f"/v1/rounds/{rnd['id']}/balance", headers=ADMIN), 200)["budget_fen"] == \
        10**8 + sum(1000 + n for n in range(12))
