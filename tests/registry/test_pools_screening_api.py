"""The annual screening (年度遴选): growth-potential ranking per district, promotion under quotas, idempotency per
year, and its refusals, through the registry API on PostgreSQL and on SQLite."""

from __future__ import annotations

from datetime import date

import httpx

from shared.auth import Role
from shared.clock import programme_today
from tests.registry.pools_support import (
    ADMIN,
    WAN,
    add_figures,
    add_ip,
    database_url,
    outbox_payloads,
    pools_of,
    register,
)
from tests.support import count_rows, token

POOL_CHANGED = "seedbed.registry.enterprise.pool_changed.v1"
CITY_OFFICER = token(Role.OFFICER, subject="officer-city", city_wide=True)  # "districts": ["*"]
YEAR = programme_today().year
T = YEAR - 1  # the financial year scored by default


async def _seedling(client: httpx.AsyncClient, n: int, district: str) -> str:
    enterprise_id = await register(client, n, district)
    response = await client.post(f"/v1/enterprises/{enterprise_id}/pool-changes",
                                 json={"to_pool": "seedling_pool", "reason": "测试入库"}, headers=ADMIN)
    assert response.status_code == 201, response.text
    return enterprise_id


async def _field(client: httpx.AsyncClient) -> dict[str, str]:
    """Seedlings whose default scores are known (weights 35/30/20/15, caps 10 %, 100 %, 5 IP, 1000万元):

    330502 (quota 2): A 100 (every component full), B 25 (growth 25 %: 7.5; R&D 5 %: 17.5), C 3.5 (R&D 1 %),
    D has no figures for T (not ranked); E is not a seedling. 330503 (quota 1): F 30 (revenue from 0), G 25.
    330521 has no quota: H is ranked but never promoted.
    """
    url = database_url(client)
    ids = {}
    for name, n, district in (("A", 101, "330502"), ("B", 102, "330502"), ("C", 103, "330502"),
                              ("D", 104, "330502"), ("F", 106, "330503"), ("G", 107, "330503"),
                              ("H", 108, "330521")):
        ids[name] = await _seedling(client, n, district)
    ids["E"] = await register(client, 105, "330502")
    figures = {
        "A": ((500, None, None), (1000, 100, 1000)), "B": ((800, None, None), (1000, 50, None)),
        "C": ((1000, None, None), (1000, 10, None)), "E": ((100, None, None), (1000, 100, 1000)),
        "F": ((0, None, None), (200, 0, None)), "G": ((400, None, None), (500, 25, None)),
        "H": ((100, None, None), (300, 30, None)),
    }
    for name, ((rev0, _, _), (rev1, rd1, fin1)) in figures.items():
        await add_figures(url, ids[name], T - 1, operating_revenue_fen=rev0 * WAN)
        await add_figures(url, ids[name], T, operating_revenue_fen=rev1 * WAN, rd_expense_fen=rd1 * WAN,
                          equity_financing_fen=None if fin1 is None else fin1 * WAN)
    await add_figures(url, ids["D"], T - 1, operating_revenue_fen=100 * WAN)  # only the year before
    for i in range(5):
        await add_ip(url, ids["A"], f"ZL{T}1000000{i}.X", date(T, 3, 1 + i))
    await add_ip(url, ids["A"], "ZL-old", date(T - 1, 6, 1))  # gained before T: not growth in T
    await add_ip(url, ids["A"], "TM-1", date(T, 6, 1), kind="trademark")  # never Ⅰ/Ⅱ类
    return ids


