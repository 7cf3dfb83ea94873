"""The registry refuses what its database or the calendar cannot hold (issue 11, item 4), field by field: every
JSON body field and every parameter of every route, probed from the OpenAPI document, and every list's cursor with
real records behind it. 422 problem+json naming the field, never a 500. Platform names are unique as their
normalised form."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shared.auth import Role
from shared.db import create_engine
from shared.migrations import upgrade
from shared.types import DATE_MAX
from tests.hostile_inputs_support import (
    BEYOND_BIGINT,
    BEYOND_INTEGER,
    EDGE_CURSORS,
    FORGED_CURSORS,
    TIME_CURSORS,
    body_fields,
    body_with,
    hostile_values,
    kind_of,
    names_field,
    operations,
    parameters,
    required_query,
    resolve,
    url_of,
)
from tests.registry.pools_support import create_enterprise, expect_problem
from tests.support import PG_SERVER, ensure_database, make_uscc, sqlite_url, token

ADMIN = token(Role.ADMIN)
PLATFORM = {
    "platform_type": "incubator", "name": "湖州科技城创新孵化器", "operator_name": "湖州科创园运营管理有限公司",
    "operator_uscc": make_uscc(9001), "address": "湖州市吴兴区西山漾路 1 号", "longitude": 120.0865,
    "latitude": 30.8672, "district_code": "330502", "capacity": 3,
}
# Lists ordered by a time first: a cursor time no list issues is refused there (elsewhere it may read as a name).
TIME_ORDERED = {"/v1/enterprises", "/v1/enterprises/{enterprise_id}/evaluations",
                "/v1/enterprises/{enterprise_id}/pool-changes"}


async def _openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/openapi.json")).json()  # type: ignore[no-any-return]


async def _records(client: httpx.AsyncClient) -> dict[str, str]:
    """An enterprise with a year of figures and an audit trail, a platform and the 2026 screening: the records the
    lists are read under (path years are 2026)."""
    enterprise = await create_enterprise(client, 1)
    figures = await client.put(f"/v1/enterprises/{enterprise['id']}/figures/2024", json={"employees": 10},
                               headers=ADMIN)
    assert figures.status_code == 201, figures.text
    platform = await client.post("/v1/platforms", json=PLATFORM, headers=ADMIN)
    assert platform.status_code == 201, platform.text
    screening = await client.post("/v1/pools/screenings", json={"year": 2026, "quotas": {"330502": 1}}, headers=ADMIN)
    assert screening.status_code == 201, screening.text
    return {"enterprise_id": enterprise["id"], "platform_id": platform.json()["id"]}


# --- bodies -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("registry_client", ["postgres"], indirect=True)
async def test_every_body_field_refuses_what_its_column_or_the_calendar_cannot_hold(
    registry_client: httpx.AsyncClient,
) -> None:
    """A NUL in any text, an integer beyond BIGINT or JSON true in any number, a date near year 9999 or year 1:
    422 naming the field (the other fields of the body are simply absent and reported too)."""
    openapi = await _openapi(registry_client)
    faults, probed = [], 0
    for method, template, operation in operations(openapi):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        url = url_of(template, operation, openapi, {})
        for path, schema in body_fields(content["application/json"]["schema"], openapi):
            kind = "text" if path[-1:] == ("*",) else kind_of(resolve(schema, openapi))
            field = ".".join(path[:-1] if path[-1:] == ("*",) else path)
            for value in hostile_values(kind):
                probed += 1
                response = await registry_client.request(method, url, json=body_with(path, value), headers=ADMIN)
                if not names_field(response, field):
                    faults.append((method, template, field, repr(value), response.status_code, response.text[:200]))
    assert probed > 200  # every body of the registry, not a few
    assert faults == []


# --- parameters and cursors, with records behind them -------------------------------------------------------------

async def test_integer_parameters_beyond_their_column_never_reach_the_database(
    registry_client: httpx.AsyncClient,
) -> None:
    """With real records, so that the value is not stopped by a 404 first: within BIGINT but beyond INTEGER, at
    the edge of BIGINT, and beyond it (422 naming the parameter)."""
    openapi, ids = await _openapi(registry_client), await _records(registry_client)
    faults = []
    for method, template, operation in operations(openapi):
        if method != "GET":
            continue
        base = required_query(operation, openapi)
        for parameter in parameters(operation, "query"):
            if kind_of(resolve(parameter["schema"], openapi)) != "integer":
                continue
            for value in (BEYOND_INTEGER, BEYOND_BIGINT - 1, -BEYOND_BIGINT, BEYOND_BIGINT):
                url = url_of(template, operation, openapi, ids)
                response = await registry_client.get(url, params={**base, parameter["name"]: value}, headers=ADMIN)
                refused = names_field(response, parameter["name"])
                if response.status_code >= 500 or (value == BEYOND_BIGINT and not refused):
                    faults.append((template, parameter["name"], value, response.status_code))
        for parameter in parameters(operation, "path"):
            if kind_of(resolve(parameter["schema"], openapi)) == "integer":
                for value in (BEYOND_INTEGER, BEYOND_BIGINT):
                    url = url_of(template, operation, openapi, ids, **{parameter["name"]: value})
                    response = await registry_client.get(url, params=base, headers=ADMIN)
                    if not names_field(response, parameter["name"]):
                        faults.append((template, parameter["name"], value, response.status_code))
    remove = await registry_client.delete(f"/v1/platforms/flagships/{BEYOND_BIGINT}/{ids['platform_id']}",
                                          headers=ADMIN)
    assert names_field(remove, "year"), remove.text
    assert faults == []


async def test_every_list_refuses_a_cursor_it_did_not_issue(registry_client: httpx.AsyncClient) -> None:
    openapi, ids = await _openapi(registry_client), await _records(registry_client)
    faults, lists = [], 0
    for method, template, operation in operations(openapi):
        if method != "GET" or not any(p["name"] == "cursor" for p in parameters(operation, "query")):
            continue
        lists += 1
        sorts = [None]
        for parameter in parameters(operation, "query"):
            if parameter["name"] == "sort":
                sorts = resolve(parameter["schema"], openapi)["enum"]
        url = url_of(template, operation, openapi, ids)
        for sort in sorts:
            query = {**required_query(operation, openapi), **({"sort": sort} if sort else {})}
            assert (await registry_client.get(url, params=query, headers=ADMIN)).status_code in (200, 404), url
            time_ordered = template in TIME_ORDERED and (sort is None or "created_at" in sort)
            for label, cursor in {**FORGED_CURSORS, **TIME_CURSORS, **EDGE_CURSORS}.items():
                response = await registry_client.get(url, params={**query, "cursor": cursor}, headers=ADMIN)
                must_refuse = label in FORGED_CURSORS or (label in TIME_CURSORS and time_ordered)
                if response.status_code >= 500 or (must_refuse and not names_field(response, "cursor")):
                    faults.append((template, sort, label, response.status_code))
    assert lists >= 14
    assert faults == []


async def test_a_year_beyond_an_integer_column_in_a_cursor_is_refused(registry_client: httpx.AsyncClient) -> None:
    """The figures list is keyed by year, an INTEGER column: a cursor year within BIGINT but beyond INTEGER was not
    issued here (the audit trail's BIGINT id takes it)."""
    ids = await _records(registry_client)
    figures = await registry_client.get(f"/v1/enterprises/{ids['enterprise_id']}/figures",
                                        params={"cursor": EDGE_CURSORS["an integer beyond INTEGER"]}, headers=ADMIN)
    assert names_field(figures, "cursor"), figures.text
    audit = await registry_client.get(f"/v1/enterprises/{ids['enterprise_id']}/audit",
                                      params={"cursor": EDGE_CURSORS["an integer beyond INTEGER"]}, headers=ADMIN)
    assert audit.status_code == 200 and audit.json()["items"] == []


# --- dates --------------------------------------------------------------------------------------------------------

async def test_a_certificate_from_the_last_accepted_day_gets_its_validity(registry_client: httpx.AsyncClient) -> None:
    """Before, valid_from 9999-12-01 plus three years of validity overflowed the calendar (a 500); now dates stop at
    DATE_MAX, and the validity computed from it is recorded."""
    enterprise = await create_enterprise(registry_client, 2)
    path = f"/v1/enterprises/{enterprise['id']}/certifications"
    record = {"tier": "hnte", "certificate_no": "GR210033001044", "override_reason": "省科技厅认定"}
    refused = await registry_client.post(path, json={**record, "valid_from": "9999-12-01"}, headers=ADMIN)
    assert names_field(refused, "valid_from"), refused.text
    recorded = await registry_client.post(path, json={**record, "valid_from": DATE_MAX.isoformat()}, headers=ADMIN)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["valid_until"] == "2103-12-30"


# --- text ---------------------------------------------------------------------------------------------------------

async def test_nul_and_controls_in_text_are_refused_before_postgresql_sees_them(
    registry_client: httpx.AsyncClient,
) -> None:
    body = {"uscc": make_uscc(3), "name": "湖州\x00示例有限公司", "district_code": "330502",
            "main_products": "检测设备\x1b[31m", "product_tags": ["a\x00"]}
    problem = expect_problem(await registry_client.post("/v1/enterprises", json=body, headers=ADMIN), 422)
    assert {e["field"] for e in problem["errors"]} == {"name", "main_products", "product_tags.0"}
    assert all("control character" in e["reason"] for e in problem["errors"])
    multi_line = {**body, "name": "湖州示例有限公司", "main_products": "检测设备\n\t传感器",
                  "product_tags": ["传感", "\u200b", " "]}
    created = await registry_client.post("/v1/enterprises", json=multi_line, headers=ADMIN)
    assert created.status_code == 201, created.text
    # A tag that shows nothing is dropped like a blank one.
    assert created.json()["main_products"] == "检测设备\n\t传感器" and created.json()["product_tags"] == ["传感"]
    search = await registry_client.get("/v1/enterprises", params={"q": "湖州\x00"}, headers=ADMIN)
    assert names_field(search, "q"), search.text


# --- names --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["\u200b\u200b", "\u3164\u3164", "\u2800", "\u202e器化孵城技科州湖",
                                  "湖州\u2066科技城\u2069孵化器"])
