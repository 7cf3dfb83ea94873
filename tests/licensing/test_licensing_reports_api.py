"""Reports per institute and year, as JSON and XLSX, on PostgreSQL and SQLite: income received, licences that took
effect by mode, firms reached; an institute reads its own only."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
from openpyxl import load_workbook

from tests.licensing.licensing_support import (
    ADMIN,
    FIRM,
    FIRM_USCC,
    HOLDER,
    HZNU,
    OTHER_INSTITUTE,
    OTHER_USCC,
    THIRD_USCC,
    TODAY,
    add_firms,
    create_patent,
    grant_body,
    key,
)
from tests.registry.pools_support import database_url, expect_problem


async def test_a_year_of_an_institute_in_json_and_xlsx(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    await add_firms(database_url(client), (FIRM_USCC, "330502"), (OTHER_USCC, "330503"), (THIRD_USCC, "330502"))
    first = await create_patent(client)
    second = await create_patent(client, number="202010566088.9", publication_numbers=[])
    for patent, body in ((first, grant_body("ordinary", FIRM_USCC)), (first, grant_body("ordinary", OTHER_USCC)),
                         (second, grant_body("exclusive", FIRM_USCC)),
                         (second, grant_body("ordinary", THIRD_USCC, start_days=400, end_days=500))):
        made = await client.post(f"/v1/patents/{patent['id']}/licences", json=body, headers={**HOLDER, **key()})
        assert made.status_code in (201, 409), made.text
    licences = (await client.get("/v1/licences", headers=HOLDER)).json()["items"]
    paid = [lic for lic in licences if lic["licensee_uscc"] == FIRM_USCC][0]
    payment = await client.post(f"/v1/licences/{paid['id']}/payments",
                                json={"amount_fen": 1_500_000, "paid_on": TODAY.isoformat()},
                                headers={**FIRM, **key()})
    assert payment.status_code == 201, payment.text

    report = await client.get("/v1/reports/institutes", params={"year": TODAY.year}, headers=HOLDER)
    assert report.status_code == 200, report.text
    [row] = report.json()["rows"]
    this_year = [lic for lic in licences if lic["effective_on"] and lic["effective_on"].startswith(str(TODAY.year))]
    assert row["institute_id"] == HZNU and row["holder_name"] == "湖州师范学院"
    assert row["income_fen"] == 1_500_000 and row["payments"] == 1
    assert row["licences"] == len(this_year)
    assert row["firms_reached"] == len({lic["licensee_uscc"] for lic in this_year})
    assert sum(row["licences_by_mode"].values()) == row["licences"]
    assert report.json()["total"]["income_fen"] == 1_500_000

    other = (await client.get("/v1/reports/institutes", params={"year": TODAY.year},
                              headers=OTHER_INSTITUTE)).json()
    assert other["rows"] == [] and other["total"]["income_fen"] == 0
    expect_problem(await client.get("/v1/reports/institutes", params={"institute_id": HZNU},
                                    headers=OTHER_INSTITUTE), 403)
    expect_problem(await client.get("/v1/reports/institutes", headers=FIRM), 403)

    book = await client.get("/v1/reports/institutes", params={"year": TODAY.year, "format": "xlsx"}, headers=ADMIN)
    assert book.status_code == 200 and book.headers["content-type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(book.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("机构账号", "机构名称", "年度", "收入(分)")
    assert rows[1][0] == HZNU and rows[1][3] == 1_500_000 and rows[-1][1] == "合计"
    last_year = await client.get("/v1/reports/institutes", params={"year": (TODAY - timedelta(days=366)).year},
                                 headers=ADMIN)
    assert last_year.json()["rows"] == []
