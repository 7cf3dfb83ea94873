"""Guidance visits (跟踪辅导) through the registry API, on PostgreSQL and on SQLite: logging a visit with its
follow-ups, who reads what (internal notes never reach the enterprise), closing follow-ups, and the open lists per
officer and per district with the overdue ones first."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.auth import Role
from tests.registry.pools_support import create_enterprise, database_url, expect_problem
from tests.support import count_rows, token

ADMIN = token(Role.ADMIN)
WUXING = token(Role.OFFICER, subject="officer-wang", districts=["330502"])
WUXING_2 = token(Role.OFFICER, subject="officer-li", districts=["330502"])
DEQING = token(Role.OFFICER, subject="officer-zhao", districts=["330521"])
TWO_DISTRICTS = token(Role.OFFICER, subject="officer-chen", districts=["330502", "330521"])
# The API measures "today" in Asia/Shanghai, whatever the machine's zone.
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _visit(enterprise_id: str, *dues: date, visited_on: date = TODAY - timedelta(days=40), **extra: Any) -> dict[str, Any]:
    return {
        "enterprise_id": enterprise_id,
        "visited_on": visited_on.isoformat(),
        "topics": ["研发投入", "专精特新申报"],
        "problems_raised": ["检测设备不足", "  "],
        "summary": "企业计划明年申报专精特新。",
        "internal_notes": "负责人对区里政策兑现进度有意见。",
        "follow_ups": [{"description": f"跟进事项 {i}", "owner": "吴兴区经信局", "due_on": d.isoformat()}
                       for i, d in enumerate(dues)],
        **extra,
    }


async def _log(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] = WUXING) -> dict[str, Any]:
    response = await client.post("/v1/visits", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_officer_logs_a_visit_with_its_follow_ups(registry_client: httpx.AsyncClient) -> None:
    firm = await create_enterprise(registry_client, 1)
    due = TODAY + timedelta(days=14)
    response = await registry_client.post("/v1/visits", json=_visit(firm["id"], due), headers=WUXING)
    assert response.status_code == 201, response.text
    visit = response.json()
    assert response.headers["location"] == f"/v1/visits/{visit['id']}"
    assert visit["officer"] == "officer-wang" and visit["enterprise_id"] == firm["id"]
    assert visit["topics"] == ["研发投入", "专精特新申报"] and visit["problems_raised"] == ["检测设备不足"]
    assert visit["internal_notes"] == "负责人对区里政策兑现进度有意见。"
    (follow_up,) = visit["follow_ups"]
    assert (follow_up["status"], follow_up["overdue"], follow_up["due_on"]) == ("open", False, due.isoformat())
    url = database_url(registry_client)
    assert await count_rows(url, "guidance_visits") == 1 and await count_rows(url, "visit_follow_ups") == 1
    assert await count_rows(url, "audit_log", "WHERE entity_id = :id AND action = 'guidance_visit.log'",
                            id=visit["id"]) == 1
    # Working notes: no integration event leaves the registry for a visit.
    assert await count_rows(url, "outbox", "WHERE event_type LIKE '%visit%'") == 0

    again = await registry_client.get(f"/v1/visits/{visit['id']}", headers=WUXING_2)
    assert again.status_code == 200 and again.json() == visit


async def test_the_enterprise_reads_its_visits_without_the_internal_notes(registry_client: httpx.AsyncClient) -> None:
    firm = await create_enterprise(registry_client, 2)
    neighbour = await create_enterprise(registry_client, 3)
    older = await _log(registry_client, _visit(firm["id"], visited_on=TODAY - timedelta(days=60)))
    newer = await _log(registry_client, _visit(firm["id"], TODAY, visited_on=TODAY - timedelta(days=5)))
    await _log(registry_client, _visit(neighbour["id"]))

    own = token(Role.ENTERPRISE, uscc=firm["uscc"])
    listed = await registry_client.get(f"/v1/enterprises/{firm['id']}/visits", headers=own)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [v["id"] for v in items] == [newer["id"], older["id"]]  # latest first
    assert all("internal_notes" not in v for v in items)
    assert items[0]["summary"] == "企业计划明年申报专精特新。" and len(items[0]["follow_ups"]) == 1
    single = await registry_client.get(f"/v1/visits/{newer['id']}", headers=own)
    assert single.status_code == 200 and "internal_notes" not in single.json()

    officer_view = (await registry_client.get(f"/v1/enterprises/{firm['id']}/visits?limit=1", headers=WUXING)).json()
    assert officer_view["items"][0]["internal_notes"] == "负责人对区里政策兑现进度有意见。"
    rest = (await registry_client.get(f"/v1/enterprises/{firm['id']}/visits?limit=1&cursor={officer_view['next_cursor']}",
                                      headers=ADMIN)).json()
    assert [v["id"] for v in rest["items"]] == [older["id"]] and rest["next_cursor"] is None

    # Out of scope reads as absent: another firm, another district.
    expect_problem(await registry_client.get(f"/v1/enterprises/{neighbour['id']}/visits", headers=own), 404)
    expect_problem(await registry_client.get(f"/v1/visits/{older['id']}", headers=token(Role.ENTERPRISE, uscc=neighbour["uscc"])),
             404)
    expect_problem(await registry_client.get(f"/v1/enterprises/{firm['id']}/visits", headers=DEQING), 404)
    expect_problem(await registry_client.get(f"/v1/visits/{older['id']}", headers=DEQING), 404)
    expect_problem(await registry_client.get(f"/v1/visits/{uuid.uuid4()}", headers=ADMIN), 404)
    for role in (Role.PARK_OPERATOR, Role.REVIEWER, Role.SERVICE):
        expect_problem(await registry_client.get(f"/v1/enterprises/{firm['id']}/visits", headers=token(role)), 403)
    assert (await registry_client.get(f"/v1/enterprises/{firm['id']}/visits")).status_code == 401


async def test_bad_visits_are_refused_and_write_nothing(registry_client: httpx.AsyncClient) -> None:
    firm = await create_enterprise(registry_client, 4)
    elsewhere = await create_enterprise(registry_client, 5, "330521")
    cases = [
        (_visit(firm["id"], visited_on=TODAY + timedelta(days=1)), 422, "visited_on"),
        (_visit(firm["id"], TODAY - timedelta(days=41)), 422, "follow_ups.0.due_on"),
        ({**_visit(firm["id"]), "topics": [" "]}, 422, "topics"),
        ({**_visit(firm["id"]), "follow_ups": [{"description": "x", "owner": "y"}]}, 422, "follow_ups.0.due_on"),
        (_visit(str(uuid.uuid4())), 404, None),
        (_visit(elsewhere["id"]), 404, None),  # outside the officer's districts
    ]
    for body, status, field in cases:
        problem = expect_problem(await registry_client.post("/v1/visits", json=body, headers=WUXING), status)
        if field:
            assert problem["errors"][0]["field"] == field, problem
    for role in (Role.ENTERPRISE, Role.PARK_OPERATOR, Role.SERVICE):
        expect_problem(await registry_client.post("/v1/visits", json=_visit(firm["id"]), headers=token(role, uscc=firm["uscc"])),
                 403)
    assert (await registry_client.post("/v1/visits", json=_visit(firm["id"]))).status_code == 401
    url = database_url(registry_client)
    assert await count_rows(url, "guidance_visits") == 0 and await count_rows(url, "visit_follow_ups") == 0
    assert await count_rows(url, "audit_log", "WHERE action LIKE 'guidance_visit.%'") == 0


async def test_open_follow_ups_come_overdue_first_per_officer_and_district(registry_client: httpx.AsyncClient) -> None:
    wuxing_firm = await create_enterprise(registry_client, 6)
    deqing_firm = await create_enterprise(registry_client, 7, "330521")
    soon, later = TODAY + timedelta(days=3), TODAY + timedelta(days=30)
    overdue, very_overdue = TODAY - timedelta(days=2), TODAY - timedelta(days=20)
    await _log(registry_client, _visit(wuxing_firm["id"], later, overdue))                       # officer-wang
    await _log(registry_client, _visit(wuxing_firm["id"], soon), headers=WUXING_2)              # officer-li
    await _log(registry_client, _visit(deqing_firm["id"], very_overdue, TODAY), headers=DEQING)  # officer-zhao

    async def due_dates(query: str, headers: dict[str, str] = ADMIN) -> list[tuple[str, bool]]:
        response = await registry_client.get(f"/v1/follow-ups{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [(f["due_on"], f["overdue"]) for f in response.json()["items"]]

    everyone = await due_dates("")
    assert everyone == [(very_overdue.isoformat(), True), (overdue.isoformat(), True), (TODAY.isoformat(), False),
                        (soon.isoformat(), False), (later.isoformat(), False)]
    assert await due_dates("?officer=officer-wang") == [(overdue.isoformat(), True), (later.isoformat(), False)]
    assert await due_dates("?district_code=330521") == [(very_overdue.isoformat(), True), (TODAY.isoformat(), False)]
    # An officer sees its own districts only, whatever it asks for.
    assert [d for d, _ in await due_dates("", WUXING)] == [overdue.isoformat(), soon.isoformat(), later.isoformat()]
    assert len(await due_dates("", TWO_DISTRICTS)) == 5
    expect_problem(await registry_client.get("/v1/follow-ups?district_code=330521", headers=WUXING), 403)
    expect_problem(await registry_client.get("/v1/follow-ups?district_code=330590", headers=ADMIN), 422)

    listed = (await registry_client.get("/v1/follow-ups?officer=officer-zhao", headers=ADMIN)).json()["items"][0]
    assert (listed["enterprise_id"], listed["district_code"], listed["officer"]) == (
        deqing_firm["id"], "330521", "officer-zhao")
    assert listed["enterprise_name"] == deqing_firm["name"]

    first = (await registry_client.get("/v1/follow-ups?limit=2", headers=ADMIN)).json()
    second = (await registry_client.get(f"/v1/follow-ups?limit=2&cursor={first['next_cursor']}", headers=ADMIN)).json()
    third = (await registry_client.get(f"/v1/follow-ups?limit=2&cursor={second['next_cursor']}", headers=ADMIN)).json()
    paged = [(f["due_on"], f["overdue"]) for page in (first, second, third) for f in page["items"]]
    assert paged == everyone and third["next_cursor"] is None

    for role in (Role.ENTERPRISE, Role.PARK_OPERATOR, Role.SERVICE):
        expect_problem(await registry_client.get("/v1/follow-ups", headers=token(role)), 403)
    assert (await registry_client.get("/v1/follow-ups")).status_code == 401


async def test_closing_a_follow_up(registry_client: httpx.AsyncClient) -> None:
    firm = await create_enterprise(registry_client, 8)
    visit = await _log(registry_client, _visit(firm["id"], TODAY - timedelta(days=1), TODAY + timedelta(days=9)))
    overdue_item, other_item = visit["follow_ups"]
    path = f"/v1/follow-ups/{overdue_item['id']}/close"

    expect_problem(await registry_client.post(path, json={}, headers=DEQING), 404)  # another district's firm
    expect_problem(await registry_client.post(path, json={}, headers=token(Role.ENTERPRISE, uscc=firm["uscc"])), 403)
    future = await registry_client.post(path, json={"closed_on": (TODAY + timedelta(days=1)).isoformat()}, headers=WUXING)
    assert expect_problem(future, 422)["errors"][0]["field"] == "closed_on"
    before_visit = await registry_client.post(path, json={"closed_on": "2001-01-01"}, headers=WUXING)
    assert expect_problem(before_visit, 422)["errors"][0]["field"] == "closed_on"
    expect_problem(await registry_client.post(f"/v1/follow-ups/{uuid.uuid4()}/close", json={}, headers=WUXING), 404)
    assert await count_rows(database_url(registry_client), "visit_follow_ups", "WHERE status = 'done'") == 0

    closed = await registry_client.post(path, json={"resolution": "已对接浙大湖州研究院检测平台"}, headers=WUXING_2)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["overdue"], body["closed_on"], body["closed_by"]) == (
        "done", False, TODAY.isoformat(), "officer-li")
    expect_problem(await registry_client.post(path, json={}, headers=WUXING), 409)

    open_items = (await registry_client.get("/v1/follow-ups", headers=ADMIN)).json()["items"]
    assert [f["id"] for f in open_items] == [other_item["id"]]
    done_items = (await registry_client.get("/v1/follow-ups?status=done", headers=ADMIN)).json()["items"]
    assert [f["id"] for f in done_items] == [overdue_item["id"]]
    reread = (await registry_client.get(f"/v1/visits/{visit['id']}", headers=token(Role.ENTERPRISE, uscc=firm["uscc"])))
    assert [f["status"] for f in reread.json()["follow_ups"]] == ["done", "open"]
    assert await count_rows(database_url(registry_client), "audit_log", "WHERE action = 'guidance_visit.follow_up_closed'") == 1


async def test_two_officers_closing_the_same_follow_up_at_once(registry_client: httpx.AsyncClient) -> None:
    firm = await create_enterprise(registry_client, 9)
    visit = await _log(registry_client, _visit(firm["id"], TODAY))
    path = f"/v1/follow-ups/{visit['follow_ups'][0]['id']}/close"
    responses = await asyncio.gather(*(registry_client.post(path, json={"resolution": who}, headers=headers)
                                       for who, headers in (("wang", WUXING), ("li", WUXING_2), ("admin", ADMIN))))
    assert sorted(r.status_code for r in responses) == [200, 409, 409], [r.text for r in responses]
    assert await count_rows(database_url(registry_client), "audit_log", "WHERE action = 'guidance_visit.follow_up_closed'") == 1
