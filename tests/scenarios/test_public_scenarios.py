"""Scenarios without a token (issue 12, item 4), on PostgreSQL and on SQLite: only what is on the list is visible,
with the contact masked and nothing of who worked the case; everything else under /v1 still answers 401."""

from __future__ import annotations

import httpx

from tests.registry.pools_support import expect_problem
from tests.scenarios.support import (
    FIRM,
    FIRM_USCC,
    OFFICER,
    SCENARIO,
    create,
    known_firm,
    moved,
    publish_new,
)


async def test_only_what_is_on_the_list_is_public_with_the_contact_masked(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    await known_firm(client.database_url, FIRM_USCC, "湖州织里智能验布科技有限公司")  # type: ignore[attr-defined]
    draft = await create(client, title="草稿场景")
    submitted = await moved(client, await create(client, title="待审场景"), "submit", FIRM)
    withdrawn = await moved(client, await publish_new(client, title="撤回场景"), "withdraw", OFFICER, reason="需求取消")
    on_list = await publish_new(client, title="已发布场景")
    docking = await moved(client, await publish_new(client, title="对接中场景"), "start_docking", FIRM)
    closed = await moved(client, await publish_new(client, title="已结束场景"), "close", OFFICER,
                         reason="征集期内无人响应", outcome="need_lapsed")

    listed = await client.get("/v1/public/scenarios")
    assert listed.status_code == 200, listed.text
    assert listed.headers["cache-control"] == "public, max-age=60"
    items = listed.json()["items"]
    # Most recently published first; drafts, submissions and withdrawn scenarios are not there.
    assert [s["title"] for s in items] == ["已结束场景", "对接中场景", "已发布场景"]
    assert {s["status"] for s in items} == {"published", "docking", "closed"}
    one = items[-1]
    assert one["contact_name"] == "张**" and one["contact_phone"] == "138****2345"
    assert "13857212345" not in listed.text and "张三丰" not in listed.text
    assert one["publisher"] == {"kind": "enterprise", "uscc": FIRM_USCC, "department": None,
                                "name": "湖州织里智能验布科技有限公司"}
    assert one["budget"] == SCENARIO["budget"] and one["capability_tags"] == ["机器视觉", "AI质检"]
    for hidden in ("created_by", "closed_by", "closing_reason", "version", "personal_data_masked"):
        assert hidden not in one
    assert items[0]["outcome"] == "need_lapsed" and "征集期内无人响应" not in listed.text

    for scenario in (on_list, docking, closed):
        read = await client.get(f"/v1/public/scenarios/{scenario['id']}")
        assert read.status_code == 200 and read.json()["contact_phone"] == "138****2345"
    for scenario in (draft, submitted, withdrawn):
        expect_problem(await client.get(f"/v1/public/scenarios/{scenario['id']}"), 404)
    # A token changes nothing here: the public view is the public view.
    with_token = await client.get(f"/v1/public/scenarios/{on_list['id']}", headers=OFFICER)
    assert with_token.json()["contact_phone"] == "138****2345"


async def test_public_filters_pages_and_refusals(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    textile = await publish_new(client, title="纺织场景")
    await moved(client, await publish_new(client, title="装备场景", sector="digital_services", cluster=None),
                "start_docking", FIRM)
    by_sector = await client.get("/v1/public/scenarios", params={"sector": "advanced_manufacturing"})
    assert [s["id"] for s in by_sector.json()["items"]] == [textile["id"]]
    by_status = await client.get("/v1/public/scenarios", params={"status": "docking"})
    assert [s["title"] for s in by_status.json()["items"]] == ["装备场景"]
    assert (await client.get("/v1/public/scenarios", params={"district_code": "330503"})).json()["items"] == []
    assert [s["title"] for s in (await client.get("/v1/public/scenarios", params={"cluster": "modern_textile"})
                                 ).json()["items"]] == ["纺织场景"]

    first = (await client.get("/v1/public/scenarios", params={"limit": 1})).json()
    second = (await client.get("/v1/public/scenarios", params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert len(first["items"]) == len(second["items"]) == 1 and second["next_cursor"] is None
    assert first["items"][0]["id"] != second["items"][0]["id"]

    # A state the public never sees is not a filter it may use; a page is at most 50.
    problem = expect_problem(await client.get("/v1/public/scenarios", params={"status": "draft"}), 422)
    assert problem["errors"][0]["field"] == "status"
    assert expect_problem(await client.get("/v1/public/scenarios", params={"limit": 51}),
                          422)["errors"][0]["field"] == "limit"
    # The authenticated routes still refuse a caller without a token, before reading a body.
    expect_problem(await client.get("/v1/scenarios"), 401)
    expect_problem(await client.get(f"/v1/scenarios/{textile['id']}"), 401)
    expect_problem(await client.post("/v1/scenarios", json=SCENARIO), 401)
