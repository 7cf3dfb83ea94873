"""Usage and voucher reports of the resource pool, on PostgreSQL and SQLite: per provider, district (the firm's) and
sector, over a span of dates, in the caller's scope, as JSON and as an XLSX workbook."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
from openpyxl import load_workbook

from shared.auth import Role
from tests.funding.resources_support import (
    ADMIN,
    FIRM,
    FIRM_USCC,
    INSTITUTE,
    MONDAY,
    OTHER_FIRM,
    OTHER_INSTITUTE,
    OTHER_USCC,
    add_firms,
    at,
    book,
    create_resource,
    deliver,
    issue,
    redeem,
    voucher_round,
)
from tests.registry.pools_support import expect_problem
from tests.support import token

OTHER_INSTITUTE_ID = "hznu"


def _url(client: httpx.AsyncClient) -> str:
    return client.database_url  # type: ignore[attr-defined,no-any-return]


async def _world(client: httpx.AsyncClient) -> dict[str, Any]:
    """Firm A (吴兴, advanced manufacturing) and firm B (南浔, digital services); a SEM of 浙江大学湖州研究院 (吴兴) and
    a GPU of 湖州师范学院 (南浔). A books 2 h of SEM (delivered, paid 1200 元 wholly by its voucher) and 1 h cancelled;
    B books 3 h of GPU at 12 元 (delivered, no voucher)."""
    await add_firms(_url(client), [FIRM_USCC])
    await add_firms(_url(client), [OTHER_USCC], district="330503", sector="digital_services")
    round_ = await voucher_round(client)
    voucher = (await issue(client, round_["id"], FIRM_USCC)).json()
    await issue(client, round_["id"], OTHER_USCC)
    sem = await create_resource(client)
    gpu = await create_resource(client, headers=OTHER_INSTITUTE, kind="compute", name="GPU 算力",
                                provider={"name": "湖州师范学院", "provider_class": "compute_centre",
                                          "institute_id": OTHER_INSTITUTE_ID},
                                district_code="330503", unit="hour", unit_price_fen=1_200)
    a = (await book(client, sem, at(MONDAY, 9), at(MONDAY, 11), voucher_ids=[voucher["id"]])).json()
    await deliver(client, a["id"])
    assert (await redeem(client, a["id"], voucher["id"])).status_code == 201
    cancelled = (await book(client, sem, at(MONDAY, 14), at(MONDAY, 15))).json()
    await client.post(f"/v1/bookings/{cancelled['id']}/transitions", json={"action": "cancel"}, headers=FIRM)
    b = (await book(client, gpu, at(MONDAY, 13, 30), at(MONDAY, 16, 30), headers=OTHER_FIRM)).json()
    delivered = await client.post(f"/v1/bookings/{b['id']}/transitions", json={"action": "deliver"},
                                  headers=OTHER_INSTITUTE)
    assert delivered.status_code == 200
    return {"round": round_}


async def test_usage_per_provider_district_and_sector(funding_client: httpx.AsyncClient) -> None:
    await _world(funding_client)
    by_provider = (await funding_client.get("/v1/resource-reports/usage", headers=ADMIN)).json()
    rows = {r["key"]: r for r in by_provider["rows"]}
    assert rows["浙江大学湖州研究院"] == {"key": "浙江大学湖州研究院", "label": "浙江大学湖州研究院", "bookings": 1, "delivered": 1,
                                   "cancelled": 1, "hours": 2, "fee_fen": 120_000, "voucher_paid_fen": 120_000,
                                   "firms": 1}
    assert rows["湖州师范学院"]["fee_fen"] == 3 * 1_200 and rows["湖州师范学院"]["hours"] == 3
    assert by_provider["total"]["fee_fen"] == 123_600 and by_provider["total"]["bookings"] == 2
    by_district = (await funding_client.get("/v1/resource-reports/usage", params={"by": "district"},
                                            headers=ADMIN)).json()
    assert [(r["key"], r["label"], r["fee_fen"]) for r in by_district["rows"]] == [
        ("330502", "吴兴区", 120_000), ("330503", "南浔区", 3_600)]
    by_sector = (await funding_client.get("/v1/resource-reports/usage", params={"by": "sector"},
                                          headers=ADMIN)).json()
    assert {r["label"] for r in by_sector["rows"]} == {"先进制造业", "数字服务业"}
    # The span: nothing starts the week before.
    before = (await funding_client.get("/v1/resource-reports/usage", headers=ADMIN, params={
        "from": (MONDAY - timedelta(days=7)).isoformat(), "to": (MONDAY - timedelta(days=1)).isoformat()})).json()
    assert before["rows"] == [] and before["total"]["bookings"] == 0
    expect_problem(await funding_client.get("/v1/resource-reports/usage", headers=ADMIN, params={
        "from": MONDAY.isoformat(), "to": (MONDAY - timedelta(days=1)).isoformat()}), 422)


async def test_reports_cover_only_what_the_caller_may_read(funding_client: httpx.AsyncClient) -> None:
    await _world(funding_client)
    wuxing = token(Role.OFFICER, districts=["330502"])
    mine = (await funding_client.get("/v1/resource-reports/usage", headers=wuxing)).json()
    assert [r["key"] for r in mine["rows"]] == ["浙江大学湖州研究院"]
    own = (await funding_client.get("/v1/resource-reports/usage", headers=OTHER_INSTITUTE)).json()
    assert [r["key"] for r in own["rows"]] == ["湖州师范学院"]
    expect_problem(await funding_client.get("/v1/resource-reports/usage", headers=FIRM), 403)
    vouchers = (await funding_client.get("/v1/resource-reports/vouchers", headers=wuxing)).json()
    assert [(r["key"], r["vouchers_issued"]) for r in vouchers["rows"]] == [("330502", 1)]


async def test_voucher_report_per_district_and_provider(funding_client: httpx.AsyncClient) -> None:
    world = await _world(funding_client)
    by_district = (await funding_client.get("/v1/resource-reports/vouchers", headers=ADMIN)).json()
    assert [(r["label"], r["vouchers_issued"], r["issued_fen"], r["redemptions"], r["redeemed_fen"])
            for r in by_district["rows"]] == [("吴兴区", 1, 2_000_000, 1, 120_000), ("南浔区", 1, 2_000_000, 0, 0)]
    by_provider = (await funding_client.get("/v1/resource-reports/vouchers", params={"by": "provider"},
                                            headers=INSTITUTE)).json()
    assert [(r["key"], r["vouchers_issued"], r["redeemed_fen"], r["firms"]) for r in by_provider["rows"]] == [
        ("浙江大学湖州研究院", 0, 120_000, 1)]
    by_round = (await funding_client.get("/v1/resource-reports/vouchers", params={"by": "round"},
                                         headers=ADMIN)).json()
    assert [(r["key"], r["label"], r["issued_fen"]) for r in by_round["rows"]] == [
        (world["round"]["id"], world["round"]["name"], 4_000_000)]


async def test_reports_as_xlsx_workbooks(funding_client: httpx.AsyncClient) -> None:
    await _world(funding_client)
    response = await funding_client.get("/v1/resource-reports/usage", params={"by": "district", "format": "xlsx"},
                                        headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="resource-usage-by-district.xlsx"' in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert sheet.title == "资源使用" and rows[0][:2] == ["统计维度", "区县"]
    assert rows[2][:3] == ["代码", "名称", "预约数"]
    assert rows[3][:2] == ["330502", "吴兴区"] and rows[3][6] == 120_000
    assert rows[-1][1] == "合计" and rows[-1][6] == 123_600
    vouchers = await funding_client.get("/v1/resource-reports/vouchers", params={"format": "xlsx"}, headers=ADMIN)
    sheet = load_workbook(io.BytesIO(vouchers.content)).active
    assert sheet.title == "创新券" and [c.value for c in sheet[3]][:4] == ["代码", "名称", "发放张数", "发放金额（分）"]
