"""Scenarios (产业链场景应用清单 entries) through the scenarios API, on PostgreSQL and on SQLite: drafts, reading in
scope with the contact masked, edits with If-Match, the lifecycle through its transitions with their audit entries
and events, and the refusals that name the field (and the allowed transitions)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

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
    PUBLISHED,
    SCENARIO,
    TODAY,
    create,
    moved,
    publish_new,
    step,
)
from tests.support import count_rows, token


async def test_the_lifecycle_from_draft_to_closed_with_its_audit_and_events(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    draft = await create(client)
    assert draft["status"] == "draft" and draft["version"] == 1
    assert draft["capability_tags"] == ["机器视觉", "AI质检"]  # NFKC, duplicates dropped ignoring case
    assert draft["budget"] == {"min_fen": 50_000_000, "max_fen": 200_000_000}
    assert draft["contact_phone"] == "13857212345" and draft["personal_data_masked"] is False

    submitted = await moved(client, draft, "submit", FIRM)
    rejected = await moved(client, submitted, "reject", OFFICER, reason="预算口径不清")
    assert rejected["status"] == "draft"
    scenario = await moved(client, rejected, "submit", FIRM)
    scenario = await moved(client, scenario, "approve", OFFICER)
    assert await outbox_payloads(url, PUBLISHED) == []
    scenario = await moved(client, scenario, "publish", OFFICER)
    assert scenario["status"] == "published" and scenario["published_at"] is not None

    (event,) = await outbox_payloads(url, PUBLISHED)
    assert event["scenario_id"] == scenario["id"] and event["capability_tags"] == ["机器视觉", "AI质检"]
    assert event["budget_min_fen"] == 50_000_000 and event["cluster"] == "modern_textile"
    assert event["deadline"] == SCENARIO["deadline"] and event["district_code"] == "330502"
    assert "contact_name" not in event and "contact_phone" not in event and "13857212345" not in str(event)

    scenario = await moved(client, scenario, "start_docking", FIRM)
    scenario = await moved(client, scenario, "start_pilot", OFFICER)
    closed = await moved(client, scenario, "close", FIRM, reason="试点通过", outcome="validated")
    assert closed["status"] == "closed" and closed["outcome"] == "validated"
    assert closed["closing_reason"] == "试点通过" and closed["closed_by"]
    (event,) = await outbox_payloads(url, CLOSED)
    assert event["outcome"] == "validated" and event["reason"] == "试点通过"

    for action in ("create", "submit", "reject", "approve", "publish", "start_docking", "start_pilot", "close"):
        assert await count_rows(url, "audit_log", "WHERE entity_id = :id AND action = :a", id=draft["id"],
                                a=f"scenario.{action}") >= 1, action


async def test_an_illegal_transition_is_409_naming_the_allowed_ones(scenarios_client: httpx.AsyncClient) -> None:
    draft = await create(scenarios_client)
    problem = expect_problem(await step(scenarios_client, draft, "publish", OFFICER), 409)
    assert "submit" in problem["detail"] and "withdraw" in problem["detail"]
    assert problem["errors"][0]["field"] == "status"
    assert {a["command"] for a in problem["allowed"]} == {"submit", "withdraw"}
    # The firm may not approve its own scenario: 403 naming who may.
    submitted = await moved(scenarios_client, draft, "submit", FIRM)
    refused = expect_problem(await step(scenarios_client, submitted, "approve", FIRM), 403)
    assert refused["roles_allowed"] == ["officer"]
    # A rejection needs its reason; a close needs an outcome that fits.
    assert expect_problem(await step(scenarios_client, submitted, "reject", OFFICER), 422)["errors"][0]["field"] == "reason"
    published = await publish_new(scenarios_client, title="另一个场景")
    bad = expect_problem(await step(scenarios_client, published, "close", OFFICER, reason="无人响应",
                                     outcome="scaled_up"), 422)
    assert bad["errors"][0]["field"] == "outcome"


async def test_transitions_and_edits_need_the_current_version(scenarios_client: httpx.AsyncClient) -> None:
    draft = await create(scenarios_client)
    missing = await scenarios_client.post(f"/v1/scenarios/{draft['id']}/transitions", json={"command": "submit"},
                                          headers=FIRM)
    expect_problem(missing, 428)
    stale = await scenarios_client.post(f"/v1/scenarios/{draft['id']}/transitions", json={"command": "submit"},
                                        headers={**FIRM, "If-Match": '"7"'})
    expect_problem(stale, 412)
    edited = await scenarios_client.patch(f"/v1/scenarios/{draft['id']}", json={"title": "新标题", "budget": None},
                                          headers={**FIRM, "If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "新标题" and edited.json()["budget"] is None and edited.json()["version"] == 2
    assert edited.headers["etag"] == '"2"'
    assert await count_rows(database_url(scenarios_client), "audit_log", "WHERE action = 'scenario.update'") == 1
    submitted = await moved(scenarios_client, edited.json(), "submit", FIRM)
    not_draft = await scenarios_client.patch(f"/v1/scenarios/{draft['id']}", json={"title": "再改"},
                                             headers={**FIRM, "If-Match": f'"{submitted["version"]}"'})
    assert expect_problem(not_draft, 409)["errors"][0]["field"] == "status"


async def test_readers_in_scope_and_the_contact_masked(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    draft = await create(client)
    path = f"/v1/scenarios/{draft['id']}"
    # A draft: the firm, the district's officers, admins and services read it; nobody else learns it exists.
    for headers in (FIRM, OFFICER, ADMIN, token(Role.SERVICE)):
        assert (await client.get(path, headers=headers)).status_code == 200
    for headers in (OTHER_FIRM, OTHER_OFFICER, token(Role.REVIEWER), token(Role.INSTITUTE, institute_id="i")):
        expect_problem(await client.get(path, headers=headers), 404)
    assert (await client.get("/v1/scenarios", headers=OTHER_FIRM)).json()["items"] == []
    expect_problem(await client.get(path), 401)
    expect_problem(await client.get("/v1/scenarios"), 401)

    published = await publish_new(client, title="已发布场景")
    path = f"/v1/scenarios/{published['id']}"
    for headers in (OTHER_FIRM, OTHER_OFFICER, token(Role.REVIEWER), token(Role.PARK_OPERATOR, platform_ids=[])):
        read = await client.get(path, headers=headers)
        assert read.status_code == 200, read.text
        assert read.json()["personal_data_masked"] is True
        assert read.json()["contact_name"] == "张**" and read.json()["contact_phone"] == "138****2345"
    assert (await client.get(path, headers=OFFICER)).json()["contact_phone"] == "13857212345"
    listed = (await client.get("/v1/scenarios", headers=OTHER_FIRM)).json()["items"]
    assert [s["id"] for s in listed] == [published["id"]]
    filtered = await client.get("/v1/scenarios", params={"status": "draft", "district_code": "330502",
                                                         "sector": "advanced_manufacturing"}, headers=OFFICER)
    assert [s["id"] for s in filtered.json()["items"]] == [draft["id"]]

    # Out of scope for change: another firm is refused as if the scenario were absent (it reads it, so 403).
    refused = await step(client, published, "start_docking", OTHER_FIRM)
    assert refused.status_code == 403, refused.text
    refused = await step(client, published, "start_docking", OTHER_OFFICER)
    assert refused.status_code == 403, refused.text


async def test_who_may_publish_for_whom(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    as_other = await client.post("/v1/scenarios", json=SCENARIO, headers=OTHER_FIRM)
    expect_problem(as_other, 403)
    department = {"kind": "department", "department": "吴兴区经济和信息化局"}
    as_firm = await client.post("/v1/scenarios", json={**SCENARIO, "publisher": department}, headers=FIRM)
    expect_problem(as_firm, 403)
    outside = await client.post("/v1/scenarios", json={**SCENARIO, "publisher": department}, headers=OTHER_OFFICER)
    assert expect_problem(outside, 403)["errors"][0]["field"] == "district_code"
    # An officer publishes for a department of its district, and plays both parts towards it.
    own = await create(client, OFFICER, publisher=department)
    submitted = await moved(client, own, "submit", OFFICER)
    assert (await moved(client, submitted, "approve", OFFICER))["status"] == "approved"
    # …and for a firm of its district.
    assert (await create(client, OFFICER, publisher={"kind": "enterprise", "uscc": OTHER_USCC}))["status"] == "draft"


@pytest.mark.parametrize(("change", "field"), [
    ({"budget": {"min_fen": 300, "max_fen": 200}}, "budget.max_fen"),
    ({"sector": "farming"}, "sector"),
    ({"title": "验布\x00场景"}, "title"),
    ({"budget": {"min_fen": True, "max_fen": 200}}, "budget.min_fen"),
    ({"district_code": "330100"}, "district_code"),
    ({"publisher": {"kind": "enterprise"}}, "publisher.uscc"),
])
async def test_bad_input_is_422_naming_the_field(scenarios_client: httpx.AsyncClient, change: dict[str, Any],
                                                 field: str) -> None:
    response = await scenarios_client.post("/v1/scenarios", json={**SCENARIO, **change}, headers=ADMIN)
    problem = expect_problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count_rows(database_url(scenarios_client), "scenarios") == 0


async def test_a_deadline_in_the_past_is_refused_on_approval(scenarios_client: httpx.AsyncClient) -> None:
    draft = await create(scenarios_client, deadline=(TODAY - timedelta(days=1)).isoformat())
    submitted = await moved(scenarios_client, draft, "submit", FIRM)
    problem = expect_problem(await step(scenarios_client, submitted, "approve", OFFICER), 422)
    assert problem["errors"][0]["field"] == "deadline"
    again = await scenarios_client.get(f"/v1/scenarios/{draft['id']}", headers=FIRM)
    assert again.json()["status"] == "submitted"  # nothing half written


async def test_concurrent_transitions_with_one_if_match_leave_one_winner(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    published = await publish_new(scenarios_client)
    answers = await asyncio.gather(*(step(scenarios_client, published, "start_docking", OFFICER)
                                     for _ in range(10)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * 9, [a.text for a in answers]
    assert await count_rows(database_url(scenarios_client), "audit_log",
                            "WHERE action = 'scenario.start_docking'") == 1
