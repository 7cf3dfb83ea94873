"""The funding demo (`make run`) loads through the API: a voucher programme and round with terms, the Huzhou-area
resources, vouchers for the registry's firms, bookings delivered and paid; a second run adds nothing."""

from __future__ import annotations

import httpx

from services.funding.demo import RESOURCES, load
from tests.funding.resources_support import ADMIN, add_firms
from tests.support import count_rows, make_uscc

FIRMS = [make_uscc(8100 + i) for i in range(6)]


async def test_the_demo_loads_once_and_a_second_run_adds_nothing(funding_client: httpx.AsyncClient) -> None:
    url = funding_client.database_url  # type: ignore[attr-defined]
    await add_firms(url, FIRMS)
    tally = await load(funding_client, FIRMS, wait_seconds=0)
    assert tally.refused == [], tally.refused
    assert tally.done["resource"] == len(RESOURCES) and tally.done["voucher"] == len(FIRMS)
    assert tally.done["redemption"] == 4 and tally.done["cancelled"] == 1
    counts = {table: await count_rows(url, table) for table in
              ("programmes", "fund_rounds", "voucher_terms", "innovation_resources", "vouchers", "resource_bookings",
               "voucher_redemptions", "ledger_entries")}
    assert counts["resource_bookings"] == 8 and counts["voucher_redemptions"] == 4
    again = await load(funding_client, FIRMS, wait_seconds=0)
    assert again.refused == [], again.refused
    assert {table: await count_rows(url, table) for table in counts} == counts
    report = (await funding_client.get("/v1/resource-reports/vouchers", params={"by": "provider"},
                                       headers=ADMIN)).json()
    assert {r["key"] for r in report["rows"]} == {"湖州市检验检测中心", "南太湖智算中心", "湖州市公共数据授权运营平台"}

