"""Registering and reading enterprises through the registry API, on PostgreSQL and on SQLite."""

from __future__ import annotations

import httpx

from shared.auth import Role
from tests.support import count_rows, make_uscc, token

OFFICER = token(Role.OFFICER, districts=["330502"])
VALID = {"name": "湖州示例智能装备有限公司", "district_code": "330502", "industry_code": "C3981",
         "established_on": "2019-05-20", "main_products": "工业视觉检测设备"}


async def test_register_writes_the_record_its_event_and_its_audit_entry(registry_client: httpx.AsyncClient) -> None:
    uscc = make_uscc(1)
    response = await registry_client.post("/v1/enterprises", json={"uscc": uscc, **VALID}, headers=OFFICER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["uscc"] == uscc and body["name"] == VALID["name"] and body["version"] == 1
    assert response.headers["location"] == f"/v1/enterprises/{body['id']}"
    url = registry_client.database_url  # type: ignore[attr-defined]
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t="seedbed.registry.enterprise.registered.v1") == 1
    assert await count_rows(url, "audit_log", "WHERE entity_id = :id", id=body["id"]) == 1

    read = await registry_client.get(f"/v1/enterprises/{body['id']}", headers=OFFICER)
    assert read.status_code == 200
    assert read.json()["established_on"] == "2019-05-20"
    assert read.headers["etag"] == '"1"'


async def test_invalid_uscc_is_refused_with_the_field_and_writes_nothing(registry_client: httpx.AsyncClient) -> None:
    # REFERENCE §4: 914403001922038217 has a wrong check character; it should be 6.
    response = await registry_client.post("/v1/enterprises", json={"uscc": "914403001922038217", **VALID}, headers=OFFICER)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["uscc"]
    assert "should be 6" in problem["errors"][0]["reason"]
    url = registry_client.database_url  # type: ignore[attr-defined]
    assert await count_rows(url, "enterprises") == 0
    assert await count_rows(url, "outbox") == 0