async def test_a_platform_name_that_shows_nothing_or_reorders_itself_is_refused(
    registry_client: httpx.AsyncClient, name: str
) -> None:
    problem = expect_problem(await registry_client.post("/v1/platforms", json={**PLATFORM, "name": name},
                                                        headers=ADMIN), 422)
    assert [e["field"] for e in problem["errors"]] == ["name"]


@pytest.mark.parametrize("registry_client", ["postgres"], indirect=True)
@pytest.mark.parametrize(("registered", "again"), [
    ("湖州科技城创新孵化器", "湖州科技城创新孵化器\u200b"),
    ("湖州科技城 创新孵化器", "湖州科技城\u3000\u3000创新孵化器"),
    ("HUZHOU SEED PARK", "ＨＵＺＨＯＵ Seed  Park"),
    ("Straße Park", "STRASSE PARK"),
])
async def test_a_platform_name_is_taken_in_every_spelling(
    registry_client: httpx.AsyncClient, registered: str, again: str
) -> None:
    created = await registry_client.post("/v1/platforms", json={**PLATFORM, "name": registered}, headers=ADMIN)
    assert created.status_code == 201, created.text
    problem = expect_problem(await registry_client.post("/v1/platforms", json={**PLATFORM, "name": again},
                                                        headers=ADMIN), 409)
    assert problem["errors"][0]["field"] == "name" and problem["existing"] == f"/v1/platforms/{created.json()['id']}"


