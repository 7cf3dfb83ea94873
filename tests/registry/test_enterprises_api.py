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
    park = await registry_client.get(f"/v1/enterprises/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=token(Role.PARK_OPERATOR))
    assert park.status_code == 403
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
