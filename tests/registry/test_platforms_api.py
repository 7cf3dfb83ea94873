"""Platforms (播种平台) through the registry API, on PostgreSQL and on SQLite: registration, reading, updates with
If-Match, tenancies and the occupancy they drive, the yearly flagship lists and the investment-attraction map."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.auth import Role
from tests.registry.pools_support import create_enterprise, database_url, expect_problem, outbox_payloads
from tests.support import count_rows, make_uscc, token

ADMIN = token(Role.ADMIN)
OFFICER = token(Role.OFFICER, districts=["330502"])
OTHER_OFFICER = token(Role.OFFICER, districts=["330521"])
# The API measures "today" and "this year" in Asia/Shanghai, whatever the machine's zone.
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
THIS_YEAR = TODAY.year
PLATFORM_REGISTERED = "seedbed.registry.platform.registered.v1"
PLATFORM_UPDATED = "seedbed.registry.platform.updated.v1"

PLATFORM = {
    "platform_type": "incubator",
    "name": "湖州科技城创新孵化器",
    "operator_name": "湖州科创园运营管理有限公司",
    "operator_uscc": make_uscc(9001),
    "address": "湖州市吴兴区西山漾路 1 号",
    "longitude": 120.0865,
    "latitude": 30.8672,
    "district_code": "330502",
    "functional_zone": "nantaihu",
    "positioning": ["digital_industry", "nev_parts"],
    "floor_area_m2": 52000,
    "capacity": 3,
    "services_offered": ["融资对接", "知识产权代理", "融资对接"],
}


async def _platform(client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/platforms", json={**PLATFORM, **overrides}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _enter(client: httpx.AsyncClient, platform_id: str, enterprise_id: str, headers: dict[str, str] = ADMIN,
                 entered_on: date = TODAY - timedelta(days=100)) -> httpx.Response:
    return await client.post(f"/v1/platforms/{platform_id}/tenancies",
                             json={"enterprise_id": enterprise_id, "entered_on": entered_on.isoformat()}, headers=headers)


# --- registration and reading ---------------------------------------------------------------------------------------

async def test_register_writes_the_platform_its_event_and_its_audit_entry(registry_client: httpx.AsyncClient) -> None:
    response = await registry_client.post("/v1/platforms", json=PLATFORM, headers=OFFICER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == PLATFORM["name"] and body["district_name"] == "吴兴区"
    assert body["capacity"] == 3 and body["occupied"] == 0 and body["vacancy"] == 3
    assert body["services_offered"] == ["融资对接", "知识产权代理"]  # de-duplicated
    assert body["flagship"] is False and body["flagship_years"] == [] and body["version"] == 1
    assert response.headers["location"] == f"/v1/platforms/{body['id']}"
    assert response.headers["etag"] == '"1"'

    (event,) = await outbox_payloads(database_url(registry_client), PLATFORM_REGISTERED)
    assert event["platform_id"] == body["id"] and event["occupied"] == 0 and event["capacity"] == 3
    assert event["positioning"] == ["digital_industry", "nev_parts"]
    assert await count_rows(database_url(registry_client), "audit_log", "WHERE entity_id = :id AND action = 'platform.register'",
                            id=body["id"]) == 1

    # Every authenticated role reads platforms.
    for role in (Role.ENTERPRISE, Role.REVIEWER, Role.INSTITUTE, Role.SERVICE, Role.PARK_OPERATOR):
        read = await registry_client.get(f"/v1/platforms/{body['id']}", headers=token(role))
        assert read.status_code == 200, role
        assert read.json()["operator_uscc"] == PLATFORM["operator_uscc"]
        assert read.headers["etag"] == '"1"'


async def test_invalid_platforms_are_refused_field_by_field_and_write_nothing(registry_client: httpx.AsyncClient) -> None:
    cases = {
        "operator_uscc": {"operator_uscc": "914403001922038217"},  # wrong check character (REFERENCE §4)
        "longitude": {"longitude": 200.0},
        "latitude": {"latitude": -91.0},
        "district_code": {"district_code": "330590"},  # a pseudo-code, not GB/T 2260
        "positioning.0": {"positioning": ["semiconductors"]},
        "platform_type": {"platform_type": "shopping_mall"},
        "capacity": {"capacity": -1},
        "functional_zone": {"functional_zone": "xinqu"},
        "name": {"name": ""},
    }
    for field, override in cases.items():
        response = await registry_client.post("/v1/platforms", json={**PLATFORM, **override}, headers=ADMIN)
        problem = expect_problem(response, 422)
        assert field in [e["field"] for e in problem["errors"]], (field, problem)
    assert await count_rows(database_url(registry_client), "platforms") == 0
    assert await count_rows(database_url(registry_client), "outbox") == 0


async def test_a_second_platform_of_the_same_name_is_a_conflict_pointing_to_the_first(
    registry_client: httpx.AsyncClient,
) -> None:
    first = await _platform(registry_client)
    again = await registry_client.post("/v1/platforms", json={**PLATFORM, "capacity": 9}, headers=ADMIN)
    assert expect_problem(again, 409)["existing"] == f"/v1/platforms/{first['id']}"
    assert await count_rows(database_url(registry_client), "platforms") == 1


async def test_registration_refusals(registry_client: httpx.AsyncClient) -> None:
    assert (await registry_client.post("/v1/platforms", json=PLATFORM)).status_code == 401
    for role in (Role.ENTERPRISE, Role.PARK_OPERATOR, Role.SERVICE, Role.REVIEWER):
        expect_problem(await registry_client.post("/v1/platforms", json=PLATFORM, headers=token(role)), 403)
    outside = await registry_client.post("/v1/platforms", json=PLATFORM, headers=OTHER_OFFICER)
    assert expect_problem(outside, 403)["errors"][0]["field"] == "district_code"
    assert await count_rows(database_url(registry_client), "platforms") == 0
    expect_problem(await registry_client.get(f"/v1/platforms/{uuid.uuid4()}", headers=ADMIN), 404)
    assert (await registry_client.get("/v1/platforms")).status_code == 401


# --- updates ------------------------------------------------------------------------------------------------------

async def test_update_needs_the_current_etag_and_emits_what_changed(registry_client: httpx.AsyncClient) -> None:
    platform = await _platform(registry_client)
    path = f"/v1/platforms/{platform['id']}"
    expect_problem(await registry_client.patch(path, json={"capacity": 10}, headers=OFFICER), 428)
    expect_problem(await registry_client.patch(path, json={"capacity": 10}, headers={**OFFICER, "If-Match": '"7"'}), 412)

    response = await registry_client.patch(path, json={"capacity": 10, "services_offered": ["共享实验室"]},
                                           headers={**OFFICER, "If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["capacity"] == 10 and response.json()["vacancy"] == 10
    assert response.headers["etag"] == '"2"'
    (event,) = await outbox_payloads(database_url(registry_client), PLATFORM_UPDATED)
    assert event["changed_fields"] == ["capacity", "services_offered"] and event["capacity"] == 10
    assert event["version"] == 2

    # The old ETag is stale now; nothing more is written.
    expect_problem(await registry_client.patch(path, json={"capacity": 11}, headers={**OFFICER, "If-Match": '"1"'}), 412)
    cleared = await registry_client.patch(path, json={"address": None}, headers={**OFFICER, "If-Match": '"2"'})
    assert expect_problem(cleared, 422)["errors"][0]["field"] == "address"
    bad = await registry_client.patch(path, json={"latitude": 95}, headers={**OFFICER, "If-Match": '"2"'})
    assert expect_problem(bad, 422)["errors"][0]["field"] == "latitude"
    assert len(await outbox_payloads(database_url(registry_client), PLATFORM_UPDATED)) == 1
    assert (await registry_client.get(path, headers=ADMIN)).json()["capacity"] == 10


async def test_update_scopes_officers_and_park_operators(registry_client: httpx.AsyncClient) -> None:
    platform = await _platform(registry_client)
    other = await _platform(registry_client, name="南浔人才创业园", district_code="330503", platform_type="talent_park")
    path = f"/v1/platforms/{platform['id']}"
    operator = token(Role.PARK_OPERATOR, platform_ids=[platform["id"]])

    expect_problem(await registry_client.patch(path, json={"capacity": 5}, headers={**OTHER_OFFICER, "If-Match": '"1"'}), 403)
    expect_problem(await registry_client.patch(f"/v1/platforms/{other['id']}", json={"capacity": 5},
                                         headers={**operator, "If-Match": '"1"'}), 403)
    moved = await registry_client.patch(path, json={"district_code": "330503"}, headers={**operator, "If-Match": '"1"'})
    assert expect_problem(moved, 403)["errors"][0]["field"] == "district_code"
    # An officer may not move a platform into a district outside its scope either.
    expect_problem(await registry_client.patch(path, json={"district_code": "330503"}, headers={**OFFICER, "If-Match": '"1"'}),
             403)
    for role in (Role.ENTERPRISE, Role.SERVICE):
        expect_problem(await registry_client.patch(path, json={"capacity": 5}, headers={**token(role), "If-Match": '"1"'}), 403)

    own = await registry_client.patch(path, json={"services_offered": ["路演"], "capacity": 4},
                                      headers={**operator, "If-Match": '"1"'})
    assert own.status_code == 200, own.text
    assert own.json()["services_offered"] == ["路演"]


async def test_renaming_to_a_taken_name_is_a_conflict(registry_client: httpx.AsyncClient) -> None:
    first = await _platform(registry_client)
    second = await _platform(registry_client, name="吴兴众创空间", platform_type="maker_space")
    response = await registry_client.patch(f"/v1/platforms/{second['id']}", json={"name": first["name"]},
                                           headers={**ADMIN, "If-Match": '"1"'})
    assert expect_problem(response, 409)["existing"] == f"/v1/platforms/{first['id']}"


# --- tenancies and occupancy --------------------------------------------------------------------------------------

async def test_occupancy_follows_entries_and_graduations(registry_client: httpx.AsyncClient) -> None:
    platform = await _platform(registry_client)  # capacity 3
    pid = platform["id"]
    firms = [await create_enterprise(registry_client, n) for n in (1, 2, 3, 4)]
    tenancies = []
    for firm in firms[:3]:
        response = await _enter(registry_client, pid, firm["id"])
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"/v1/platforms/{pid}/tenancies/{response.json()['id']}"
        tenancies.append(response.json())

    read = (await registry_client.get(f"/v1/platforms/{pid}", headers=ADMIN)).json()
    assert (read["occupied"], read["vacancy"], read["version"]) == (3, 0, 4)
    enterprise = await registry_client.get(f"/v1/enterprises/{firms[0]['id']}", headers=ADMIN)
    assert enterprise.json()["platform_id"] == pid
    assert enterprise.headers["etag"] == '"2"'  # the enterprise's representation changed

    # Full: the fourth firm is refused and nothing is written.
    full = await _enter(registry_client, pid, firms[3]["id"])
    assert expect_problem(full, 409)["capacity"] == 3
    assert await count_rows(database_url(registry_client), "platform_tenancies") == 3

    # Capacity cannot drop below the current tenants.
    shrink = await registry_client.patch(f"/v1/platforms/{pid}", json={"capacity": 2},
                                         headers={**ADMIN, "If-Match": '"4"'})
    assert expect_problem(shrink, 409)["errors"][0]["field"] == "capacity"

    graduated = await registry_client.post(
        f"/v1/platforms/{pid}/tenancies/{tenancies[0]['id']}/exit",
        json={"left_on": (TODAY - timedelta(days=1)).isoformat(), "kind": "graduated", "reason": "营收超过 2000 万元，迁入自有厂房"},
        headers=ADMIN,
    )
    assert graduated.status_code == 200, graduated.text
    assert graduated.json()["current"] is False and graduated.json()["exit_kind"] == "graduated"
    read = (await registry_client.get(f"/v1/platforms/{pid}", headers=ADMIN)).json()
    assert (read["occupied"], read["vacancy"]) == (2, 1)
    assert (await registry_client.get(f"/v1/enterprises/{firms[0]['id']}", headers=ADMIN)).json()["platform_id"] is None

    # The freed place can be taken; the list, the map and the events all agree with the tenancies.
    assert (await _enter(registry_client, pid, firms[3]["id"])).status_code == 201
    current = (await registry_client.get(f"/v1/platforms/{pid}/tenancies", headers=ADMIN)).json()["items"]
    former = (await registry_client.get(f"/v1/platforms/{pid}/tenancies?status=former", headers=ADMIN)).json()["items"]
    assert sorted(t["enterprise_id"] for t in current) == sorted(f["id"] for f in firms[1:])
    assert [t["enterprise_id"] for t in former] == [firms[0]["id"]]
    (feature,) = (await registry_client.get("/v1/platforms/map", headers=ADMIN)).json()["features"]
    assert (feature["properties"]["occupied"], feature["properties"]["vacancy"]) == (3, 0)
    events = await outbox_payloads(database_url(registry_client), PLATFORM_UPDATED)
    assert [(e["occupied"], e["tenancy_change"]) for e in events] == [
        (1, "entered"), (2, "entered"), (3, "entered"), (2, "graduated"), (3, "entered")]
    assert events[3]["tenant_enterprise_id"] == firms[0]["id"] and events[3]["changed_fields"] == ["occupied"]
    assert await count_rows(database_url(registry_client), "outbox",
                            "WHERE event_type = 'seedbed.registry.enterprise.updated.v1'") == 0
    # The enterprise's own audit trail shows its moves.
    assert await count_rows(database_url(registry_client), "audit_log", "WHERE entity_id = :id AND entity_type = 'enterprise' "
                            "AND action LIKE 'enterprise.platform_%'", id=firms[0]["id"]) == 2


async def test_a_firm_sits_in_one_platform_at_a_time(registry_client: httpx.AsyncClient) -> None:
    first = await _platform(registry_client)
    second = await _platform(registry_client, name="长兴小微企业园", district_code="330522", platform_type="micro_park")
    firm = await create_enterprise(registry_client, 10)
    entered = await _enter(registry_client, first["id"], firm["id"], entered_on=TODAY - timedelta(days=30))
    again = await _enter(registry_client, second["id"], firm["id"])
    assert expect_problem(again, 409)["existing"] == f"/v1/platforms/{first['id']}/tenancies/{entered.json()['id']}"

    left_on = TODAY - timedelta(days=10)
    await registry_client.post(f"/v1/platforms/{first['id']}/tenancies/{entered.json()['id']}/exit",
                               json={"left_on": left_on.isoformat(), "kind": "left", "reason": "搬迁至长兴"}, headers=ADMIN)
    # Entering before the day it left the previous platform would overlap two stays.
    overlap = await _enter(registry_client, second["id"], firm["id"], entered_on=left_on - timedelta(days=1))
    assert expect_problem(overlap, 422)["errors"][0]["field"] == "entered_on"
    # By USCC, as a park operator knows the firm.
    by_uscc = await registry_client.post(f"/v1/platforms/{second['id']}/tenancies",
                                         json={"uscc": firm["uscc"], "entered_on": left_on.isoformat()}, headers=ADMIN)
    assert by_uscc.status_code == 201, by_uscc.text
    read = await registry_client.get(f"/v1/enterprises/{firm['id']}", headers=ADMIN)
    assert read.json()["platform_id"] == second["id"]


async def test_tenancy_refusals_write_nothing(registry_client: httpx.AsyncClient) -> None:
    platform = await _platform(registry_client)
    other = await _platform(registry_client, name="德清创业基地", district_code="330521", platform_type="startup_base")
    pid = platform["id"]
    firm = await create_enterprise(registry_client, 20)
    url = database_url(registry_client)

    future = await _enter(registry_client, pid, firm["id"], entered_on=TODAY + timedelta(days=1))
    assert expect_problem(future, 422)["errors"][0]["field"] == "entered_on"
    both = await registry_client.post(f"/v1/platforms/{pid}/tenancies",
                                      json={"enterprise_id": firm["id"], "uscc": firm["uscc"], "entered_on": "2025-01-01"},
                                      headers=ADMIN)
    expect_problem(both, 422)
    unknown = await registry_client.post(f"/v1/platforms/{pid}/tenancies",
                                         json={"uscc": make_uscc(99999), "entered_on": "2025-01-01"}, headers=ADMIN)
    assert expect_problem(unknown, 404)["errors"][0]["field"] == "uscc"
    expect_problem(await _enter(registry_client, str(uuid.uuid4()), firm["id"]), 404)
    assert (await registry_client.post(f"/v1/platforms/{pid}/tenancies", json={})).status_code == 401
    assert await count_rows(url, "platform_tenancies") == 0
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.registry.platform.updated.v1'") == 0

    entered = await _enter(registry_client, pid, firm["id"], headers=token(Role.ENTERPRISE, uscc=firm["uscc"]))
    assert entered.status_code == 201, entered.text  # the firm places itself
    tid = entered.json()["id"]
    operator = token(Role.PARK_OPERATOR, platform_ids=[pid])
    assert (await registry_client.get(f"/v1/platforms/{pid}/tenancies/{tid}", headers=operator)).status_code == 200
    expect_problem(await registry_client.get(f"/v1/platforms/{pid}/tenancies",
                                       headers=token(Role.PARK_OPERATOR, platform_ids=[other["id"]])), 403)
    expect_problem(await registry_client.get(f"/v1/platforms/{pid}/tenancies", headers=token(Role.ENTERPRISE)), 403)
    expect_problem(await registry_client.get(f"/v1/platforms/{other['id']}/tenancies/{tid}", headers=ADMIN), 404)

    exit_path = f"/v1/platforms/{pid}/tenancies/{tid}/exit"
    early = await registry_client.post(exit_path, json={"left_on": "2000-01-01", "kind": "graduated", "reason": "毕业"},
                                       headers=operator)
    assert expect_problem(early, 422)["errors"][0]["field"] == "left_on"
    no_reason = await registry_client.post(exit_path, json={"left_on": TODAY.isoformat(), "kind": "graduated"},
                                           headers=operator)
    assert expect_problem(no_reason, 422)["errors"][0]["field"] == "reason"
    expect_problem(await registry_client.post(f"/v1/platforms/{pid}/tenancies/{uuid.uuid4()}/exit",
                                        json={"left_on": TODAY.isoformat(), "kind": "left", "reason": "迁出"},
                                        headers=operator), 404)
    # The park operator ends the stay of its own current tenant (the firm is in its scope as its tenant).
    done = await registry_client.post(exit_path, json={"left_on": TODAY.isoformat(), "kind": "graduated", "reason": "毕业"},
                                      headers=operator)
    assert done.status_code == 200, done.text
    twice = await registry_client.post(exit_path, json={"left_on": TODAY.isoformat(), "kind": "left", "reason": "迁出"},
                                       headers=operator)
    expect_problem(twice, 409)
    assert [e["tenancy_change"] for e in await outbox_payloads(database_url(registry_client), PLATFORM_UPDATED)] == ["entered", "graduated"]


async def test_only_who_manages_the_firm_places_it(registry_client: httpx.AsyncClient) -> None:
    """Entering a firm in a platform changes the firm's record (its platform_id, and who reads it): a park operator
    (or an officer of another district, or another firm) naming a firm it cannot manage is refused, and learns
    nothing of the firm; the firm itself or an officer of its district places it."""
    platform = await _platform(registry_client)  # in 330502
    pid = platform["id"]
    firm = await create_enterprise(registry_client, 30)  # in 330502
    url = database_url(registry_client)
    operator = token(Role.PARK_OPERATOR, platform_ids=[pid])
    by_id = {"enterprise_id": firm["id"], "entered_on": (TODAY - timedelta(days=5)).isoformat()}
    by_uscc = {"uscc": firm["uscc"], "entered_on": (TODAY - timedelta(days=5)).isoformat()}

    # The platform's own operator: not a role that places firms (a firm it names would become readable to it).
    for body in (by_id, by_uscc):
        refused = await registry_client.post(f"/v1/platforms/{pid}/tenancies", json=body, headers=operator)
        expect_problem(refused, 403)
        # A firm outside the caller's scope is answered like one that does not exist: same status, same words.
        for headers in (OTHER_OFFICER, token(Role.ENTERPRISE, uscc=make_uscc(31))):
            hidden = await registry_client.post(f"/v1/platforms/{pid}/tenancies", json=body, headers=headers)
            problem = expect_problem(hidden, 404)
            assert "uscc" not in body or firm["id"] not in hidden.text
            absent_body = {**body, **({"enterprise_id": str(uuid.uuid4())} if "enterprise_id" in body
                                       else {"uscc": make_uscc(99998)})}
            absent = await registry_client.post(f"/v1/platforms/{pid}/tenancies", json=absent_body, headers=headers)
            assert expect_problem(absent, 404)["errors"][0]["field"] == problem["errors"][0]["field"]
    assert await count_rows(url, "platform_tenancies") == 0
    assert await count_rows(url, "outbox", "WHERE event_type = 'seedbed.registry.platform.updated.v1'") == 0
    assert (await registry_client.get(f"/v1/enterprises/{firm['id']}", headers=operator)).status_code == 404
    read = await registry_client.get(f"/v1/enterprises/{firm['id']}", headers=ADMIN)
    assert read.json()["platform_id"] is None and read.headers["etag"] == '"1"'

    # An officer of the firm's district places it, in a platform of another district too.
    elsewhere = await _platform(registry_client, name="长兴小微企业园", district_code="330522", platform_type="micro_park")
    entered = await _enter(registry_client, elsewhere["id"], firm["id"], headers=OFFICER)
    assert entered.status_code == 201, entered.text
    tid = entered.json()["id"]
    exit_path = f"/v1/platforms/{elsewhere['id']}/tenancies/{tid}/exit"
    leave = {"left_on": TODAY.isoformat(), "kind": "left", "reason": "迁出"}

    # Ending the stay: not by the operator of another platform, nor another firm (the tenancy does not exist for
    # them), nor an officer of the platform's district who does not reach the firm (403: the tenant list shows it).
    for headers, status in ((operator, 404), (token(Role.ENTERPRISE, uscc=make_uscc(31)), 404),
                            (token(Role.OFFICER, districts=["330503"]), 404),
                            (token(Role.OFFICER, districts=["330522"]), 403)):
        expect_problem(await registry_client.post(exit_path, json=leave, headers=headers), status)
    assert await count_rows(url, "platform_tenancies", "WHERE left_on IS NOT NULL") == 0
    # The firm itself may record that it left.
    left = await registry_client.post(exit_path, json=leave, headers=token(Role.ENTERPRISE, uscc=firm["uscc"]))
    assert left.status_code == 200, left.text
    assert (await registry_client.get(f"/v1/enterprises/{firm['id']}", headers=ADMIN)).json()["platform_id"] is None


# --- flagship lists -----------------------------------------------------------------------------------------------

async def test_flagship_lists_are_kept_per_year(registry_client: httpx.AsyncClient) -> None:
    first = await _platform(registry_client)
    second = await _platform(registry_client, name="安吉科创园", district_code="330523", platform_type="science_park")
    for year, platform in ((THIS_YEAR, first), (THIS_YEAR, second), (THIS_YEAR - 1, first)):
        response = await registry_client.post("/v1/platforms/flagships",
                                              json={"year": year, "platform_id": platform["id"], "note": "省级示范"},
                                              headers=ADMIN)
        assert response.status_code == 201, response.text
        assert response.json()["listed_by"] == "local-admin"

    this_year = (await registry_client.get(f"/v1/platforms/flagships?year={THIS_YEAR}", headers=OFFICER)).json()
    assert [i["name"] for i in this_year["items"]] == sorted([first["name"], second["name"]])
    last_year = (await registry_client.get(f"/v1/platforms/flagships?year={THIS_YEAR - 1}",
                                           headers=token(Role.ENTERPRISE))).json()
    assert [i["platform_id"] for i in last_year["items"]] == [first["id"]]
    default = (await registry_client.get("/v1/platforms/flagships", headers=ADMIN)).json()
    assert len(default["items"]) == 2
    paged = (await registry_client.get(f"/v1/platforms/flagships?year={THIS_YEAR}&limit=1", headers=ADMIN)).json()
    rest = (await registry_client.get(f"/v1/platforms/flagships?year={THIS_YEAR}&limit=1&cursor={paged['next_cursor']}",
                                      headers=ADMIN)).json()
    assert [i["name"] for i in paged["items"] + rest["items"]] == [i["name"] for i in this_year["items"]]
    assert rest["next_cursor"] is None

    read = (await registry_client.get(f"/v1/platforms/{first['id']}", headers=ADMIN)).json()
    assert read["flagship"] is True and read["flagship_years"] == [THIS_YEAR - 1, THIS_YEAR]
    flagships = (await registry_client.get("/v1/platforms?flagship=true", headers=ADMIN)).json()["items"]
    assert len(flagships) == 2

    removed = await registry_client.delete(f"/v1/platforms/flagships/{THIS_YEAR}/{first['id']}", headers=ADMIN)
    assert removed.status_code == 204
    read = (await registry_client.get(f"/v1/platforms/{first['id']}", headers=ADMIN)).json()
    assert read["flagship"] is False and read["flagship_years"] == [THIS_YEAR - 1]
    not_flagship = (await registry_client.get("/v1/platforms?flagship=false", headers=ADMIN)).json()["items"]
    assert [p["id"] for p in not_flagship] == [first["id"]]
    events = await outbox_payloads(database_url(registry_client), PLATFORM_UPDATED)
    assert [e["changed_fields"] for e in events] == [
        ["flagship_years", "flagship"], ["flagship_years", "flagship"], ["flagship_years"], ["flagship_years", "flagship"]]
    assert events[-1]["flagship"] is False and events[-1]["flagship_years"] == [THIS_YEAR - 1]


async def test_flagship_refusals(registry_client: httpx.AsyncClient) -> None:
    platform = await _platform(registry_client)
    body = {"year": THIS_YEAR, "platform_id": platform["id"]}
    assert (await registry_client.post("/v1/platforms/flagships", json=body)).status_code == 401
    operator = token(Role.PARK_OPERATOR, platform_ids=[platform["id"]])
    expect_problem(await registry_client.post("/v1/platforms/flagships", json=body, headers=operator), 403)
    expect_problem(await registry_client.post("/v1/platforms/flagships", json=body, headers=OTHER_OFFICER), 403)
    far = await registry_client.post("/v1/platforms/flagships", json={**body, "year": THIS_YEAR + 5}, headers=ADMIN)
    assert expect_problem(far, 422)["errors"][0]["field"] == "year"
    unknown = await registry_client.post("/v1/platforms/flagships", json={**body, "platform_id": str(uuid.uuid4())},
                                         headers=ADMIN)
    assert expect_problem(unknown, 404)["errors"][0]["field"] == "platform_id"
    assert await count_rows(database_url(registry_client), "platform_flagship_listings") == 0

    assert (await registry_client.post("/v1/platforms/flagships", json=body, headers=OFFICER)).status_code == 201
    expect_problem(await registry_client.post("/v1/platforms/flagships", json=body, headers=OFFICER), 409)
    path = f"/v1/platforms/flagships/{THIS_YEAR}/{platform['id']}"
    expect_problem(await registry_client.delete(path, headers=operator), 403)
    assert (await registry_client.delete(path, headers=OFFICER)).status_code == 204
    expect_problem(await registry_client.delete(path, headers=OFFICER), 404)


# --- listing and the map ------------------------------------------------------------------------------------------

async def _three_platforms(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    incubator = await _platform(client)  # 吴兴, digital_industry + nev_parts, capacity 3
    park = await _platform(client, name="南浔小微企业园", platform_type="micro_park", district_code="330503",
                           functional_zone=None, positioning=["wood_products"], capacity=1, longitude=120.4182,
                           latitude=30.8727)
    space = await _platform(client, name="德清地理信息众创空间", platform_type="maker_space", district_code="330521",
                            functional_zone=None, positioning=["beidou_geoinfo", "digital_industry"], capacity=5,
                            longitude=119.9775, latitude=30.5441)
    firm = await create_enterprise(client, 30, "330503")
    assert (await _enter(client, park["id"], firm["id"])).status_code == 201  # the micro park is now full
    return incubator, park, space


async def test_map_is_a_geojson_feature_collection(registry_client: httpx.AsyncClient) -> None:
    incubator, park, space = await _three_platforms(registry_client)
    await registry_client.post("/v1/platforms/flagships", json={"year": THIS_YEAR, "platform_id": space["id"]},
                               headers=ADMIN)
    response = await registry_client.get("/v1/platforms/map", headers=token(Role.ENTERPRISE))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {incubator["id"], park["id"], space["id"]}
    for feature in features.values():
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        longitude, latitude = feature["geometry"]["coordinates"]
        # RFC 7946: longitude first; Huzhou lies near 120°E, 30.8°N.
        assert 119 < longitude < 121 and 30 < latitude < 31.5
        assert {"name", "type", "district", "positioning", "capacity", "occupied", "vacancy", "flagship"} <= set(
            feature["properties"])
    assert features[incubator["id"]]["geometry"]["coordinates"] == [PLATFORM["longitude"], PLATFORM["latitude"]]
    props = features[park["id"]]["properties"]
    assert (props["name"], props["type"], props["district"]) == ("南浔小微企业园", "micro_park", "330503")
    assert (props["capacity"], props["occupied"], props["vacancy"], props["flagship"]) == (1, 1, 0, False)
    assert features[space["id"]]["properties"]["flagship"] is True


async def test_map_filters(registry_client: httpx.AsyncClient) -> None:
    incubator, park, space = await _three_platforms(registry_client)

    async def ids(query: str) -> set[str]:
        response = await registry_client.get(f"/v1/platforms/map?{query}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return {f["id"] for f in response.json()["features"]}

    assert await ids("type=micro_park") == {park["id"]}
    assert await ids("district_code=330521") == {space["id"]}
    assert await ids("positioning=digital_industry") == {incubator["id"], space["id"]}
    assert await ids("positioning=nev_parts") == {incubator["id"]}
    assert await ids("has_vacancy=true") == {incubator["id"], space["id"]}
    assert await ids("has_vacancy=false") == {park["id"]}
    assert await ids("min_vacancy=4") == {space["id"]}
    assert await ids("positioning=digital_industry&min_vacancy=4") == {space["id"]}
    assert await ids("district_code=330522") == set()

    for query, field in (("positioning=semiconductors", "positioning"), ("district_code=330590", "district_code"),
                         ("type=mall", "type"), ("min_vacancy=-1", "min_vacancy")):
        problem = expect_problem(await registry_client.get(f"/v1/platforms/map?{query}", headers=ADMIN), 422)
        assert problem["errors"][0]["field"] == field
    assert (await registry_client.get("/v1/platforms/map")).status_code == 401


async def test_list_filters_and_pages_in_a_stable_order(registry_client: httpx.AsyncClient) -> None:
    incubator, park, space = await _three_platforms(registry_client)
    everything = (await registry_client.get("/v1/platforms", headers=ADMIN)).json()["items"]
    assert [p["name"] for p in everything] == sorted(p["name"] for p in (incubator, park, space))

    seen, cursor = [], None
    while True:
        query = "/v1/platforms?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = (await registry_client.get(query, headers=ADMIN)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [p["id"] for p in everything]
    newest = (await registry_client.get("/v1/platforms?sort=-created_at&limit=2", headers=ADMIN)).json()
    older = (await registry_client.get(f"/v1/platforms?sort=-created_at&limit=2&cursor={newest['next_cursor']}",
                                       headers=ADMIN)).json()
    assert [p["id"] for p in newest["items"] + older["items"]] == [space["id"], park["id"], incubator["id"]]

    full = (await registry_client.get("/v1/platforms?has_vacancy=false", headers=ADMIN)).json()["items"]
    assert [p["id"] for p in full] == [park["id"]] and full[0]["occupied"] == 1
    geo = (await registry_client.get("/v1/platforms?positioning=beidou_geoinfo&type=maker_space", headers=ADMIN)).json()
    assert [p["id"] for p in geo["items"]] == [space["id"]]
    expect_problem(await registry_client.get("/v1/platforms?cursor=bm90LWEtbGlzdA", headers=ADMIN), 422)


async def test_concurrent_entries_never_overfill_a_platform(registry_client: httpx.AsyncClient) -> None:
    platform = await _platform(registry_client, capacity=2)
    firms = [await create_enterprise(registry_client, 40 + n) for n in range(5)]
    responses = await asyncio.gather(*(_enter(registry_client, platform["id"], f["id"]) for f in firms))
    assert sorted(r.status_code for r in responses) == [201, 201, 409, 409, 409], [r.text for r in responses]
    read = (await registry_client.get(f"/v1/platforms/{platform['id']}", headers=ADMIN)).json()
    assert (read["occupied"], read["vacancy"], read["version"]) == (2, 0, 3)
    assert await count_rows(database_url(registry_client), "platform_tenancies") == 2
    assert await count_rows(database_url(registry_client), "enterprises", "WHERE platform_id IS NOT NULL") == 2
    assert sorted(e["occupied"] for e in await outbox_payloads(database_url(registry_client), PLATFORM_UPDATED)) == [1, 2]
