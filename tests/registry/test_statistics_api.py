"""Programme statistics, checked against the rows each test creates, on PostgreSQL and on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from shared.auth import Role
from shared.clock import programme_today
from tests.registry.pools_support import (
    ADMIN,
    WAN,
    add_certification,
    add_figures,
    add_honour,
    database_url,
    register,
    set_enterprise,
)
from tests.support import token

TODAY = programme_today()
YEAR = TODAY.year
LONG_AGO, LATER = TODAY - timedelta(days=400), TODAY + timedelta(days=400)
NANXUN = token(Role.OFFICER, districts=["330503"])


async def _firms(client: httpx.AsyncClient) -> dict[str, str]:
    """F1 吴兴 tech_sme + HNTE; F2 吴兴 SRDI + innovative; F3 南浔 little giant; F4 德清 HNTE by honour; F5 南浔 with
    only an expired and a revoked certificate."""
    url = database_url(client)
    ids = {
        "F1": await register(client, 201, "330502", industry_code="C3981", sector="advanced_manufacturing"),
        "F2": await register(client, 202, "330502", industry_code="I6510", sector="digital_services"),
        "F3": await register(client, 203, "330503", industry_code="C2611", sector="advanced_manufacturing"),
        "F4": await register(client, 204, "330521"),
        "F5": await register(client, 205, "330503", industry_code="C3311", sector="strategic_emerging"),
    }
    await add_certification(url, ids["F1"], "tech_sme", LONG_AGO, LATER)
    await add_certification(url, ids["F1"], "hnte", LONG_AGO, LATER)
    await add_certification(url, ids["F2"], "srdi_sme", LONG_AGO, LATER)
    await add_certification(url, ids["F2"], "innovative_sme", LONG_AGO, LATER)
    await add_certification(url, ids["F3"], "little_giant", LONG_AGO, LATER)
    await add_honour(url, ids["F4"], "certification", certification_kind="hnte", number="GR202533000123",
                     valid_from=LONG_AGO, valid_until=LATER)
    await add_certification(url, ids["F5"], "srdi_sme", LONG_AGO - timedelta(days=1000), TODAY - timedelta(days=1))
    await add_certification(url, ids["F5"], "tech_sme", LONG_AGO, LATER, status="revoked")
    return ids


async def test_funnel_and_tier_counts_follow_the_certificates_held_today(registry_client: httpx.AsyncClient) -> None:
    await _firms(registry_client)
    funnel = await registry_client.get("/v1/statistics/funnel", headers=ADMIN)
    assert funnel.status_code == 200, funnel.text
    body = funnel.json()
    assert [(s["stage"], s["reached"], s["holding"]) for s in body["stages"]] == [
        ("registered", 5, 5), ("tech_innovative_sme", 3, 2), ("srdi_sme", 2, 1), ("little_giant", 1, 1)]
    assert [s["share_of_previous"] for s in body["stages"]] == [None, "0.6000", "0.6667", "0.5000"]
    assert body["hnte"] == {"holding": 2, "share_of_registered": "0.4000"}

    tiers = await registry_client.get("/v1/statistics/counts", params={"by": "tier"}, headers=ADMIN)
    assert {g["key"]: g["count"] for g in tiers.json()["groups"]} == {
        "tech_sme": 1, "innovative_sme": 1, "tech_innovative_sme": 0, "srdi_sme": 1, "little_giant": 1, "hnte": 2,
        None: 1}
    # An officer of 南浔 sees F3 and F5 only.
    mine = await registry_client.get("/v1/statistics/funnel", headers=NANXUN)
    assert [(s["stage"], s["reached"]) for s in mine.json()["stages"]] == [
        ("registered", 2), ("tech_innovative_sme", 1), ("srdi_sme", 1), ("little_giant", 1)]
    assert mine.json()["hnte"]["holding"] == 0


async def test_counts_by_pool_district_sector_and_size_class(registry_client: httpx.AsyncClient) -> None:
    url = database_url(registry_client)
    ids = await _firms(registry_client)
    for name in ("F1", "F3"):
        response = await registry_client.post(f"/v1/enterprises/{ids[name]}/pool-changes", headers=ADMIN,
                                              json={"to_pool": "seedling_pool", "reason": "入库"})
        assert response.status_code == 201
    await registry_client.post(f"/v1/enterprises/{ids['F3']}/pool-changes", headers=ADMIN,
                               json={"to_pool": "cultivation_pool", "reason": "晋级"})
    await set_enterprise(url, ids["F1"], size_class="small")
    await set_enterprise(url, ids["F2"], size_class="micro")
    await set_enterprise(url, ids["F3"], size_class="small")

    async def groups(by: str, headers: dict[str, str] = ADMIN) -> dict[str | None, int]:
        response = await registry_client.get("/v1/statistics/counts", params={"by": by}, headers=headers)
        assert response.status_code == 200, response.text
        return {g["key"]: g["count"] for g in response.json()["groups"]}

    assert await groups("pool") == {"seedling_pool": 1, "cultivation_pool": 1, None: 3}
    assert await groups("district") == {"330502": 2, "330503": 2, "330521": 1, "330522": 0, "330523": 0, None: 0}
    assert await groups("sector") == {"advanced_manufacturing": 2, "strategic_emerging": 1, "future_industries": 0,
                                      "digital_services": 1, None: 1}
    assert await groups("size_class") == {"large": 0, "medium": 0, "small": 2, "micro": 1, None: 2}
    assert await groups("district", NANXUN) == {"330503": 2, None: 0}
    assert await groups("pool", NANXUN) == {"seedling_pool": 0, "cultivation_pool": 1, None: 1}
    narrowed = await registry_client.get("/v1/statistics/counts", params={"by": "pool", "district_code": "330502"},
                                         headers=ADMIN)
    assert narrowed.json()["total"] == 2


async def test_progress_counts_registrations_by_huzhou_year(registry_client: httpx.AsyncClient) -> None:
    url = database_url(registry_client)
    ids = [await register(registry_client, 300 + i, "330502") for i in range(4)]
    # 15:00 UTC on 31 December is 23:00 in Huzhou (still the old year); 17:00 UTC is 01:00 on 1 January.
    await set_enterprise(url, ids[0], created_at=datetime(2025, 12, 31, 15, 0, tzinfo=UTC))
    await set_enterprise(url, ids[1], created_at=datetime(2025, 12, 31, 17, 0, tzinfo=UTC))
    await set_enterprise(url, ids[2], created_at=datetime(2024, 6, 1, tzinfo=UTC))
    response = await registry_client.get("/v1/statistics/progress", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["target"], body["registered"], body["remaining"], body["share_of_target"]) == (3000, 4, 2996, "0.0013")
    by_year = {y["year"]: (y["registered"], y["cumulative"]) for y in body["years"]}
    assert by_year[2024] == (1, 1) and by_year[2025] == (1, 2)
    assert by_year[YEAR] == ((2, 4) if YEAR == 2026 else (1, 4))
    assert max(by_year) == YEAR
    assert (await registry_client.get("/v1/statistics/progress", headers=NANXUN)).json()["registered"] == 0


async def test_digital_coverage_of_above_scale_industrial_firms(registry_client: httpx.AsyncClient) -> None:
    url = database_url(registry_client)
    ids = await _firms(registry_client)
    t = YEAR - 1
    await add_figures(url, ids["F1"], t, operating_revenue_fen=3000 * WAN)  # industrial, above the line
    await add_figures(url, ids["F3"], t, operating_revenue_fen=2000 * WAN)  # exactly on the line: above-scale
    await add_figures(url, ids["F2"], t, operating_revenue_fen=5000 * WAN)  # software: not industry
    await add_figures(url, ids["F5"], t, operating_revenue_fen=2000 * WAN - 1)  # one fen short
    await add_figures(url, ids["F1"], t - 1, operating_revenue_fen=9000 * WAN)
    await add_honour(url, ids["F1"], "digital_ladder", stage="digital_workshop", year=t - 1)
    await add_honour(url, ids["F1"], "digital_ladder", stage="smart_factory", year=t)
    await add_honour(url, ids["F2"], "digital_ladder", stage="future_factory", year=t)  # not above-scale
    await add_honour(url, ids["F3"], "digital_ladder", stage="future_factory", year=t + 1)  # after the year
    await add_honour(url, ids["F5"], "digital_ladder", stage="digital_workshop", year=t)

    response = await registry_client.get("/v1/statistics/digital-coverage", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["year"], body["above_scale"], body["covered"], body["coverage"]) == (t, 2, 1, "0.5000")
    assert body["industry_doors"] == ["B", "C", "D"] and body["min_revenue_fen"] == 2000 * WAN
    assert [(s["stage"], s["highest"], s["at_least"]) for s in body["stages"]] == [
        ("digital_workshop", 0, 1), ("smart_factory", 1, 1), ("future_factory", 0, 0)]
    lower_line = await registry_client.get("/v1/statistics/digital-coverage", params={"min_revenue_wan": 1000},
                                           headers=ADMIN)
    assert (lower_line.json()["above_scale"], lower_line.json()["covered"]) == (3, 2)
    with_services = await registry_client.get("/v1/statistics/digital-coverage", params={"industry_doors": "C,I"},
                                              headers=ADMIN)
    assert (with_services.json()["above_scale"], with_services.json()["covered"]) == (3, 2)
    earlier = await registry_client.get("/v1/statistics/digital-coverage", params={"year": t - 1}, headers=ADMIN)
    assert (earlier.json()["above_scale"], earlier.json()["covered"]) == (1, 1)
    mine = await registry_client.get("/v1/statistics/digital-coverage", headers=NANXUN)
    assert (mine.json()["above_scale"], mine.json()["covered"]) == (1, 0)


async def test_statistics_refusals(registry_client: httpx.AsyncClient) -> None:
    for path, params in (("/v1/statistics/progress", {}), ("/v1/statistics/funnel", {}),
                         ("/v1/statistics/digital-coverage", {}), ("/v1/statistics/counts", {"by": "pool"})):
        assert (await registry_client.get(path, params=params)).status_code == 401
        for role in (Role.ENTERPRISE, Role.REVIEWER, Role.PARK_OPERATOR):
            assert (await registry_client.get(path, params=params, headers=token(role))).status_code == 403
        outside = await registry_client.get(path, params={**params, "district_code": "330502"}, headers=NANXUN)
        assert outside.status_code == 403 and outside.json()["errors"][0]["field"] == "district_code"
    bad_dimension = await registry_client.get("/v1/statistics/counts", params={"by": "colour"}, headers=ADMIN)
    assert bad_dimension.status_code == 422 and bad_dimension.json()["errors"][0]["field"] == "by"
    bad_doors = await registry_client.get("/v1/statistics/digital-coverage", params={"industry_doors": "C;D"},
                                          headers=ADMIN)
    assert bad_doors.status_code == 422
    future = await registry_client.get("/v1/statistics/digital-coverage", params={"year": YEAR + 1}, headers=ADMIN)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "year"
    empty = await registry_client.get("/v1/statistics/digital-coverage", headers=ADMIN)
    assert empty.json() == {"year": None, "min_revenue_fen": 2000 * 1_000_000, "industry_doors": ["B", "C", "D"],
                            "above_scale": 0, "covered": 0, "coverage": None, "stages": [
                                {"stage": s, "highest": 0, "at_least": 0, "coverage": None}
                                for s in ("digital_workshop", "smart_factory", "future_factory")]}
