"""IP holdings (知识产权), honours and qualifications (荣誉资质) and compliance declarations through the registry API,
on PostgreSQL and on SQLite."""

from __future__ import annotations

import httpx

from shared.auth import Role
from tests.registry.figures_support import COMPLIANT, OFFICER, database_url, register
from tests.support import count_rows, token

INVENTION = {"kind": "invention_patent", "reference": "202110182616.5", "acquisition": "self_developed",
             "related_to_main_product": True, "granted_on": "2022-05-01", "title": "一种视觉检测方法"}


async def test_ip_holding_lifecycle(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 11)
    base = f"/v1/enterprises/{firm}/ip-holdings"
    created = await registry_client.post(base, json=INVENTION, headers=OFFICER)
    assert created.status_code == 201, created.text
    holding = created.json()
    # Stored as the 专利号 (ZL + application number), classed Ⅰ类 by kind (REFERENCE §1.1).
    assert holding["reference"] == "ZL202110182616.5" and holding["ip_class"] == "I"
    assert created.headers["location"] == f"{base}/{holding['id']}" and created.headers["etag"] == '"1"'

    software = await registry_client.post(base, json={"kind": "software_copyright", "reference": "2021SR0123456"},
                                          headers=OFFICER)
    assert software.status_code == 201 and software.json()["ip_class"] == "II"
    page = (await registry_client.get(f"{base}?limit=1", headers=OFFICER)).json()
    assert [h["reference"] for h in page["items"]] == ["2021SR0123456"]
    rest = (await registry_client.get(f"{base}?limit=1&cursor={page['next_cursor']}", headers=OFFICER)).json()
    assert [h["reference"] for h in rest["items"]] == ["ZL202110182616.5"] and rest["next_cursor"] is None

    path = f"{base}/{holding['id']}"
    acquired = {**INVENTION, "acquisition": "transferred_in", "acquired_on": "2023-01-10"}
    assert (await registry_client.put(path, json=acquired, headers=OFFICER)).status_code == 428
    assert (await registry_client.put(path, json=acquired, headers={**OFFICER, "If-Match": '"9"'})).status_code == 412
    updated = await registry_client.put(path, json=acquired, headers={**OFFICER, "If-Match": '"1"'})
    assert updated.status_code == 200 and updated.json()["acquisition"] == "transferred_in"
    assert updated.json()["version"] == 2
    trail = (await registry_client.get(f"/v1/enterprises/{firm}/audit", headers=OFFICER)).json()["items"]
    (correction,) = [e for e in trail if e["action"] == "ip_holding.update"]
    # Only what changed is recorded: the unchanged grant date and reference are not.
    assert set(correction["changes"]) == {"ip_holding_id", "acquisition", "acquired_on"}, correction["changes"]

    assert (await registry_client.delete(path, headers=OFFICER)).status_code == 204
    assert (await registry_client.get(path, headers=OFFICER)).status_code == 404
    url = database_url(registry_client)
    assert await count_rows(url, "audit_log", "WHERE entity_type = 'ip_holding' AND entity_id = :e", e=firm) == 4


INVALID_IP = [
    ({"reference": "202110182616.4"}, "reference", "check character should be 5"),  # REFERENCE §5.1
    ({"kind": "utility_model"}, "reference", "does not match kind utility_model"),  # type digit 1 is an invention
    ({"granted_on": "2099-01-01"}, "granted_on", "in the future"),
    ({"rights_holder_rank": 0}, "rights_holder_rank", "greater than or equal to 1"),
]


async def test_invalid_ip_holding_is_refused_and_writes_nothing(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 12)
    for change, field, reason in INVALID_IP:
        response = await registry_client.post(f"/v1/enterprises/{firm}/ip-holdings", json={**INVENTION, **change},
                                              headers=OFFICER)
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["field"] == field and reason in error["reason"], (change, error)
        assert await count_rows(database_url(registry_client), "ip_holdings") == 0


async def test_a_reference_recorded_twice_is_a_conflict_pointing_to_the_first(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 13)
    base = f"/v1/enterprises/{firm}/ip-holdings"
    first = await registry_client.post(base, json=INVENTION, headers=OFFICER)
    # The same patent written as a 专利号 is the same holding.
    again = await registry_client.post(base, json={**INVENTION, "reference": "ZL202110182616.5"}, headers=OFFICER)
    assert again.status_code == 409
    assert again.json()["existing"] == f"{base}/{first.json()['id']}"
    assert await count_rows(database_url(registry_client), "ip_holdings") == 1