async def test_renaming_a_platform_compares_the_normalised_name(registry_client: httpx.AsyncClient) -> None:
    one = (await registry_client.post("/v1/platforms", json=PLATFORM, headers=ADMIN)).json()
    two = (await registry_client.post("/v1/platforms", json={**PLATFORM, "name": "Seed Park"}, headers=ADMIN)).json()
    taken = await registry_client.patch(f"/v1/platforms/{two['id']}", json={"name": "湖州科技城创新孵化器\u200b"},
                                        headers={**ADMIN, "If-Match": f'"{two["version"]}"'})
    assert expect_problem(taken, 409)["errors"][0]["field"] == "name"
    respelt = await registry_client.patch(f"/v1/platforms/{two['id']}", json={"name": "SEED PARK"},
                                          headers={**ADMIN, "If-Match": f'"{two["version"]}"'})
    assert respelt.status_code == 200 and respelt.json()["name"] == "SEED PARK", respelt.text
    assert one["id"] != two["id"]


@pytest.mark.parametrize("registry_client", ["postgres"], indirect=True)
async def test_racing_registrations_of_one_name_in_two_spellings_leave_one(registry_client: httpx.AsyncClient) -> None:
    """Both may pass the check before either commits: the unique key on the normalised name decides (409)."""
    for attempt in range(5):
        spellings = [f"Seed Park {attempt}", f"ＳＥＥＤ　ＰＡＲＫ　{attempt}"]
        answers = await asyncio.gather(*(registry_client.post("/v1/platforms", json={**PLATFORM, "name": name},
                                                              headers=ADMIN) for name in spellings))
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        assert next(a for a in answers if a.status_code == 409).json()["errors"][0]["field"] == "name"


