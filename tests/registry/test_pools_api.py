"""Seedling-pool (种苗库) entry by rule and by decision, promotion, demotion, exit, history and entry-criteria
versions, through the registry API on PostgreSQL and on SQLite."""

from __future__ import annotations

from datetime import timedelta

import httpx

from shared.auth import Role
from shared.clock import programme_today
from tests.registry.pools_support import (
    ADMIN,
    WAN,
    add_figures,
    database_url,
    outbox_payloads,
    pools_of,
    register,
)
from tests.support import count_rows, token

POOL_CHANGED = "seedbed.registry.enterprise.pool_changed.v1"
OFFICER = token(Role.OFFICER, districts=["330502"], subject="officer-wx")
THIS_YEAR = programme_today().year
RECENT = (programme_today() - timedelta(days=3 * 365)).isoformat()  # well inside the 5-year seed window


async def _seed_firm(client: httpx.AsyncClient, n: int) -> str:
    """A 3-year-old firm, 30 staff (6 in R&D), 800万元 revenue, 40万元 R&D: a 种子 (5 % ≥ 3 %)."""
    enterprise_id = await register(client, n, established_on=RECENT)
    await add_figures(database_url(client), enterprise_id, THIS_YEAR - 1, employees=30, rd_staff=6,
                      operating_revenue_fen=800 * WAN, rd_expense_fen=40 * WAN)
    return enterprise_id


async def test_entry_by_rule_admits_a_seed_firm_with_history_event_and_audit(
        registry_client: httpx.AsyncClient) -> None:
    enterprise_id = await _seed_firm(registry_client, 11)
    response = await registry_client.post(f"/v1/enterprises/{enterprise_id}/pool-changes",
                                          json={"to_pool": "seedling_pool", "basis": "rule"}, headers=OFFICER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["from_pool"], body["to_pool"], body["move"], body["basis"]) == (None, "seedling_pool", "entry", "rule")
    assert body["category"] == "seed" and body["criteria_version"] == "hangzhou-runmiao-2025"
    assert body["year"] == THIS_YEAR and body["actor"] == "officer-wx"
    assert f"figures of {THIS_YEAR - 1}" in body["reason"]
    assert body["assessment"]["outcome"] == "eligible"
    assert (await pools_of(database_url(registry_client)))[enterprise_id] == "seedling_pool"
    enterprise = await registry_client.get(f"/v1/enterprises/{enterprise_id}", headers=OFFICER)
    assert enterprise.json()["pool"] == "seedling_pool" and enterprise.json()["version"] == 2
    [event] = await outbox_payloads(database_url(registry_client), POOL_CHANGED)
    assert event["enterprise_id"] == enterprise_id and event["to_pool"] == "seedling_pool"
    assert event["category"] == "seed" and event["district_code"] == "330502"
    assert await count_rows(database_url(registry_client), "audit_log", "WHERE action = 'pool.entry' AND entity_id = :id",
                            id=enterprise_id) == 1


async def test_entry_by_rule_refused_when_criteria_not_met_writes_nothing(registry_client: httpx.AsyncClient) -> None:
    # Established 2010 (not a seed) and 1 of 30 staff in R&D (not a good seedling).
    enterprise_id = await register(registry_client, 12, established_on="2010-03-01")
    await add_figures(database_url(registry_client), enterprise_id, THIS_YEAR - 1, employees=30, rd_staff=1,
                      operating_revenue_fen=800 * WAN, rd_expense_fen=40 * WAN, equity_financing_fen=0)
    response = await registry_client.post(f"/v1/enterprises/{enterprise_id}/pool-changes",
                                          json={"to_pool": "seedling_pool", "basis": "rule"}, headers=OFFICER)
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "basis"
    assert problem["assessment"]["outcome"] == "not_eligible"
    failed = {(c["category"], c["criterion"]) for c in problem["assessment"]["checks"] if c["met"] is False}
    assert failed == {("seed", "age"), ("good_seedling", "rd_staff_share")}
    assert (await pools_of(database_url(registry_client)))[enterprise_id] is None
    assert await count_rows(database_url(registry_client), "pool_changes") == 0
    assert await outbox_payloads(database_url(registry_client), POOL_CHANGED) == []


