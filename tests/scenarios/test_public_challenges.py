"""Challenges without a token, and the challenge list's editions, on PostgreSQL and on SQLite: once published a
challenge is public (its call and how far it got, nobody's user id); a draft, or one cancelled in review, is not.
The challenge list (揭榜挂帅榜单) is published in editions like the scenario list."""

from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook

from shared.auth import Role
from tests.registry.pools_support import expect_problem
from tests.scenarios import challenges_support as c
from tests.scenarios.support import known_firm
from tests.support import token

CITY = token(Role.OFFICER, city_wide=True)


async def test_published_challenges_are_public_and_nothing_before(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    await known_firm(client.database_url, c.ISSUER_USCC, "湖州长兴新能源材料有限公司")  # type: ignore[attr-defined]
    draft = await c.create(client, title="草稿榜单")
    in_review = await c.moved(client, await c.create(client, title="审核中榜单"), "submit_for_review", c.ISSUER)
    cancelled = await c.moved(client, await c.moved(client, await c.create(client, title="撤回榜单"),
                                                   "submit_for_review", c.ISSUER), "cancel", reason="需求变化")
    published = await c.published(client, title="已发布榜单")
    taking = await c.open_for_applications(client, title="揭榜中榜单", cluster="new_materials")

    listed = await client.get("/v1/public/challenges")
    assert listed.status_code == 200 and listed.headers["cache-control"] == "public, max-age=60"
    items = listed.json()["items"]
    assert [i["title"] for i in items] == ["揭榜中榜单", "已发布榜单"]
    one = items[1]
    assert one["issuer"] == {"kind": "enterprise", "uscc": c.ISSUER_USCC, "department": None,
                             "name": "湖州长兴新能源材料有限公司"}
    assert one["bounty"] == {"total_fen": 500 * c.WAN, "issuer_fen": 400 * c.WAN, "public_fen": 100 * c.WAN}
    assert [i["name"] for i in one["indicators"]] == ["减重", "拉伸强度"]
    for hidden in ("created_by", "status_reason", "version"):
        assert hidden not in one
    assert (await client.get(f"/v1/public/challenges/{published['id']}")).json()["title"] == "已发布榜单"
    for challenge in (draft, in_review, cancelled):
        expect_problem(await client.get(f"/v1/public/challenges/{challenge['id']}"), 404)
    by_status = await client.get("/v1/public/challenges", params={"status": "applications_open"})
    assert [i["id"] for i in by_status.json()["items"]] == [taking["id"]]
    assert [i["id"] for i in (await client.get("/v1/public/challenges", params={"cluster": "new_materials"})
                              ).json()["items"]] == [taking["id"]]
    assert expect_problem(await client.get("/v1/public/challenges", params={"status": "drafting"}),
                          422)["errors"][0]["field"] == "status"
    expect_problem(await client.get("/v1/challenges"), 401)


async def test_the_challenge_list_in_editions(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    await c.create(client, title="草稿榜单")
    first_challenge = await c.published(client, title="碳纤维电池包壳体")
    year = c.TODAY.year
    first = await client.post("/v1/lists/challenges/editions", json={"year": year}, headers=CITY)
    assert first.status_code == 201, first.text
    assert first.json()["title"] == f"{year}年第1批湖州市揭榜挂帅榜单"
    (entry,) = first.json()["items"]
    assert entry["title"] == "碳纤维电池包壳体" and entry["bounty_public_fen"] == 100 * c.WAN
    assert entry["indicators"] == ["减重 ≥ 30 %", "拉伸强度 ≥ 600 MPa"]
    await c.moved(client, first_challenge, "open_applications")
    second = (await client.post("/v1/lists/challenges/editions", json={"year": year}, headers=CITY)).json()
    assert second["differences"]["changed"][0]["fields"] == {"status": {"from": "published",
                                                                        "to": "applications_open"}}
    book = load_workbook(io.BytesIO((await client.get(
        f"/v1/public/lists/challenges/editions/{year}/2/export")).content), read_only=True)
    rows = list(book["清单"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["榜单名称"], row["榜额（分）"], row["状态"]) == ("碳纤维电池包壳体", 500 * c.WAN, "applications_open")
    assert row["技术指标"] == "减重 ≥ 30 %、拉伸强度 ≥ 600 MPa"