_INSERT_PLATFORM = text(
    "INSERT INTO platforms (id, platform_type, name, operator_name, operator_uscc, address, longitude, latitude, "
    "district_code, positioning, capacity, services_offered, created_at, updated_at, version) VALUES (:id, "
    "'incubator', :name, 'x', :uscc, 'x', 120, 30, '330502', '[]', 1, '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)")


@asynccontextmanager
async def _registry_before_name_keys(backend: str, tmp_path: Path, names: list[str]) -> AsyncIterator[str]:
    """A registry database migrated to 0010 holding platforms of these names; its URL."""
    if backend == "postgres":
        database = f"seedbed_test_registry_name_key_{uuid.uuid4().hex[:8]}"
        await ensure_database(PG_SERVER, database)
        url = f"{PG_SERVER}/{database}"
    else:
        url = sqlite_url(tmp_path, "registry")
    engine = create_engine(url)
    try:
        await asyncio.to_thread(upgrade, "registry", url, "0010")
        async with engine.begin() as conn:
            for name in names:
                await conn.execute(_INSERT_PLATFORM, {"id": uuid.uuid4().hex if backend == "sqlite" else uuid.uuid4(),
                                                      "name": name, "uscc": make_uscc(9001)})
        yield url
    finally:
        await engine.dispose()
        if backend == "postgres":
            server = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
            async with server.connect() as conn:
                await conn.execute(text(f'DROP DATABASE "{database}"'))
            await server.dispose()


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
async def test_the_migration_keys_the_platforms_already_registered(backend: str, tmp_path: Path) -> None:
    async with _registry_before_name_keys(backend, tmp_path, ["ＳＥＥＤ Park", "湖州孵化器"]) as url:
        await asyncio.to_thread(upgrade, "registry", url, "0011")
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                keys = dict((await conn.execute(text("SELECT name, name_key FROM platforms"))).all())
        finally:
            await engine.dispose()
    assert keys == {"ＳＥＥＤ Park": "seed park", "湖州孵化器": "湖州孵化器"}


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
async def test_the_migration_names_the_platforms_that_are_one_name(backend: str, tmp_path: Path) -> None:
    async with _registry_before_name_keys(backend, tmp_path, ["Seed Park", "ＳＥＥＤ　ＰＡＲＫ"]) as url:
        with pytest.raises(RuntimeError, match="Seed Park.*ＳＥＥＤ　ＰＡＲＫ"):
            await asyncio.to_thread(upgrade, "registry", url, "0011")
