"""Patents through the licensing API, on PostgreSQL and on SQLite: entry with the number checked (the problem gives
the expected check character), reading in scope (listed patents to every role, unlisted to the holder only), standing
changes under If-Match, listing and delisting with their events, and the refusals that leave nothing written."""

from __future__ import annotations

import httpx

from shared.auth import Role
from tests.licensing.licensing_support import (
    ADMIN,
    FIRM,
    HOLDER,
    HZNU,
    OTHER_INSTITUTE,
    create_patent,
    field_of,
    patent_body,
)
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.support import count_rows, token

LISTED = "seedbed.licensing.patent.listed.v1"
DELISTED = "seedbed.licensing.patent.delisted.v1"


async def test_a_patent_is_entered_read_in_scope_listed_and_delisted(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await create_patent(client, application_number="ZL 2021 1 0182616.5")
    assert patent["application_number"] == "202110182616.5" and patent["patent_number"] == "ZL202110182616.5"
    assert patent["patent_type"] == "invention" and patent["institute_id"] == HZNU
    assert patent["listing"] == "unlisted" and patent["ipc_classes"] == ["C08L67/04", "C08K7/02"]
    path = f"/v1/patents/{patent['id']}"

    # Unlisted: the holder reads it; another institute and a firm do not learn it exists.
    assert (await client.get(path, headers=HOLDER)).status_code == 200
    assert (await client.get(path, headers=OTHER_INSTITUTE)).status_code == 404
    assert (await client.get(path, headers=FIRM)).status_code == 404
    assert (await client.get("/v1/patents", headers=FIRM)).json()["items"] == []

    listed = await client.post(f"{path}/listing", json={"modes": ["transfer", "licence"]},
                               headers={**HOLDER, "If-Match": f'"{patent["version"]}"'})
    assert listed.status_code == 200, listed.text
    assert listed.json()["listing"] == "listed" and listed.json()["modes_offered"] == ["transfer", "licence"]
    for headers in (FIRM, OTHER_INSTITUTE, token(Role.REVIEWER), token(Role.OFFICER, districts=["330521"])):
        assert (await client.get(path, headers=headers)).status_code == 200
    found = (await client.get("/v1/patents", params={"mode": "transfer", "ipc": "C08L"}, headers=FIRM)).json()
    assert [p["id"] for p in found["items"]] == [patent["id"]]
    assert (await client.get("/v1/patents", params={"mode": "open_licence"}, headers=FIRM)).json()["items"] == []
    [event] = await outbox_payloads(url, LISTED)
    assert event["title"] == patent["title"] and event["modes_offered"] == ["transfer", "licence"]
    assert event["holder_name"] == "湖州师范学院" and "inventors" not in event  # no personal data in events

    # Another institute may read it now, but not change it.
    other = await client.post(f"{path}/delisting", json={"reason": "测试"},
                              headers={**OTHER_INSTITUTE, "If-Match": f'"{listed.json()["version"]}"'})
    expect_problem(other, 403)
    delisted = await client.post(f"{path}/delisting", json={"reason": "已与企业达成转让意向"},
                                 headers={**HOLDER, "If-Match": f'"{listed.json()["version"]}"'})
    assert delisted.status_code == 200 and delisted.json()["listing"] == "delisted"
    [gone] = await outbox_payloads(url, DELISTED)
    assert gone["reason"] == "已与企业达成转让意向"
    assert (await client.get(path, headers=FIRM)).status_code == 404
    assert await count_rows(url, "audit_log", "WHERE entity_id = :id", id=patent["id"]) == 3


async def test_an_invalid_application_number_is_refused_with_the_expected_check_character(
        licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    problem = expect_problem(await client.post("/v1/patents", json=patent_body("2023 1 0123456.7"), headers=HOLDER),
                             422)
    assert field_of(problem) == "application_number"
    assert "should be 6" in problem["detail"] and problem["expected_check_character"] == "6"
    problem = expect_problem(await client.post("/v1/patents", json=patent_body("202340123456.0"), headers=HOLDER), 422)
    assert "type digit" in problem["detail"]
    # A utility-model number with an invention's publication.
    problem = expect_problem(await client.post("/v1/patents", json=patent_body("ZL202322865413.3"), headers=HOLDER),
                             422)
    assert "publication" in problem["detail"]
    assert await count_rows(url, "patents") == 0 and await count_rows(url, "audit_log") == 0


async def test_the_same_application_number_is_entered_once(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    await create_patent(client)
    problem = expect_problem(await client.post("/v1/patents", json=patent_body("ZL202110182616.5"),
                                               headers=ADMIN), 422)  # an admin names the institute account
    assert "institute" in problem["detail"]
    again = await client.post("/v1/patents", json=patent_body("ZL202110182616.5"), headers=HOLDER)
    assert "already entered" in expect_problem(again, 409)["detail"]


async def test_an_institute_enters_patents_only_as_itself_and_a_firm_not_at_all(
        licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    expect_problem(await client.post("/v1/patents", json=patent_body(institute_id="inst-other"), headers=HOLDER), 422)
    expect_problem(await client.post("/v1/patents", json=patent_body(), headers=FIRM), 403)
    made = await client.post("/v1/patents", json=patent_body(institute_id=HZNU), headers=ADMIN)
    assert made.status_code == 201 and made.json()["institute_id"] == HZNU


async def test_a_standing_change_delists_a_patent_that_may_no_longer_be_exploited(
        licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await create_patent(client)
    path = f"/v1/patents/{patent['id']}"
    listed = (await client.post(f"{path}/listing", json={"modes": ["licence"]},
                                headers={**HOLDER, "If-Match": f'"{patent["version"]}"'})).json()
    stale = await client.patch(path, json={"fee_status": "unpaid"}, headers={**HOLDER, "If-Match": '"1"'})
    expect_problem(stale, 412)
    expect_problem(await client.patch(path, json={"fee_status": "unpaid"}, headers=HOLDER), 428)
    lapsed = await client.patch(path, json={"legal_status": "lapsed"},
                                headers={**HOLDER, "If-Match": f'"{listed["version"]}"'})
    assert lapsed.status_code == 200, lapsed.text
    assert lapsed.json()["listing"] == "delisted" and lapsed.json()["legal_status"] == "lapsed"
    [event] = await outbox_payloads(url, DELISTED)
    assert "lapsed" in event["reason"]
    relist = await client.post(f"{path}/listing", json={"modes": ["licence"]},
                               headers={**HOLDER, "If-Match": f'"{lapsed.json()["version"]}"'})
    assert field_of(expect_problem(relist, 409)) == "legal_status"


async def test_a_co_owner_without_consent_keeps_the_patent_off_the_list(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    patent = await create_patent(client, patentees=[
        {"name": "湖州师范学院", "consented": True, "consented_on": "2026-01-10"},
        {"name": "浙江大学湖州研究院", "consented": False}])
    path = f"/v1/patents/{patent['id']}"
    refused = await client.post(f"{path}/listing", json={"modes": ["licence"]},
                                headers={**HOLDER, "If-Match": f'"{patent["version"]}"'})
    problem = expect_problem(refused, 409)
    assert field_of(problem) == "patentees" and "浙江大学湖州研究院" in problem["detail"]
    consent = await client.patch(path, json={"patentees": [
        {"name": "湖州师范学院", "consented": True, "consented_on": "2026-01-10"},
        {"name": "浙江大学湖州研究院", "consented": True, "consented_on": "2026-02-01"}]},
        headers={**HOLDER, "If-Match": f'"{patent["version"]}"'})
    assert consent.status_code == 200, consent.text
    listed = await client.post(f"{path}/listing", json={"modes": ["licence"]},
                               headers={**HOLDER, "If-Match": f'"{consent.json()["version"]}"'})
    assert listed.status_code == 200
