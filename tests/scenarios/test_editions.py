"""Yearly list editions (issue 12 item 3), on PostgreSQL and on SQLite: an edition is a snapshot that later changes
never reach, numbered without gaps within its list and year even when officers publish at once (PostgreSQL), with
its differences from the edition before; read and exported (XLSX parsed back, JSON) without a token."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from services.scenarios.consumers import platform_subscription
from shared.auth import Role
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent
from shared.events.registry import PlatformRegistered, PlatformUpdated
from tests.registry.pools_support import database_url, expect_problem
from tests.scenarios.support import FIRM, OFFICER, TODAY, create, moved, publish_new
from tests.support import count_rows, service_work, token

CITY = token(Role.OFFICER, city_wide=True)
ADMIN = token(Role.ADMIN)
YEAR = TODAY.year


async def publish(client: httpx.AsyncClient, kind: str = "scenarios", year: int = YEAR,
                  headers: dict[str, str] = CITY, **body: Any) -> httpx.Response:
    return await client.post(f"/v1/lists/{kind}/editions", json={"year": year, **body}, headers=headers)


async def published_edition(client: httpx.AsyncClient, kind: str = "scenarios", year: int = YEAR,
                            **body: Any) -> dict[str, Any]:
    response = await publish(client, kind, year, **body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_edition_is_a_snapshot_with_its_differences(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    first_scenario = await publish_new(client, title="印染验布场景")
    second_scenario = await publish_new(client, title="智能仓储场景", cluster="smart_logistics_equipment")
    await create(client, title="草稿不上清单")

    first = await published_edition(client, note="首批场景清单")
    assert (first["year"], first["number"], first["item_count"]) == (YEAR, 1, 2)
    assert first["title"] == f"{YEAR}年第1批湖州市产业链场景应用清单" and first["note"] == "首批场景清单"
    assert [i["title"] for i in first["items"]] == ["印染验布场景", "智能仓储场景"]
    assert first["previous"] is None and first["added"] == 2 and first["removed"] == first["changed"] == 0
    entry = first["items"][0]
    assert entry["status"] == "published" and entry["budget_min_fen"] == 50_000_000
    assert entry["capability_tags"] == ["机器视觉", "AI质检"]
    assert "contact_phone" not in entry and "13857212345" not in str(first)  # no personal data in a snapshot

    # The records change afterwards: one closes, one moves on, one is added.
    await moved(client, first_scenario, "close", OFFICER, reason="需求取消", outcome="need_lapsed")
    await moved(client, second_scenario, "start_docking", FIRM)
    third_scenario = await publish_new(client, title="竹木家具表面缺陷检测场景")

    second = await published_edition(client)
    assert second["number"] == 2 and second["previous"] == {"year": YEAR, "number": 1}
    assert [i["title"] for i in second["items"]] == ["智能仓储场景", "竹木家具表面缺陷检测场景"]
    diff = second["differences"]
    assert [i["id"] for i in diff["added"]] == [third_scenario["id"]]
    assert [i["id"] for i in diff["removed"]] == [first_scenario["id"]]
    assert diff["removed"][0]["status"] == "published"  # as the edition that had it listed it
    assert diff["changed"] == [{"id": second_scenario["id"], "title": "智能仓储场景",
                                "fields": {"status": {"from": "published", "to": "docking"}}}]
    assert (second["added"], second["removed"], second["changed"]) == (1, 1, 1)

    # The first edition is as it was published, to the byte.
    again = await client.get(f"/v1/public/lists/scenarios/editions/{YEAR}/1")
    assert again.status_code == 200 and again.json() == first
    assert [i["status"] for i in again.json()["items"]] == ["published", "published"]

    listed = (await client.get("/v1/public/lists/scenarios/editions")).json()
    assert [(e["number"], e["item_count"]) for e in listed["items"]] == [(2, 2), (1, 2)]
    assert "items" not in listed["items"][0]
    assert (await client.get("/v1/public/lists/flagship_parks/editions")).json()["items"] == []
    assert await count_rows(url, "audit_log", "WHERE action = 'list_edition.publish'") == 2

    exported = await client.get(f"/v1/public/lists/scenarios/editions/{YEAR}/2/export", params={"format": "json"})
    assert exported.headers["content-disposition"] == f'attachment; filename="scenarios-{YEAR}-2.json"'
    assert exported.json() == second


async def test_the_xlsx_export_reads_back_as_the_edition(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    kept = await publish_new(client, title="印染验布场景")
    dropped = await publish_new(client, title="新材料涂层场景", capability_tags=["涂层", "耐候性测试"])
    await published_edition(client)
    await moved(client, dropped, "withdraw", OFFICER, reason="需求调整")
    await moved(client, kept, "start_docking", FIRM)
    edition = await published_edition(client)

    response = await client.get(f"/v1/public/lists/scenarios/editions/{YEAR}/2/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["清单", "变化"]
    rows = list(book["清单"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("编号", "场景名称", "发布单位") and "预算下限（分）" in header
    assert len(rows) == 1 + edition["item_count"] == 2
    row = dict(zip(header, rows[1], strict=True))
    assert (row["编号"], row["场景名称"], row["状态"]) == (kept["id"], "印染验布场景", "docking")
    assert row["预算下限（分）"] == 50_000_000 and row["所需能力"] == "机器视觉、AI质检"
    changes = list(book["变化"].iter_rows(values_only=True))
    assert changes[0] == ("变化", "编号", "名称", "字段", "原值", "新值")
    assert set(changes[1:]) == {("移出", dropped["id"], "新材料涂层场景", None, None, None),
                                ("变更", kept["id"], "印染验布场景", "status", "published", "docking")}


async def test_who_publishes_and_what_is_refused(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    # The lists are the city's: a district officer and a firm are refused, an admin and a city-wide officer not.
    expect_problem(await publish(client, headers=OFFICER), 403)
    expect_problem(await publish(client, headers=FIRM), 403)
    expect_problem(await publish(client, headers={}), 401)
    assert (await publish(client, headers=ADMIN)).status_code == 201
    # A past year's list is not published after the fact; next year's may be prepared.
    assert expect_problem(await publish(client, year=YEAR - 1), 422)["errors"][0]["field"] == "year"
    assert (await publish(client, year=YEAR + 1)).status_code == 201
    unknown = expect_problem(await client.post("/v1/lists/patents/editions", json={"year": YEAR}, headers=CITY), 422)
    assert unknown["errors"][0]["field"] == "kind"
    bad_note = expect_problem(await publish(client, note="a\x00b"), 422)
    assert bad_note["errors"][0]["field"] == "note"
    expect_problem(await client.get(f"/v1/public/lists/scenarios/editions/{YEAR}/9"), 404)
    assert expect_problem(await client.get(f"/v1/public/lists/scenarios/editions/{YEAR}/0"),
                          422)["errors"][0]["field"] == "number"
    assert expect_problem(await client.get(f"/v1/public/lists/scenarios/editions/{YEAR}/1/export",
                                           params={"format": "pdf"}), 422)["errors"][0]["field"] == "format"
    assert await count_rows(database_url(client), "list_editions") == 2


async def test_next_years_first_edition_differs_from_this_years_last(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    scenario = await publish_new(client)
    await published_edition(client)
    await moved(client, scenario, "start_docking", FIRM)
    following = await published_edition(client, year=YEAR + 1)
    assert (following["year"], following["number"]) == (YEAR + 1, 1)
    assert following["previous"] == {"year": YEAR, "number": 1} and following["changed"] == 1


def _platform_event(platform_id: uuid.UUID, version: int, flagship_years: list[int], name: str = "湖州科技城孵化器",
                    district: str = "330502") -> CloudEvent:
    state = dict(platform_id=platform_id, name=name, platform_type="incubator", district_code=district,
                 operator_name=f"{name}运营有限公司", flagship_years=flagship_years, version=version)
    payload = PlatformRegistered(**state) if version == 1 else PlatformUpdated(**state, changed_fields=["flagship"])
    return CloudEvent.of(payload, service="registry", subject=str(platform_id))


async def test_the_flagship_park_list_comes_from_the_registrys_platform_events(
    scenarios_client: httpx.AsyncClient,
) -> None:
    client = scenarios_client
    park, other, never = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    subscription = platform_subscription()
    listed = _platform_event(park, 2, [YEAR])
    events = [
        _platform_event(park, 1, []), listed,
        _platform_event(park, 1, []),  # an older event replayed after a newer one undoes nothing
        listed,  # nor does a redelivery
        _platform_event(other, 1, [YEAR - 1, YEAR], name="南浔智能制造产业园", district="330503"),
        _platform_event(never, 1, [YEAR - 1], name="德清地理信息小镇", district="330521"),
    ]
    engine = create_engine(database_url(client))
    work = service_work("scenarios", session_factory(engine))
    try:
        for event in events:
            async with work(None, caused_by=event, audited=subscription.audited) as uow:
                await subscription.handlers[event.type](uow, event)
    finally:
        await engine.dispose()
    edition = await published_edition(client, "flagship_parks")
    assert [(i["name"], i["district_code"]) for i in edition["items"]] == [("湖州科技城孵化器", "330502"),
                                                                        ("南浔智能制造产业园", "330503")]
    assert edition["title"] == f"{YEAR}年第1批湖州市播种平台旗舰园区名单"
    assert edition["items"][0] == {"id": str(park), "name": "湖州科技城孵化器", "platform_type": "incubator",
                                   "district_code": "330502", "functional_zone": None,
                                   "operator_name": "湖州科技城孵化器运营有限公司"}
    book = load_workbook(io.BytesIO((await client.get(
        f"/v1/public/lists/flagship_parks/editions/{YEAR}/1/export")).content), read_only=True)
    assert [r[1] for r in book["清单"].iter_rows(values_only=True)] == ["园区名称", "湖州科技城孵化器", "南浔智能制造产业园"]


async def test_officers_publishing_at_once_get_consecutive_numbers(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = scenarios_client, database_url(scenarios_client)
    await publish_new(client)
    officers = [token(Role.OFFICER, city_wide=True, subject=f"officer-{n}") for n in range(10)]
    answers = await asyncio.gather(*(publish(client, headers=officer) for officer in officers))
    assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == list(range(1, 11))  # none repeated, none skipped
    # Each edition's differences were taken from the one just before it.
    previous = {a.json()["number"]: a.json()["previous"] for a in answers}
    assert previous[1] is None and all(previous[n] == {"year": YEAR, "number": n - 1} for n in range(2, 11))
    assert all(a.json()["added"] == (1 if a.json()["number"] == 1 else 0) for a in answers)
    assert await count_rows(url, "list_editions") == 10


async def test_the_database_refuses_to_change_a_published_edition(scenarios_client: httpx.AsyncClient) -> None:
    """Beyond the service never updating one: a statement that tries (a script, a hand-run fix) is refused."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    client, url = scenarios_client, database_url(scenarios_client)
    await publish_new(client)
    published = await published_edition(client)
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError, match="never changed"):
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE list_editions SET item_count = 99, title = 'x'"))
    finally:
        await engine.dispose()
    assert (await client.get(f"/v1/public/lists/scenarios/editions/{YEAR}/1")).json() == published
