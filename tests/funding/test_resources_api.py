"""The innovation-resource catalogue (创新要素供给池) through the funding API, on PostgreSQL and SQLite: listing by a
provider with its calendar, reading and filtering the catalogue, edits with If-Match, withdrawal, the event each
listing emits, and the refusals that name the field."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.funding.resources_support import (
    ADMIN,
    FIRM,
    FIRM_USCC,
    INSTITUTE,
    INSTITUTE_ID,
    MONDAY,
    OFFICER,
    OTHER_INSTITUTE,
    OTHER_OFFICER,
    at,
    book,
    create_resource,
    resource_body,
)
from tests.registry.pools_support import expect_problem, outbox_payloads
from tests.support import count_rows, token

LISTED = "seedbed.funding.resource.listed.v1"
WITHDRAWN = "seedbed.funding.resource.withdrawn.v1"


def _url(client: httpx.AsyncClient) -> str:
    return client.database_url  # type: ignore[attr-defined,no-any-return]


async def test_an_institute_lists_a_resource_with_its_weekly_calendar(funding_client: httpx.AsyncClient) -> None:
    resource = await create_resource(funding_client)
    assert resource["status"] == "listed" and resource["version"] == 1
    assert resource["provider"] == {"name": "浙江大学湖州研究院", "provider_class": "provincial_carrier",
                                    "institute_id": INSTITUTE_ID, "platform_id": None}
    # Four weeks of weekdays, two windows a day (the lunch gap keeps them apart).
    assert len(resource["availability"]) == 4 * 5 * 2
    first = resource["availability"][0]
    assert first == {"start": f"{MONDAY.isoformat()}T00:30:00Z", "end": f"{MONDAY.isoformat()}T04:00:00Z"}
    assert resource["opening_hours"]["first_day"] == MONDAY.isoformat()
    events = await outbox_payloads(_url(funding_client), LISTED)
    assert [e["resource_id"] for e in events] == [resource["id"]]
    assert events[0]["unit_price_fen"] == 60_000 and events[0]["provider_name"] == "浙江大学湖州研究院"
    assert await count_rows(_url(funding_client), "audit_log", "WHERE action = 'resource.list'") == 1


async def test_every_role_reads_the_catalogue_filtered_by_kind_district_and_provider(
        funding_client: httpx.AsyncClient) -> None:
    sem = await create_resource(funding_client)
    compute = await create_resource(
        funding_client, headers=OFFICER, kind="compute", name="GPU 算力（A800 单卡）",
        provider={"name": "湖州市智算中心", "provider_class": "compute_centre"}, district_code="330502",
        unit="hour", unit_price_fen=1_200)
    testing = await create_resource(
        funding_client, headers=ADMIN, kind="testing_service", name="纺织品色牢度检测",
        provider={"name": "湖州市检验检测中心", "provider_class": "testing_body"}, district_code="330503",
        unit="item", unit_price_fen=15_000)
    listing = await funding_client.get("/v1/resources", headers=FIRM)
    assert listing.status_code == 200
    assert [r["id"] for r in listing.json()["items"]] == [testing["id"], compute["id"], sem["id"]]  # newest first
    for query, expected in (({"kind": "compute"}, [compute]), ({"district_code": "330503"}, [testing]),
                            ({"provider": "浙江大学湖州研究院"}, [sem]), ({"kind": "data_set"}, [])):
        found = await funding_client.get("/v1/resources", params=query, headers=token(Role.REVIEWER))
        assert [r["id"] for r in found.json()["items"]] == [r["id"] for r in expected], query
    first = await funding_client.get("/v1/resources", params={"limit": 2}, headers=FIRM)
    second = await funding_client.get("/v1/resources", params={"limit": 2, "cursor": first.json()["next_cursor"]},
                                      headers=FIRM)
    assert [r["id"] for r in first.json()["items"] + second.json()["items"]] == [testing["id"], compute["id"], sem["id"]]
    assert second.json()["next_cursor"] is None
    one = await funding_client.get(f"/v1/resources/{sem['id']}", headers=FIRM)
    assert one.status_code == 200 and one.headers["ETag"] == '"1"'


async def test_a_listing_is_edited_with_if_match_by_its_owner_only(funding_client: httpx.AsyncClient) -> None:
    resource = await create_resource(funding_client)
    path = f"/v1/resources/{resource['id']}"
    expect_problem(await funding_client.patch(path, json={"unit_price_fen": 50_000}, headers=INSTITUTE), 428)
    expect_problem(await funding_client.patch(path, json={"unit_price_fen": 50_000},
                                              headers={**INSTITUTE, "If-Match": '"7"'}), 412)
    refused = expect_problem(await funding_client.patch(path, json={"unit_price_fen": 1},
                                                        headers={**OTHER_INSTITUTE, "If-Match": '"1"'}), 403)
    assert refused["errors"][0]["field"] == "owner_institute_id"
    expect_problem(await funding_client.patch(path, json={"unit_price_fen": 1},
                                              headers={**OTHER_OFFICER, "If-Match": '"1"'}), 403)
    expect_problem(await funding_client.patch(path, json={"unit_price_fen": 1}, headers={**FIRM, "If-Match": '"1"'}),
                   403)
    changed = await funding_client.patch(path, json={"unit_price_fen": 50_000, "terms": "周末不开放"},
                                         headers={**INSTITUTE, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["unit_price_fen"] == 50_000 and changed.json()["version"] == 2
    assert changed.headers["ETag"] == '"2"'
    # An officer of the district manages it too.
    by_officer = await funding_client.patch(path, json={"location": "湖州市吴兴区西塞山路819号B座"},
                                            headers={**OFFICER, "If-Match": '"2"'})
    assert by_officer.status_code == 200 and by_officer.json()["version"] == 3


async def test_a_new_calendar_may_not_strand_a_live_booking(funding_client: httpx.AsyncClient) -> None:
    resource = await create_resource(funding_client)
    booked = await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 11))
    assert booked.status_code == 201, booked.text
    afternoons = {"weekly": {"hours": [{"weekday": d, "opens": "13:30", "closes": "17:30"} for d in range(5)],
                             "first_day": MONDAY.isoformat(), "last_day": (MONDAY + timedelta(days=27)).isoformat()}}
    problem = expect_problem(await funding_client.patch(f"/v1/resources/{resource['id']}",
                                                        json={"availability": afternoons},
                                                        headers={**INSTITUTE, "If-Match": '"1"'}), 409)
    assert problem["bookings"] == [booked.json()["id"]] and problem["errors"][0]["field"] == "availability"
    again = await funding_client.get(f"/v1/resources/{resource['id']}", headers=FIRM)
    assert again.json()["version"] == 1 and len(again.json()["availability"]) == 40  # nothing half written


async def test_a_withdrawn_resource_takes_no_booking_and_is_hidden_from_firms(funding_client: httpx.AsyncClient) -> None:
    resource = await create_resource(funding_client)
    path = f"/v1/resources/{resource['id']}"
    withdrawn = await funding_client.post(f"{path}/withdrawal", json={"reason": "设备年度检修"},
                                          headers={**INSTITUTE, "If-Match": '"1"'})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["withdrawal_reason"] == "设备年度检修"
    expect_problem(await funding_client.get(path, headers=FIRM), 404)
    assert (await funding_client.get(path, headers=INSTITUTE)).status_code == 200
    assert (await funding_client.get("/v1/resources", headers=FIRM)).json()["items"] == []
    listed = await funding_client.get("/v1/resources", params={"status": "withdrawn"}, headers=INSTITUTE)
    assert [r["id"] for r in listed.json()["items"]] == [resource["id"]]
    refused = expect_problem(await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10),
                                        headers=token(Role.ADMIN), enterprise_uscc=FIRM_USCC), 409)
    assert refused["errors"][0]["field"] == "resource_id"
    expect_problem(await funding_client.post(f"{path}/withdrawal", json={"reason": "再次"},
                                             headers={**INSTITUTE, "If-Match": '"2"'}), 409)
    events = await outbox_payloads(_url(funding_client), WITHDRAWN)
    assert [(e["resource_id"], e["reason"]) for e in events] == [(resource["id"], "设备年度检修")]


@pytest.mark.parametrize(("change", "field"), [
    ({"unit_price_fen": 600.5}, "unit_price_fen"),
    ({"unit_price_fen": "600.00"}, "unit_price_fen"),
    ({"unit_price_fen": 600.0}, "unit_price_fen"),
    ({"unit_price_fen": -1}, "unit_price_fen"),
    ({"kind": "spaceship"}, "kind"),
    ({"district_code": "330590"}, "district_code"),
    ({"availability": {"windows": [{"start": "2026-12-07T09:00:00", "end": "2026-12-07T10:00:00+08:00"}]}},
     "availability.windows.0.start"),
    ({"availability": {"windows": [{"start": "2026-12-07T10:00:00+08:00", "end": "2026-12-07T09:00:00+08:00"}]}},
     "availability.windows.0.end"),
    ({"availability": {"windows": []}}, "availability"),
    ({"availability": {"weekly": {"hours": [{"weekday": 0, "opens": "12:00", "closes": "08:00"}],
                                  "first_day": "2026-12-07", "last_day": "2026-12-31"}}}, "availability.weekly.hours.0.closes"),
    ({"availability": {"weekly": {"hours": [{"weekday": 7, "opens": "08:00", "closes": "12:00"}],
                                  "first_day": "2026-12-07", "last_day": "2026-12-31"}}}, "availability.weekly.hours.0.weekday"),
    ({"availability": {"weekly": {"hours": [{"weekday": 0, "opens": "08:00", "closes": "12:00"}],
                                  "first_day": "2026-01-01", "last_day": "2027-12-31"}}}, "availability.weekly.last_day"),
])
async def test_bad_listings_are_refused_naming_the_field_and_nothing_is_written(
        funding_client: httpx.AsyncClient, change: dict[str, Any], field: str) -> None:
    problem = expect_problem(await funding_client.post("/v1/resources", json=resource_body(**change),
                                                       headers=INSTITUTE), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count_rows(_url(funding_client), "innovation_resources") == 0


async def test_owners_list_only_as_themselves_or_within_their_districts(funding_client: httpx.AsyncClient) -> None:
    as_other = resource_body(provider={"name": "湖州师范学院", "provider_class": "provincial_carrier",
                                       "institute_id": INSTITUTE_ID})
    expect_problem(await funding_client.post("/v1/resources", json=as_other, headers=OTHER_INSTITUTE), 403)
    expect_problem(await funding_client.post("/v1/resources", json=resource_body(), headers=OTHER_OFFICER), 403)
    expect_problem(await funding_client.post("/v1/resources", json=resource_body(), headers=FIRM), 403)
    operator = token(Role.PARK_OPERATOR, platform_ids=["0b5d3f0e-8d0c-4a57-9a39-1f0f3c4b2a11"])
    no_platform = resource_body(provider={"name": "南太湖中试基地", "provider_class": "local_carrier"})
    expect_problem(await funding_client.post("/v1/resources", json=no_platform, headers=operator), 422)
    # A park operator naming an institute as the owner is refused as an institute naming another one is.
    institutes = expect_problem(await funding_client.post("/v1/resources", json=resource_body(), headers=operator), 403)
    assert institutes["errors"][0]["field"] == "provider.institute_id"
    on_platform = resource_body(provider={"name": "南太湖中试基地", "provider_class": "local_carrier",
                                          "platform_id": "0b5d3f0e-8d0c-4a57-9a39-1f0f3c4b2a11"})
    assert (await funding_client.post("/v1/resources", json=on_platform, headers=operator)).status_code == 201
    assert await count_rows(_url(funding_client), "innovation_resources") == 1


async def test_concurrent_edits_with_one_if_match_leave_one_winner(funding_client: httpx.AsyncClient) -> None:
    if funding_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    resource = await create_resource(funding_client)
    answers = await asyncio.gather(*(
        funding_client.patch(f"/v1/resources/{resource['id']}", json={"unit_price_fen": 50_000 + i},
                             headers={**INSTITUTE, "If-Match": '"1"'}) for i in range(10)))
    assert sorted(a.status_code for a in answers) == [200] + [412] * 9, [a.text for a in answers]
    assert await count_rows(_url(funding_client), "audit_log", "WHERE action = 'resource.update'") == 1

