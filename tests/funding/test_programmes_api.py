"""Fund pools → programmes → rounds through the funding API, on PostgreSQL and SQLite: budgets within the parent's,
caps within the budget, eligibility rules as data, the round's budget as its first ledger allocation, top-ups with
an Idempotency-Key, reads open to every role and management to the issuer's officers, and the refusals that name
the field."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.funding.support import (
    ADMIN,
    CITY_OFFICER,
    DEQING_OFFICER,
    TODAY,
    WUXING_OFFICER,
    balance,
    firm_token,
    ok,
    pool,
    programme,
    round_,
    uscc,
)
from tests.registry.pools_support import expect_problem


async def test_pool_programme_round_with_rules_as_data_and_the_budget_in_the_ledger(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    p = await pool(client, budget_fen=5 * 10**9)
    rules = [{"kind": "tier_held", "values": ["srdi_sme", "little_giant"], "label": "专精特新企业"},
             {"kind": "district", "values": ["330502", "330503"]}]
    prog = await programme(client, p["id"], budget_fen=10**9, cap_fen=5 * 10**7, eligibility=rules)
    assert prog["issuer"] == "湖州市" and prog["district_code"] is None
    assert [r["kind"] for r in prog["eligibility"]] == ["tier_held", "district"]
    assert "little_giant, srdi_sme" in prog["eligibility"][0]["requirement"]
    r = await round_(client, prog["id"], budget_fen=3 * 10**8, per_enterprise_cap_fen=2 * 10**7,
                     eligibility=[{"kind": "size_class", "values": ["small", "micro"]}])
    assert r["budget_fen"] == 3 * 10**8 and r["available_fen"] == 3 * 10**8 and r["phase"] == "open"
    assert r["per_enterprise_cap_fen"] == 2 * 10**7
    assert [rule["kind"] for rule in r["eligibility"]] == ["tier_held", "district", "size_class"]
    # Every role reads the call; the ledger holds the budget as an allocation, and reconciles.
    read = ok(await client.get(f"/v1/rounds/{r['id']}", headers=firm_token(uscc(1))), 200)
    assert read["id"] == r["id"]
    entries = ok(await client.get(f"/v1/rounds/{r['id']}/ledger", headers=ADMIN), 200)["items"]
    assert [(e["kind"], e["amount_fen"], e["key"]) for e in entries] == [
        ("allocated", 3 * 10**8, f"round:{r['id']}:allocated:0")]
    b = await balance(client, r["id"])
    assert b["reconciled"] is True and b["budget_fen"] == 3 * 10**8 and b["discrepancies"] == []

    # A top-up is a second allocation, once per Idempotency-Key.
    headers = {**CITY_OFFICER, "Idempotency-Key": "topup-1"}
    body = {"amount_fen": 10**8, "note": "追加预算"}
    first = ok(await client.post(f"/v1/rounds/{r['id']}/allocations", json=body, headers=headers))
    again = await client.post(f"/v1/rounds/{r['id']}/allocations", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert first["budget_fen"] == again.json()["budget_fen"] == 4 * 10**8
    assert (await balance(client, r["id"]))["allocated_fen"] == 4 * 10**8
    listed = ok(await client.get(f"/v1/rounds?programme_id={prog['id']}", headers=firm_token(uscc(1))), 200)
    assert [x["id"] for x in listed["items"]] == [r["id"]]
    total = ok(await client.get(f"/v1/programmes/{prog['id']}/balance", headers=ADMIN), 200)
    assert total["allocated_fen"] == 4 * 10**8 and total["budget_fen_of_programme"] == 10**9


async def test_budgets_caps_and_dates_that_do_not_fit_are_refused_naming_the_field(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    p = await pool(client, budget_fen=10**9)
    prog = await programme(client, p["id"], budget_fen=6 * 10**8, cap_fen=10**8)
    # The pool's programmes may not add up to more than the pool.
    over = expect_problem(await client.post("/v1/programmes", json={
        "pool_id": p["id"], "name": "另一个项目", "instrument": "subsidy", "budget_fen": 5 * 10**8,
        "per_enterprise_cap_fen": 10**7, "opens_on": TODAY.isoformat(), "closes_on": TODAY.isoformat()},
        headers=CITY_OFFICER), 409)
    assert over["code"] == "over_allotted" and over["errors"][0]["field"] == "budget_fen"
    # A cap above the budget; a round closing before it opens; a round outside the programme's dates.
    cap = expect_problem(await client.post(f"/v1/programmes/{prog['id']}/rounds", json={
        "name": "批次", "budget_fen": 10**7, "per_enterprise_cap_fen": 2 * 10**7, "opens_on": TODAY.isoformat(),
        "closes_on": TODAY.isoformat()}, headers=CITY_OFFICER), 422)
    assert cap["errors"][0]["field"] == "per_enterprise_cap_fen"
    dates = expect_problem(await client.post(f"/v1/programmes/{prog['id']}/rounds", json={
        "name": "批次", "budget_fen": 10**7, "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY - timedelta(days=1)).isoformat()}, headers=CITY_OFFICER), 422)
    assert dates["errors"][0]["field"] == "closes_on"
    await round_(client, prog["id"], budget_fen=5 * 10**8)
    over_rounds = expect_problem(await client.post(f"/v1/programmes/{prog['id']}/rounds", json={
        "name": "第二批", "budget_fen": 2 * 10**8, "opens_on": TODAY.isoformat(), "closes_on": TODAY.isoformat()},
        headers=CITY_OFFICER), 409)
    assert over_rounds["code"] == "over_allotted"
    # Money is an integer of fen (the kit's PositiveFen): a float, a string with decimals, zero, negatives and
    # booleans are refused; a string of digits is the integer it spells, as in a query string.
    body = {"name": "池", "issuer": "湖州市", "issuer_level": "city", "opens_on": TODAY.isoformat(),
            "closes_on": TODAY.isoformat()}
    for bad in (12.5, 100.0, "12.50", "1e3", 0, "0", -5, True, 10**17 + 1):
        problem = expect_problem(await client.post("/v1/fund-pools", json={**body, "budget_fen": bad},
                                                   headers=CITY_OFFICER), 422)
        assert problem["errors"][0]["field"] == "budget_fen", bad
    assert ok(await client.post("/v1/fund-pools", json={**body, "budget_fen": "1250"}, headers=CITY_OFFICER))[
        "budget_fen"] == 1250
    # A rule that cannot be evaluated (no accepted values) is refused where it stands.
    rule = expect_problem(await client.post("/v1/programmes", json={
        "pool_id": p["id"], "name": "规则", "instrument": "grant", "budget_fen": 10**6, "per_enterprise_cap_fen": 10**6,
        "opens_on": TODAY.isoformat(), "closes_on": TODAY.isoformat(),
        "eligibility": [{"kind": "sector", "values": ["advanced_manufacturing"]}, {"kind": "tier_held"}]},
        headers=CITY_OFFICER), 422)
    assert rule["errors"][0]["field"] == "eligibility.1.values"


async def test_the_issuers_officers_manage_and_every_role_reads(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    # A district officer manages its district's money, not the city's nor another district's.
    city = await pool(client)
    refused = expect_problem(await client.post("/v1/programmes", json={
        "pool_id": city["id"], "name": "区级项目", "instrument": "grant", "budget_fen": 10**6,
        "per_enterprise_cap_fen": 10**6, "opens_on": TODAY.isoformat(), "closes_on": TODAY.isoformat()},
        headers=WUXING_OFFICER), 403)
    assert "district" in refused["detail"]
    wuxing = await pool(client, district_code="330502", headers=WUXING_OFFICER)
    prog = await programme(client, wuxing["id"], headers=WUXING_OFFICER)
    assert prog["district_code"] == "330502" and prog["issuer"] == "吴兴区"
    expect_problem(await client.post(f"/v1/programmes/{prog['id']}/rounds", json={
        "name": "批次", "budget_fen": 10**6, "opens_on": TODAY.isoformat(), "closes_on": TODAY.isoformat()},
        headers=DEQING_OFFICER), 403)
    expect_problem(await client.post("/v1/fund-pools", json={
        "name": "池", "issuer": "德清县", "issuer_level": "county", "district_code": "330502", "budget_fen": 10**6,
        "opens_on": TODAY.isoformat(), "closes_on": TODAY.isoformat()}, headers=DEQING_OFFICER), 403)
    # An enterprise reads the calls but not the ledger.
    firm = firm_token(uscc(7))
    assert (await client.get(f"/v1/programmes/{prog['id']}", headers=firm)).status_code == 200
    r = await round_(client, prog["id"], headers=WUXING_OFFICER)
    assert (await client.get(f"/v1/rounds/{r['id']}/ledger", headers=firm)).status_code == 403
    # The ledger of a district's round is read by its officers, not by another district's.
    assert (await client.get(f"/v1/rounds/{r['id']}/balance", headers=WUXING_OFFICER)).status_code == 200
    assert (await client.get(f"/v1/rounds/{r['id']}/balance", headers=DEQING_OFFICER)).status_code == 404


async def test_dated_amounts_per_issuer(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    body = {"issuer": "湖州市", "item": "hnte_first_recognition", "amount_fen": 20_000_000,
            "effective_from": "2025-01-01", "source": "湖州市 2025 policy (REFERENCE §13.2)", "confidence": "C"}
    created = ok(await client.post("/v1/dated-amounts", json=body, headers=CITY_OFFICER))
    assert created["ceiling"] is True
    dup = expect_problem(await client.post("/v1/dated-amounts", json=body, headers=CITY_OFFICER), 409)
    assert dup["errors"][0]["field"] == "effective_from"
    ok(await client.post("/v1/dated-amounts", json={**body, "effective_from": "2026-01-01", "amount_fen": 25_000_000},
                         headers=CITY_OFFICER))
    listed = ok(await client.get("/v1/dated-amounts?issuer=湖州市&item=hnte_first_recognition",
                                 headers=firm_token(uscc(3))), 200)
    assert sorted(x["amount_fen"] for x in listed["items"]) == [20_000_000, 25_000_000]


async def test_a_round_s_terms_change_under_if_match_and_must_still_fit(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    p = await pool(client)
    prog = await programme(client, p["id"], budget_fen=10**8, cap_fen=10**7)
    r = await round_(client, prog["id"], budget_fen=5 * 10**7)
    url = f"/v1/rounds/{r['id']}"
    assert expect_problem(await client.patch(url, json={"name": "改名"}, headers=CITY_OFFICER), 428)
    changed = await client.patch(url, json={"name": "2026年第一批（延期）", "per_enterprise_cap_fen": 5_000_000,
                                            "eligibility": [{"kind": "size_class", "values": ["small", "micro"]}],
                                            "closes_on": (TODAY + timedelta(days=90)).isoformat()},
                                 headers={**CITY_OFFICER, "If-Match": f'"{r["version"]}"'})
    body = ok(changed, 200)
    assert (body["name"], body["per_enterprise_cap_fen"], body["version"]) == ("2026年第一批（延期）", 5_000_000,
                                                                               r["version"] + 1)
    assert changed.headers["ETag"] == f'"{body["version"]}"'
    stale = await client.patch(url, json={"name": "再改"}, headers={**CITY_OFFICER, "If-Match": f'"{r["version"]}"'})
    assert stale.status_code == 412
    # A cap above the programme's, or dates outside it, are refused; nothing changes.
    refused = expect_problem(await client.patch(url, json={"per_enterprise_cap_fen": 2 * 10**7}, headers={
        **CITY_OFFICER, "If-Match": f'"{body["version"]}"'}), 422)
    assert refused["code"] == "cap_above_programme_cap"
    outside = expect_problem(await client.patch(url, json={"closes_on": (TODAY + timedelta(days=900)).isoformat()},
                                                headers={**CITY_OFFICER, "If-Match": f'"{body["version"]}"'}), 422)
    assert outside["code"] == "outside_parent_dates"
    assert expect_problem(await client.patch(url, json={"name": None}, headers={
        **CITY_OFFICER, "If-Match": f'"{body["version"]}"'}), 422)["errors"][0]["field"] == "name"
    assert ok(await client.get(url, headers=CITY_OFFICER), 200)["version"] == body["version"]
