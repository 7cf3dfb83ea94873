"""Funding reports through the API, on PostgreSQL and SQLite: budget use by programme and round (the ledger), by
district and tier (the awards), in the caller's scope; the open award data as JSON (the documented schema) and as
XLSX, without a token, with nothing but awards in it."""

from __future__ import annotations

import io
from datetime import date

import httpx
from openpyxl import load_workbook

from tests.funding.support import (
    ADMIN,
    CITY_OFFICER,
    DEQING_OFFICER,
    TODAY,
    WUXING_OFFICER,
    add_firm,
    apply,
    approved,
    moved,
    ok,
    open_round,
)


async def _world(client: httpx.AsyncClient) -> dict[str, object]:
    first = await open_round(client, budget_fen=10**8)
    second = await open_round(client, budget_fen=5 * 10**7)
    wuxing = await add_firm(client, 71, tiers=("srdi_sme", "hnte"))
    deqing = await add_firm(client, 72, district="330521", tiers=("tech_sme",))
    a = await approved(client, wuxing, first["id"], 30_000_000)
    a = await moved(client, a, "sign_agreement", CITY_OFFICER)
    a = await moved(client, a, "disburse", CITY_OFFICER, tranche_index=0)
    b = await approved(client, deqing, second["id"], 10_000_000, title="=HYPERLINK(\"http://x\")智能仓储系统")
    ok(await apply(client, wuxing, second["id"], requested_fen=100))  # a draft: not an award
    return {"first": first, "second": second, "a": a, "b": b}


async def test_budget_use_by_programme_round_district_and_tier(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    world = await _world(client)
    by_round = ok(await client.get("/v1/funding-reports/budget?by=round", headers=ADMIN), 200)
    groups = {g["key"]: g for g in by_round["groups"]}
    first = groups[world["first"]["id"]]  # type: ignore[index]
    assert (first["budget_fen"], first["committed_fen"], first["disbursed_fen"], first["available_fen"]) == (
        10**8, 30_000_000, 30_000_000, 7 * 10**7)
    assert by_round["totals"]["budget_fen"] == 15 * 10**7 and by_round["totals"]["committed_fen"] == 40_000_000
    by_programme = ok(await client.get("/v1/funding-reports/budget?by=programme", headers=ADMIN), 200)
    assert len(by_programme["groups"]) == 2 and by_programme["totals"] == by_round["totals"]

    by_district = ok(await client.get("/v1/funding-reports/budget?by=district", headers=ADMIN), 200)
    assert [(g["key"], g["committed_fen"], g["disbursed_fen"], g["awards"], g["firms"]) for g in by_district["groups"]] \
        == [("330502", 30_000_000, 30_000_000, 1, 1), ("330521", 10_000_000, 0, 1, 1)]
    by_tier = ok(await client.get("/v1/funding-reports/budget?by=tier", headers=ADMIN), 200)
    assert [(g["key"], g["committed_fen"]) for g in by_tier["groups"]] == [
        ("hnte", 30_000_000), ("srdi_sme", 30_000_000), ("tech_sme", 10_000_000)]
    assert by_tier["totals"]["committed_fen"] == 40_000_000  # each award once in the totals
    # An officer sees its district's awards only.
    mine = ok(await client.get("/v1/funding-reports/budget?by=district", headers=DEQING_OFFICER), 200)
    assert [g["key"] for g in mine["groups"]] == ["330521"]
    assert (await client.get("/v1/funding-reports/budget?by=firm", headers=ADMIN)).status_code == 422


async def test_open_award_data_as_json_and_xlsx_without_a_token(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    world = await _world(client)
    page = ok(await client.get(f"/v1/public/awards?year={TODAY.year}&limit=1"), 200)
    assert page["next_cursor"] and len(page["items"]) == 1
    rest = ok(await client.get(f"/v1/public/awards?year={TODAY.year}&cursor={page['next_cursor']}"), 200)
    awards = {a["awardId"]: a for a in page["items"] + rest["items"]}
    assert set(awards) == {world["a"]["id"], world["b"]["id"]}  # type: ignore[index]
    a = awards[world["a"]["id"]]  # type: ignore[index]
    assert a["id"] == f"seedbed-huzhou-{a['awardId']}" and a["currency"] == "CNY"
    assert (a["amountAwarded"], a["amountAwardedFen"], a["amountDisbursedFen"]) == ("300000.00", 30_000_000,
                                                                                   30_000_000)
    assert a["recipientOrganization"][0]["id"].startswith("CN-USCC-91330502")
    assert a["fundingOrganization"] == [{"name": "湖州市", "level": "city"}]
    assert a["grantProgramme"][0]["instrument"] == "grant" and a["awardMode"] == "application"
    assert date.fromisoformat(a["awardDate"]) == TODAY
    assert ok(await client.get(f"/v1/public/awards?year={TODAY.year - 1}"), 200)["items"] == []

    xlsx = await client.get(f"/v1/public/awards.xlsx?year={TODAY.year}")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content))["资助公示"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "标识 id" and len(rows) == 3
    titles = {r[1]: r for r in rows[1:]}
    injected = titles["=HYPERLINK(\"http://x\")智能仓储系统"]
    assert injected[10] == 10_000_000
    # Written as text: a spreadsheet opening the file runs no formula.
    cell = next(c for c in sheet["B"] if c.value == "=HYPERLINK(\"http://x\")智能仓储系统")
    assert cell.data_type == "s"
    assert (await client.get("/v1/funding-reports/budget", headers=WUXING_OFFICER)).status_code == 200