async def test_entry_by_rule_without_figures_needs_review_and_names_what_is_missing(
        registry_client: httpx.AsyncClient) -> None:
    enterprise_id = await register(registry_client, 13, established_on=RECENT)
    assessment = await registry_client.get(f"/v1/enterprises/{enterprise_id}/pool-assessment", headers=OFFICER)
    assert assessment.status_code == 200
    assert assessment.json()["outcome"] == "needs_review"
    assert {"employees", "operating_revenue_fen", "rd_expense_fen"} <= set(assessment.json()["missing"])
    refused = await registry_client.post(f"/v1/enterprises/{enterprise_id}/pool-changes",
                                         json={"to_pool": "seedling_pool", "basis": "rule"}, headers=OFFICER)
    assert refused.status_code == 422 and refused.json()["assessment"]["outcome"] == "needs_review"
    assert await count_rows(database_url(registry_client), "pool_changes") == 0


async def test_decisions_promotion_demotion_and_exit_build_the_history(registry_client: httpx.AsyncClient) -> None:
    enterprise_id = await register(registry_client, 14, established_on="2012-01-01")
    path = f"/v1/enterprises/{enterprise_id}/pool-changes"
    no_reason = await registry_client.post(path, json={"to_pool": "seedling_pool"}, headers=OFFICER)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    steps = [("seedling_pool", "颠覆性技术，专家组建议破格入库"), ("cultivation_pool", "承担省重大专项"),
             ("seedling_pool", "营收连续两年下滑"), (None, "企业迁出湖州")]
    for to_pool, reason in steps:
        response = await registry_client.post(path, json={"to_pool": to_pool, "reason": reason, "year": THIS_YEAR - 1},
                                              headers=OFFICER)
        assert response.status_code == 201, response.text
    history = await registry_client.get(path, headers=OFFICER)
    assert history.status_code == 200
    items = history.json()["items"]
    assert [(i["from_pool"], i["to_pool"], i["move"]) for i in items] == [
        (None, "seedling_pool", "entry"), ("seedling_pool", "cultivation_pool", "promotion"),
        ("cultivation_pool", "seedling_pool", "demotion"), ("seedling_pool", None, "exit")]
    assert [i["reason"] for i in items] == [r for _, r in steps]
    assert all(i["year"] == THIS_YEAR - 1 and i["basis"] == "decision" and i["actor"] == "officer-wx" for i in items)
    page = await registry_client.get(path, params={"limit": 3}, headers=OFFICER)
    rest = await registry_client.get(path, params={"limit": 3, "cursor": page.json()["next_cursor"]}, headers=OFFICER)
    assert [i["id"] for i in page.json()["items"] + rest.json()["items"]] == [i["id"] for i in items]
    assert [e["to_pool"] for e in await outbox_payloads(database_url(registry_client), POOL_CHANGED)] == [
        "seedling_pool", "cultivation_pool", "seedling_pool", None]
    # The firm reads its own history.
    own = await registry_client.get(path, headers=token(Role.ENTERPRISE, uscc=(await registry_client.get(
        f"/v1/enterprises/{enterprise_id}", headers=ADMIN)).json()["uscc"]))
    assert own.status_code == 200 and len(own.json()["items"]) == 4


async def test_moves_the_ladder_does_not_allow_are_conflicts(registry_client: httpx.AsyncClient) -> None:
    enterprise_id = await register(registry_client, 15)
    path = f"/v1/enterprises/{enterprise_id}/pool-changes"
    straight_up = await registry_client.post(path, json={"to_pool": "cultivation_pool", "reason": "直接入培育库"},
                                             headers=OFFICER)
    assert straight_up.status_code == 409
    leave_nothing = await registry_client.post(path, json={"to_pool": None, "reason": "出库"}, headers=OFFICER)
    assert leave_nothing.status_code == 409
    rule_upwards = await registry_client.post(path, json={"to_pool": "cultivation_pool", "basis": "rule"},
                                              headers=OFFICER)
    assert rule_upwards.status_code == 422 and rule_upwards.json()["errors"][0]["field"] == "basis"
    entered = await registry_client.post(path, json={"to_pool": "seedling_pool", "reason": "入库"}, headers=OFFICER)
    assert entered.status_code == 201
    again = await registry_client.post(path, json={"to_pool": "seedling_pool", "reason": "再次入库"}, headers=OFFICER)
    assert again.status_code == 409 and again.json()["current_pool"] == "seedling_pool"
    assert await count_rows(database_url(registry_client), "pool_changes") == 1