async def test_unknown_district_is_refused(registry_client: httpx.AsyncClient) -> None:
    response = await registry_client.post(
        "/v1/enterprises", json={"uscc": make_uscc(2), **VALID, "district_code": "330590"}, headers=OFFICER
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "district_code"


async def test_duplicate_uscc_is_a_conflict_pointing_to_the_existing_record(registry_client: httpx.AsyncClient) -> None:
    uscc = make_uscc(3)
    first = await registry_client.post("/v1/enterprises", json={"uscc": uscc, **VALID}, headers=OFFICER)
    again = await registry_client.post("/v1/enterprises", json={"uscc": uscc, **VALID, "name": "另一家"}, headers=OFFICER)
    assert again.status_code == 409
    assert again.json()["existing"] == f"/v1/enterprises/{first.json()['id']}"
    assert await count_rows(registry_client.database_url, "outbox") == 1  # type: ignore[attr-defined]


async def test_no_token_is_401_and_a_role_not_admitted_is_403(registry_client: httpx.AsyncClient) -> None:
    body = {"uscc": make_uscc(4), **VALID}
    anonymous = await registry_client.post("/v1/enterprises", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert anonymous.headers["www-authenticate"] == "Bearer"
    forged = await registry_client.post("/v1/enterprises", json=body, headers={"Authorization": "Bearer not-a-jwt"})
    assert forged.status_code == 401
    reviewer = await registry_client.post("/v1/enterprises", json=body, headers=token(Role.REVIEWER))
    assert reviewer.status_code == 403
    institute = await registry_client.get(f"/v1/enterprises/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=token(Role.INSTITUTE))
    assert institute.status_code == 403
    assert await count_rows(registry_client.database_url, "enterprises") == 0  # type: ignore[attr-defined]


async def test_scopes_officer_district_and_enterprise_own_record(registry_client: httpx.AsyncClient) -> None:
    elsewhere = token(Role.OFFICER, districts=["330521"])
    refused = await registry_client.post("/v1/enterprises", json={"uscc": make_uscc(5), **VALID}, headers=elsewhere)
    assert refused.status_code == 403

    own = make_uscc(6)
    other_firm = await registry_client.post(
        "/v1/enterprises", json={"uscc": make_uscc(7), **VALID}, headers=token(Role.ENTERPRISE, uscc=own)
    )
    assert other_firm.status_code == 403
    created = await registry_client.post("/v1/enterprises", json={"uscc": own, **VALID}, headers=token(Role.ENTERPRISE, uscc=own))
    assert created.status_code == 201
    enterprise_id = created.json()["id"]
    # Another firm cannot even learn the record exists; an officer of another district neither.
    assert (await registry_client.get(f"/v1/enterprises/{enterprise_id}", headers=token(Role.ENTERPRISE, uscc=make_uscc(8)))).status_code == 404
    assert (await registry_client.get(f"/v1/enterprises/{enterprise_id}", headers=elsewhere)).status_code == 404
    assert (await registry_client.get(f"/v1/enterprises/{enterprise_id}", headers=OFFICER)).status_code == 200


async def test_operational_endpoints(registry_client: httpx.AsyncClient) -> None:
    assert (await registry_client.get("/healthz")).json() == {"status": "ok"}
    metrics = await registry_client.get("/metrics")
    assert metrics.status_code == 200 and "http_requests_total" in metrics.text
    assert (await registry_client.get("/healthz", headers={"X-Request-ID": "abc-123"})).headers["x-request-id"] == "abc-123"


FULL = {**VALID, "short_name": "示例智装", "legal_representative": "张伟", "contact_name": "李娜",
        "contact_phone": "13857212345", "contact_email": "lina@example.com", "functional_zone": "nantaihu",
        "address": "湖州市吴兴区示例路1号", "longitude": 120.09, "latitude": 30.89, "sector": "advanced_manufacturing",
        "cluster": "high_end_equipment", "product_tags": ["机器视觉", "检测", "机器视觉"], "technical_capabilities": "深度学习缺陷检测",
        "capability_tags": ["AI"]}


async def _create(client: httpx.AsyncClient, n: int, **fields: object) -> dict:  # type: ignore[type-arg]
    response = await client.post("/v1/enterprises", json={**FULL, "uscc": make_uscc(n), **fields}, headers=token(Role.ADMIN))
    assert response.status_code == 201, response.text
    return response.json()


async def test_update_needs_the_current_etag_and_records_what_changed(registry_client: httpx.AsyncClient) -> None:
    created = await _create(registry_client, 20)
    url = f"/v1/enterprises/{created['id']}"
    missing = await registry_client.patch(url, json={"name": "新名称"}, headers=OFFICER)
    assert missing.status_code == 428
    stale = await registry_client.patch(url, json={"name": "新名称"}, headers={**OFFICER, "If-Match": '"7"'})
    assert stale.status_code == 412 and stale.json()["current_version"] == 1
    ok = await registry_client.patch(url, json={"name": "新名称", "cluster": "new_materials"}, headers={**OFFICER, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"2"' and ok.json()["name"] == "新名称" and ok.json()["cluster"] == "new_materials"
    again = await registry_client.patch(url, json={"name": "再改"}, headers={**OFFICER, "If-Match": '"1"'})
    assert again.status_code == 412  # a second writer holding the old version loses
    db = registry_client.database_url  # type: ignore[attr-defined]
    assert await count_rows(db, "outbox", "WHERE event_type = 'seedbed.registry.enterprise.updated.v1'") == 1
    trail = (await registry_client.get(f"{url}/audit", headers=OFFICER)).json()["items"]
    assert [e["action"] for e in trail] == ["enterprise.register", "enterprise.update"]
    assert trail[1]["changes"]["name"] == {"from": FULL["name"], "to": "新名称"}
    assert (await registry_client.get(f"{url}/audit", headers=token(Role.REVIEWER))).status_code == 403


async def test_update_refusals_write_nothing(registry_client: httpx.AsyncClient) -> None:
    created = await _create(registry_client, 21)
    url = f"/v1/enterprises/{created['id']}"
    match = {**OFFICER, "If-Match": '"1"'}
    assert (await registry_client.patch(url, json={"name": None}, headers=match)).status_code == 422
    assert (await registry_client.patch(url, json={"uscc": make_uscc(99)}, headers=match)).status_code == 422
    assert (await registry_client.patch(url, json={"sector": "mining"}, headers=match)).json()["errors"][0]["field"] == "sector"
    moved = await registry_client.patch(url, json={"district_code": "330521"}, headers={**token(Role.OFFICER, districts=["330502"]), "If-Match": '"1"'})
    assert moved.status_code == 403
    own = token(Role.ENTERPRISE, uscc=created["uscc"])
    renamed = await registry_client.patch(url, json={"name": "自己改名"}, headers={**own, "If-Match": '"1"'})
    assert renamed.status_code == 403 and renamed.json()["errors"][0]["field"] == "name"
    contact = await registry_client.patch(url, json={"contact_phone": "13900000000"}, headers={**own, "If-Match": '"1"'})
    assert contact.status_code == 200 and contact.json()["contact_phone"] == "13900000000"
    db = registry_client.database_url  # type: ignore[attr-defined]
    assert await count_rows(db, "outbox", "WHERE event_type = 'seedbed.registry.enterprise.updated.v1'") == 1


async def test_personal_data_is_masked_for_roles_that_do_not_need_it(registry_client: httpx.AsyncClient) -> None:
    created = await _create(registry_client, 22)
    url = f"/v1/enterprises/{created['id']}"
    officer_view = (await registry_client.get(url, headers=OFFICER)).json()
    assert officer_view["contact_phone"] == "13857212345" and officer_view["personal_data_masked"] is False
    reviewer_view = (await registry_client.get(url, headers=token(Role.REVIEWER))).json()
    assert reviewer_view["contact_phone"] == "138****2345"
    assert reviewer_view["legal_representative"] == "张*" and reviewer_view["contact_email"] == "l***@example.com"
    assert reviewer_view["personal_data_masked"] is True
    assert created["product_tags"] == ["机器视觉", "检测"]  # tags de-duplicated
    assert created["registration_division_code"] == "330502"


async def test_list_filters_searches_sorts_and_pages(registry_client: httpx.AsyncClient) -> None:
    for n in range(7):
        await _create(registry_client, 40 + n, name=f"湖州企业{n:02d}", district_code="330502" if n % 2 else "330521",
                      main_products="竹木家具" if n == 3 else "工业视觉检测设备")
    admin = token(Role.ADMIN)
    names: list[str] = []
    cursor = None
    while True:
        page = (await registry_client.get("/v1/enterprises", params={"limit": 3, "sort": "-name", **({"cursor": cursor} if cursor else {})},
                                          headers=admin)).json()
        names += [e["name"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert names == [f"湖州企业{n:02d}" for n in reversed(range(7))]
    found = (await registry_client.get("/v1/enterprises", params={"q": "竹木"}, headers=admin)).json()["items"]
    assert [e["name"] for e in found] == ["湖州企业03"]
    mine = (await registry_client.get("/v1/enterprises", headers=token(Role.OFFICER, districts=["330521"]))).json()["items"]
    assert sorted(e["name"] for e in mine) == ["湖州企业00", "湖州企业02", "湖州企业04", "湖州企业06"]
    literal = (await registry_client.get("/v1/enterprises", params={"q": "%"}, headers=admin)).json()["items"]
    assert literal == []  # a % in the search is a character, not a wildcard
    bad = await registry_client.get("/v1/enterprises", params={"cursor": "garbage!"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    assert (await registry_client.get("/v1/enterprises", params={"sort": "revenue"}, headers=admin)).status_code == 422


async def test_changing_the_industry_recomputes_the_size_class(registry_client: httpx.AsyncClient) -> None:
    created = await _create(registry_client, 60, industry_code="C3981")
    url = f"/v1/enterprises/{created['id']}"
    # 50 people and 5,000万元 of revenue (in fen): small in industry (needs 300 people for medium),
    # medium in retail (50–300 people and 500–20,000万元). REFERENCE §11.
    figures = {"employees": 50, "operating_revenue_fen": 5_000 * 10_000 * 100, "total_assets_fen": 3_000 * 10_000 * 100}
    year = created["created_at"][:4]
    put = await registry_client.put(f"{url}/figures/{int(year) - 1}", json=figures, headers=OFFICER)
    assert put.status_code == 201, put.text
    assert (await registry_client.get(url, headers=OFFICER)).json()["size_class"] == "small"
    current = (await registry_client.get(url, headers=OFFICER)).headers["etag"]
    moved = await registry_client.patch(url, json={"industry_code": "F5211"}, headers={**OFFICER, "If-Match": current})
    assert moved.status_code == 200, moved.text
    assert moved.json()["size_class"] == "medium"