async def test_screening_promotes_the_top_of_each_district_once_per_year(registry_client: httpx.AsyncClient) -> None:
    url = database_url(registry_client)
    ids = await _field(registry_client)
    before_audit = await count_rows(url, "audit_log")
    response = await registry_client.post("/v1/pools/screenings", headers=CITY_OFFICER,
                                          json={"year": YEAR, "quotas": {"330502": 2, "330503": 1}})
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["already_run"] is False and run["figures_year"] == T
    assert (run["candidates"], run["ranked"], run["promoted"]) == (7, 6, 3)
    assert run["districts"] == [
        {"district_code": "330502", "quota": 2, "ranked": 3, "promoted": 2},
        {"district_code": "330503", "quota": 1, "ranked": 2, "promoted": 1},
        {"district_code": "330521", "quota": 0, "ranked": 1, "promoted": 0},
    ]
    assert run["parameters"]["quotas"] == {"330502": 2, "330503": 1}
    assert run["parameters"]["scoring"]["weights"]["rd_intensity"] == "0.35"

    pools = await pools_of(url)
    assert {n for n in ids if pools[ids[n]] == "cultivation_pool"} == {"A", "B", "F"}
    assert {n for n in ids if pools[ids[n]] == "seedling_pool"} == {"C", "D", "G", "H"}
    assert pools[ids["E"]] is None

    history = await registry_client.get(f"/v1/enterprises/{ids['B']}/pool-changes", headers=ADMIN)
    promotion = history.json()["items"][-1]
    assert (promotion["move"], promotion["basis"], promotion["year"]) == ("promotion", "screening", YEAR)
    assert "score 25.0000, rank 2 in district 330502 under a quota of 2" in promotion["reason"]
    assert promotion["screening_run_id"] == run["id"]
    events = [e for e in await outbox_payloads(url, POOL_CHANGED) if e["basis"] == "screening"]
    assert sorted(e["enterprise_id"] for e in events) == sorted(ids[n] for n in "ABF")
    assert all(e["to_pool"] == "cultivation_pool" and e["year"] == YEAR for e in events)
    assert await count_rows(url, "audit_log") == before_audit + 3 + 1 + 1  # 3 promotions, the quotas, the run

    results = await registry_client.get(f"/v1/pools/screenings/{YEAR}/results", headers=CITY_OFFICER,
                                        params={"district_code": "330502"})
    assert [(r["enterprise_id"], r["rank"], r["score"], r["promoted"]) for r in results.json()["items"]] == [
        (ids["A"], 1, "100.0000", True), (ids["B"], 2, "25.0000", True), (ids["C"], 3, "3.5000", False)]
    assert results.json()["items"][0]["measures"]["ip_gained"] == 5
    f_result = await registry_client.get(f"/v1/pools/screenings/{YEAR}/results", headers=CITY_OFFICER,
                                         params={"district_code": "330503", "promoted": "true"})
    assert [(r["enterprise_id"], r["score"]) for r in f_result.json()["items"]] == [(ids["F"], "30.0000")]
    assert f_result.json()["items"][0]["measures"]["revenue_growth"] == "Infinity"

    # A second run of the same year changes nothing and says so.
    counts = [await count_rows(url, t) for t in ("pool_changes", "outbox", "audit_log", "screening_results")]
    again = await registry_client.post("/v1/pools/screenings", json={"year": YEAR, "quotas": {"330502": 5}},
                                       headers=ADMIN)
    assert again.status_code == 200
    assert again.json()["already_run"] is True and again.json()["id"] == run["id"]
    assert again.json()["parameters"]["quotas"] == {"330502": 2, "330503": 1}
    assert [await count_rows(url, t) for t in ("pool_changes", "outbox", "audit_log", "screening_results")] == counts
    assert await pools_of(url) == pools
    # The run is readable; its quotas are frozen.
    assert (await registry_client.get(f"/v1/pools/screenings/{YEAR}", headers=CITY_OFFICER)).json()["id"] == run["id"]
    listed = await registry_client.get("/v1/pools/screenings", headers=CITY_OFFICER)
    assert [r["year"] for r in listed.json()["items"]] == [YEAR]
    frozen = await registry_client.put(f"/v1/pools/quotas/{YEAR}", json={"quotas": {"330502": 9}}, headers=ADMIN)
    assert frozen.status_code == 409
    assert (await registry_client.get(f"/v1/pools/quotas/{YEAR}", headers=CITY_OFFICER)).json() == {
        "year": YEAR, "quotas": {"330502": 2, "330503": 1}, "screened": True}


