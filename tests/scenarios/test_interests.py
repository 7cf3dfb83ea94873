"""Firms expressing interest in a scenario (意向, issue 12 item 1), on PostgreSQL and on SQLite: once per firm (a
repeat, or many at once, leave one row), only while the scenario is on the list and unmatched; the publisher and
the district's officers see who answered, another firm only itself; the pilot's supplier is one who answered, and
the closing outcome carries it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.auth import Role
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.scenarios.support import (
    ADMIN,
    CLOSED,
    FIRM,
    OFFICER,
    OTHER_FIRM,
    OTHER_OFFICER,
    OTHER_USCC,
    create,
    known_firm,
    moved,
    publish_new,
    step,
)
from tests.support import count_rows, make_uscc, token

THIRD_USCC = make_uscc(4103)
THIRD_FIRM = token(Role.ENTERPRISE, uscc=THIRD_USCC)


def interests(scenario: dict) -> str:  # type: ignore[type-arg]
    return f"/v1/scenarios/{scenario['id']}/interests"


async def test_a_firm_answers_once_and_the_case_workers_see_who(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    await known_firm(url, OTHER_USCC, "湖州南浔视觉智能有限公司", "330503")
    scenario = await publish_new(client)
    first = await client.post(interests(scenario), json={"note": "已在两家印染企业部署验布系统"}, headers=OTHER_FIRM)
    assert first.status_code == 201, first.text
    assert first.json()["enterprise_uscc"] == OTHER_USCC and first.json()["enterprise_name"] == "湖州南浔视觉智能有限公司"
    again = await client.post(interests(scenario), json={"note": "换一个说法"}, headers=OTHER_FIRM)
    assert again.status_code == 200 and again.json() == first.json()  # the first answer, unchanged
    assert (await client.post(interests(scenario), json={}, headers=THIRD_FIRM)).status_code == 201
    assert await count_rows(url, "scenario_interests") == 2
    assert await count_rows(url, "audit_log", "WHERE action = 'scenario.interest'") == 2

    # The publisher, the district's officer and admins see both; another firm only its own; an officer of another
    # district, nobody's.
    for headers in (FIRM, OFFICER, ADMIN, token(Role.SERVICE)):
        listed = await client.get(interests(scenario), headers=headers)
        assert [i["enterprise_uscc"] for i in listed.json()["items"]] == [OTHER_USCC, THIRD_USCC], headers
    own = await client.get(interests(scenario), headers=THIRD_FIRM)
    assert [i["enterprise_uscc"] for i in own.json()["items"]] == [THIRD_USCC]
    assert expect_problem(await client.get(interests(scenario), headers=OTHER_OFFICER), 403)["errors"][0]["field"] \
        == "district_code"
    # Interest in a draft: the draft is not there for another firm.
    draft = await create(client, title="草稿")
    expect_problem(await client.post(interests(draft), json={}, headers=OTHER_FIRM), 404)
    expect_problem(await client.get(interests(draft), headers=OTHER_FIRM), 404)


async def test_interest_only_while_on_the_list_and_never_in_ones_own(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    scenario = await publish_new(client)
    assert expect_problem(await client.post(interests(scenario), json={}, headers=FIRM), 422)["errors"][0]["field"] \
        == "enterprise_uscc"
    docking = await moved(client, scenario, "start_docking", FIRM)
    assert (await client.post(interests(docking), json={}, headers=OTHER_FIRM)).status_code == 201
    pilot = await moved(client, docking, "start_pilot", OFFICER)
    late = expect_problem(await client.post(interests(pilot), json={}, headers=THIRD_FIRM), 409)
    assert late["errors"][0]["field"] == "status" and sorted(late["states_allowed"]) == ["docking", "published"]
    # A repeat of an answer given in time is still the same answer (idempotent), not a refusal.
    assert (await client.post(interests(pilot), json={}, headers=OTHER_FIRM)).status_code == 200
    # Only firms answer, and a bad note names its field.
    expect_problem(await client.post(interests(scenario), json={}, headers=OFFICER), 403)
    bad = expect_problem(await client.post(interests(scenario), json={"note": "a\x00b"}, headers=OTHER_FIRM), 422)
    assert bad["errors"][0]["field"] == "note"


async def test_the_supplier_of_the_pilot_is_a_firm_that_answered(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    docking = await moved(client, await publish_new(client), "start_docking", OFFICER)
    await client.post(interests(docking), json={"note": "可提供验布设备"}, headers=OTHER_FIRM)
    stranger = expect_problem(await step(client, docking, "start_pilot", OFFICER, supplier_uscc=THIRD_USCC), 422)
    assert stranger["errors"][0]["field"] == "supplier_uscc"
    early = expect_problem(await step(client, docking, "close", OFFICER, reason="x", outcome="no_match",
                                      supplier_uscc=OTHER_USCC), 422)
    assert early["errors"][0]["field"] == "supplier_uscc"
    pilot = await moved(client, docking, "start_pilot", OFFICER, supplier_uscc=OTHER_USCC)
    assert pilot["supplier_uscc"] == OTHER_USCC
    closed = await moved(client, pilot, "close", FIRM, reason="试点验收通过", outcome="validated")
    # The closing outcome records who answered the need, what came of it, who closed it and when.
    assert (closed["supplier_uscc"], closed["outcome"], closed["closing_reason"]) == (OTHER_USCC, "validated",
                                                                                      "试点验收通过")
    assert closed["closed_by"] and closed["closed_at"]
    (event,) = await outbox_payloads(url, CLOSED)
    assert event["supplier_uscc"] == OTHER_USCC and event["outcome"] == "validated"
    public = (await client.get(f"/v1/public/scenarios/{closed['id']}")).json()
    assert public["supplier_uscc"] == OTHER_USCC and public["outcome"] == "validated"


async def test_many_requests_of_one_firm_at_once_leave_one_interest(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = scenarios_client, database_url(scenarios_client)
    scenario = await publish_new(client)
    answers = await asyncio.gather(*(client.post(interests(scenario), json={"note": f"第{n}次"}, headers=OTHER_FIRM)
                                     for n in range(12)))
    assert sorted(a.status_code for a in answers) == [200] * 11 + [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await count_rows(url, "scenario_interests") == 1
    assert await count_rows(url, "audit_log", "WHERE action = 'scenario.interest'") == 1