async def test_refusals_401_403_404_412_and_future_year(registry_client: httpx.AsyncClient) -> None:
    enterprise_id = await register(registry_client, 16)
    path = f"/v1/enterprises/{enterprise_id}/pool-changes"
    body = {"to_pool": "seedling_pool", "reason": "入库"}
    assert (await registry_client.post(path, json=body)).status_code == 401
    assert (await registry_client.post(path, json=body, headers=token(Role.REVIEWER))).status_code == 403
    uscc = (await registry_client.get(f"/v1/enterprises/{enterprise_id}", headers=ADMIN)).json()["uscc"]
    assert (await registry_client.post(path, json=body, headers=token(Role.ENTERPRISE, uscc=uscc))).status_code == 403
    elsewhere = token(Role.OFFICER, districts=["330521"])
    assert (await registry_client.post(path, json=body, headers=elsewhere)).status_code == 404
    assert (await registry_client.get(path, headers=elsewhere)).status_code == 404
    stale = await registry_client.post(path, json=body, headers={**OFFICER, "If-Match": '"7"'})
    assert stale.status_code == 412
    future = await registry_client.post(path, json={**body, "year": THIS_YEAR + 1}, headers=OFFICER)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "year"
    assert await count_rows(database_url(registry_client), "pool_changes") == 0
    current = await registry_client.post(path, json=body, headers={**OFFICER, "If-Match": '"1"'})
    assert current.status_code == 201


async def test_a_published_criteria_version_applies_from_its_date(registry_client: httpx.AsyncClient) -> None:
    enterprise_id = await _seed_firm(registry_client, 17)
    strict = {"version": "huzhou-test-1", "effective_from": (programme_today() - timedelta(days=1)).isoformat(),
              "seed": {"max_age_years": 5, "max_employees": 10, "max_operating_revenue_fen": 2000 * WAN,
                       "min_rd_intensity": "0.03"},
              "good_seedling": None, "source": "测试版本"}
    refused = await registry_client.post("/v1/pools/criteria", json=strict, headers=OFFICER)
    assert refused.status_code == 403
    published = await registry_client.post("/v1/pools/criteria", json=strict, headers=ADMIN)
    assert published.status_code == 201, published.text
    assert published.json()["in_force"] is True
    duplicate = await registry_client.post("/v1/pools/criteria", json=strict, headers=ADMIN)
    assert duplicate.status_code == 409
    listed = await registry_client.get("/v1/pools/criteria", headers=OFFICER)
    assert [(c["version"], c["in_force"]) for c in listed.json()] == [("hangzhou-runmiao-2025", False),
                                                                      ("huzhou-test-1", True)]
    # 30 employees > 10: the new version refuses the firm the default admitted; the old one is still askable.
    assessment = await registry_client.get(f"/v1/enterprises/{enterprise_id}/pool-assessment", headers=OFFICER)
    assert assessment.json()["outcome"] == "not_eligible"
    assert assessment.json()["criteria_version"] == "huzhou-test-1"
    old = await registry_client.post(f"/v1/enterprises/{enterprise_id}/pool-changes", headers=OFFICER, json={
        "to_pool": "seedling_pool", "basis": "rule", "criteria_version": "hangzhou-runmiao-2025"})
    assert old.status_code == 201 and old.json()["criteria_version"] == "hangzhou-runmiao-2025"
    unknown = await registry_client.get(f"/v1/enterprises/{enterprise_id}/pool-assessment",
                                        params={"criteria_version": "nope"}, headers=OFFICER)
    assert unknown.status_code == 422