async def test_officers_see_their_districts_results_and_district_officers_cannot_screen(
        registry_client: httpx.AsyncClient) -> None:
    ids = await _field(registry_client)
    nanxun = token(Role.OFFICER, districts=["330503"])
    refused = await registry_client.post("/v1/pools/screenings", json={"year": YEAR, "quotas": {"330503": 1}},
                                         headers=nanxun)
    assert refused.status_code == 403
    for role in (Role.REVIEWER, Role.ENTERPRISE, Role.SERVICE):
        assert (await registry_client.post("/v1/pools/screenings", json={"year": YEAR},
                                           headers=token(role))).status_code == 403
    assert (await registry_client.post("/v1/pools/screenings", json={"year": YEAR})).status_code == 401
    assert (await registry_client.put(f"/v1/pools/quotas/{YEAR}", json={"quotas": {"330503": 1}},
                                      headers=nanxun)).status_code == 403
    assert await count_rows(database_url(registry_client), "screening_runs") == 0
    assert await count_rows(database_url(registry_client), "pool_quotas") == 0

    stored = await registry_client.put(f"/v1/pools/quotas/{YEAR}", json={"quotas": {"330503": 1}}, headers=ADMIN)
    assert stored.status_code == 200 and stored.json()["quotas"] == {"330503": 1}
    run = await registry_client.post("/v1/pools/screenings", json={"year": YEAR}, headers=ADMIN)  # stored quotas
    assert run.status_code == 201 and run.json()["promoted"] == 1
    mine = await registry_client.get(f"/v1/pools/screenings/{YEAR}/results", headers=nanxun)
    assert {r["enterprise_id"] for r in mine.json()["items"]} == {ids["F"], ids["G"]}
    other = await registry_client.get(f"/v1/pools/screenings/{YEAR}/results", params={"district_code": "330502"},
                                      headers=nanxun)
    assert other.status_code == 403
    page = await registry_client.get(f"/v1/pools/screenings/{YEAR}/results", params={"limit": 4}, headers=ADMIN)
    rest = await registry_client.get(f"/v1/pools/screenings/{YEAR}/results",
                                     params={"limit": 4, "cursor": page.json()["next_cursor"]}, headers=ADMIN)
    ranking = [(r["district_code"], r["rank"]) for r in page.json()["items"] + rest.json()["items"]]
    assert ranking == [("330502", 1), ("330502", 2), ("330502", 3), ("330503", 1), ("330503", 2), ("330521", 1)]
    assert rest.json()["next_cursor"] is None


async def test_screening_refusals_write_nothing(registry_client: httpx.AsyncClient) -> None:
    url = database_url(registry_client)
    await _seedling(registry_client, 121, "330502")
    no_quotas = await registry_client.post("/v1/pools/screenings", json={"year": YEAR}, headers=ADMIN)
    assert no_quotas.status_code == 422 and no_quotas.json()["errors"][0]["field"] == "quotas"
    future = await registry_client.post("/v1/pools/screenings", json={"year": YEAR + 1, "quotas": {"330502": 1}},
                                        headers=ADMIN)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "year"
    bad_district = await registry_client.post("/v1/pools/screenings", json={"year": YEAR, "quotas": {"330590": 1}},
                                              headers=ADMIN)
    assert bad_district.status_code == 422
    negative = await registry_client.put(f"/v1/pools/quotas/{YEAR}", json={"quotas": {"330502": -1}}, headers=ADMIN)
    assert negative.status_code == 422
    zero_weights = await registry_client.post("/v1/pools/screenings", headers=ADMIN, json={
        "year": YEAR, "quotas": {"330502": 1},
        "weights": {"rd_intensity": 0, "revenue_growth": 0, "ip_growth": 0, "financing": 0}})
    assert zero_weights.status_code == 422 and zero_weights.json()["errors"][0]["field"] == "weights"
    later_figures = await registry_client.post("/v1/pools/screenings", headers=ADMIN, json={
        "year": YEAR - 1, "figures_year": YEAR, "quotas": {"330502": 1}})
    assert later_figures.status_code == 422
    assert (await registry_client.get(f"/v1/pools/screenings/{YEAR}", headers=ADMIN)).status_code == 404
    for table in ("screening_runs", "screening_results", "pool_quotas"):
        assert await count_rows(url, table) == 0
    assert await count_rows(url, "pool_changes", "WHERE basis = 'screening'") == 0


async def test_weights_are_parameters_of_the_run(registry_client: httpx.AsyncClient) -> None:
    ids = await _field(registry_client)
    # Only financing counts: in 330502 A is the only financed firm; B and C tie at 0 and rank by USCC.
    run = await registry_client.post("/v1/pools/screenings", headers=ADMIN, json={
        "year": YEAR, "quotas": {"330502": 2},
        "weights": {"rd_intensity": 0, "revenue_growth": 0, "ip_growth": 0, "financing": 1}})
    assert run.status_code == 201
    assert run.json()["parameters"]["scoring"]["weights"]["financing"] == "1"
    results = await registry_client.get(f"/v1/pools/screenings/{YEAR}/results", params={"district_code": "330502"},
                                        headers=ADMIN)
    assert [(r["enterprise_id"], r["score"]) for r in results.json()["items"]] == [
        (ids["A"], "100.0000"), (ids["B"], "0.0000"), (ids["C"], "0.0000")]