async def test_honours_of_each_kind_and_the_hnte_number_warning(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 14)
    base = f"/v1/enterprises/{firm}/honours"
    bodies = [
        {"kind": "certification", "certification_kind": "hnte", "number": "GR202333001044",
         "valid_from": "2023-12-01", "valid_until": "2026-11-30"},
        {"kind": "rd_institution", "name": "浙江省企业研究院", "level": "provincial_ministerial", "recognised": True,
         "valid_from": "2022-01-01"},
        {"kind": "science_award", "name": "浙江省科学技术进步奖二等奖", "level": "provincial_ministerial", "year": 2023,
         "category": "science_technology_progress", "rank": 2},
        {"kind": "standard", "number": "GB/T 12345-2024", "level": "national", "role": "lead", "year": 2024},
        {"kind": "maker_china", "year": 2024, "national_top": 500},
        {"kind": "quality_certification", "name": "ISO 9001", "valid_from": "2021-06-01", "valid_until": "2027-05-31"},
        {"kind": "own_brand", "name": "湖州牌"},
        {"kind": "digital_ladder", "stage": "smart_factory", "year": 2024},
        {"kind": "development_score", "year": 2025, "score": "62.5", "evidence": "zjtx.miit.gov.cn"},
    ]
    for body in bodies:
        response = await registry_client.post(base, json=body, headers=OFFICER)
        assert response.status_code == 201, (body, response.text)
        assert response.json()["warnings"] == []
    unusual = await registry_client.post(base, json={**bodies[0], "number": "浙高企2023-001"}, headers=OFFICER)
    assert unusual.status_code == 201  # REFERENCE §3 marks the GR format [U]: a warning, never a refusal
    assert unusual.json()["warnings"][0].startswith("hnte_certificate_number_unusual")

    awards = (await registry_client.get(f"{base}?kind=science_award", headers=OFFICER)).json()["items"]
    assert [a["rank"] for a in awards] == [2]
    assert len((await registry_client.get(base, headers=OFFICER)).json()["items"]) == len(bodies) + 1

    # One imported development score per year: a second one for 2025 is a conflict.
    twice = await registry_client.post(base, json={**bodies[-1], "score": "70"}, headers=OFFICER)
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "year"


INVALID_HONOURS = [
    ({"kind": "science_award", "name": "奖"}, ["level", "year"]),
    ({"kind": "own_brand", "name": "牌", "rank": 1}, ["rank"]),
    ({"kind": "rd_institution", "name": "中心", "level": "galactic"}, ["level"]),
    ({"kind": "certification", "certification_kind": "srdi_sme", "number": "1", "valid_from": "2024-01-01"},
     ["certification_kind"]),
    ({"kind": "quality_certification", "valid_from": "2024-01-01", "valid_until": "2023-01-01"}, ["valid_until"]),
    ({"kind": "development_score", "year": 2025, "score": "101"}, ["score"]),
]


async def test_invalid_honours_name_every_field_at_fault(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 15)
    for body, fields in INVALID_HONOURS:
        response = await registry_client.post(f"/v1/enterprises/{firm}/honours", json=body, headers=OFFICER)
        assert response.status_code == 422, response.text
        assert sorted(e["field"] for e in response.json()["errors"]) == fields, body
        assert await count_rows(database_url(registry_client), "honours") == 0


async def test_honour_correction_and_removal(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 16)
    created = await registry_client.post(f"/v1/enterprises/{firm}/honours", json={
        "kind": "maker_china", "year": 2024, "national_top": 500}, headers=OFFICER)
    path = f"/v1/enterprises/{firm}/honours/{created.json()['id']}"
    better = {"kind": "maker_china", "year": 2024, "national_top": 50}
    assert (await registry_client.put(path, json=better, headers=OFFICER)).status_code == 428
    updated = await registry_client.put(path, json=better, headers={**OFFICER, "If-Match": '"1"'})
    assert updated.status_code == 200 and updated.json()["national_top"] == 50
    assert (await registry_client.delete(path, headers={**OFFICER, "If-Match": '"1"'})).status_code == 412
    assert (await registry_client.delete(path, headers={**OFFICER, "If-Match": '"2"'})).status_code == 204
    assert await count_rows(database_url(registry_client), "honours") == 0


async def test_declarations_are_made_then_corrected_with_the_etag(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 17)
    path = f"/v1/enterprises/{firm}/declarations"
    assert (await registry_client.get(path, headers=OFFICER)).status_code == 404
    made = await registry_client.put(path, json={**COMPLIANT, "niche_market_since": "2016-01-01"}, headers=OFFICER)
    assert made.status_code == 201 and made.json()["incidents"] == []
    incident = {"kind": "quality", "occurred_on": "2024-03-01", "description": "批次质量事故"}
    corrected = {**COMPLIANT, "incidents": [incident]}
    assert (await registry_client.put(path, json=corrected, headers=OFFICER)).status_code == 428
    ok = await registry_client.put(path, json=corrected, headers={**OFFICER, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["incidents"] == [incident] and ok.json()["niche_market_since"] is None
    wrong = await registry_client.put(path, json={"incidents": [{"kind": "alien", "occurred_on": "2024-03-01"}]},
                                      headers={**OFFICER, "If-Match": '"2"'})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "incidents.0.kind"


async def test_holdings_roles(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 18)
    base = f"/v1/enterprises/{firm}"
    for role in (Role.REVIEWER, Role.SERVICE, Role.PARK_OPERATOR):
        assert (await registry_client.post(f"{base}/ip-holdings", json=INVENTION, headers=token(role))).status_code == 403
        assert (await registry_client.post(f"{base}/honours", json={"kind": "own_brand", "name": "牌"},
                                           headers=token(role))).status_code == 403
        assert (await registry_client.put(f"{base}/declarations", json=COMPLIANT,
                                          headers=token(role))).status_code == 403
    assert (await registry_client.get(f"{base}/ip-holdings", headers=token(Role.SERVICE))).status_code == 200
    assert (await registry_client.get(f"{base}/honours")).status_code == 401
    url = database_url(registry_client)
    assert await count_rows(url, "ip_holdings") + await count_rows(url, "honours") == 0
