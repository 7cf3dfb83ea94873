"""Bookings, redemptions and voucher issues as providers and programme offices need them, through the funding API
on PostgreSQL and SQLite: a booking never starts in the past nor inside the resource's lead time (its own, or the
service's default of 24 hours), refused naming ``starts_at``; a redemption records the provider's evidence of
delivery (required), shown with the voucher and in the voucher report (JSON and XLSX); an officer cannot issue a
voucher to a firm whose eligibility needs review, and is told which rule is open."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import httpx
from openpyxl import load_workbook

from tests.funding.resources_support import (
    FIRM_USCC,
    INSTITUTE,
    MONDAY,
    TERMS,
    ZONE,
    add_firms,
    at,
    book,
    create_resource,
    deliver,
    issue,
    redeem,
    resource_body,
    voucher_round,
)
from tests.funding.support import CITY_OFFICER, open_round
from tests.registry.pools_support import expect_problem
from tests.support import count_rows, make_uscc


def _url(client: httpx.AsyncClient) -> str:
    return client.database_url  # type: ignore[attr-defined,no-any-return]


def around_the_clock() -> dict[str, object]:
    """Open from yesterday to a month ahead, day and night (a compute centre)."""
    start = datetime.now(ZONE).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    return {"windows": [{"start": start.isoformat(), "end": (start + timedelta(days=30)).isoformat()}]}


def in_hours(hours: float) -> tuple[str, str]:
    start = (datetime.now(ZONE) + timedelta(hours=hours)).replace(second=0, microsecond=0)
    return start.isoformat(), (start + timedelta(hours=1)).isoformat()


async def test_a_booking_starts_in_the_future_and_no_sooner_than_the_lead_time(
        funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, _url(funding_client)
    await add_firms(url, [FIRM_USCC])
    gpu = await create_resource(client, kind="compute", name="GPU 算力（A800）", unit="hour",
                                availability=around_the_clock())
    assert gpu["lead_time_hours"] is None  # the service's default applies

    past = expect_problem(await book(client, gpu, *in_hours(-2)), 422)
    assert (past["code"], past["errors"][0]["field"]) == ("in_the_past", "starts_at")
    soon = expect_problem(await book(client, gpu, *in_hours(23)), 422)
    assert (soon["code"], soon["errors"][0]["field"], soon["lead_time_hours"]) == ("inside_lead_time", "starts_at", 24)
    assert datetime.fromisoformat(soon["earliest_start"]) > datetime.now(ZONE) + timedelta(hours=23)
    assert await count_rows(url, "resource_bookings") == 0
    assert (await book(client, gpu, *in_hours(25))).status_code == 201

    # The provider's own lead time: none for compute taken at once; two days for an instrument.
    current = await client.get(f"/v1/resources/{gpu['id']}", headers=INSTITUTE)
    patched = await client.patch(f"/v1/resources/{gpu['id']}", json={"lead_time_hours": 0},
                                 headers={**INSTITUTE, "If-Match": current.headers["ETag"]})
    assert patched.status_code == 200 and patched.json()["lead_time_hours"] == 0
    assert (await book(client, gpu, *in_hours(2))).status_code == 201
    assert expect_problem(await book(client, gpu, *in_hours(-1)), 422)["code"] == "in_the_past"
    sem = await create_resource(client, lead_time_hours=48)
    assert sem["lead_time_hours"] == 48
    assert (await book(client, sem, at(MONDAY, 9), at(MONDAY, 10))).status_code == 201
    far = await create_resource(client, name="透射电子显微镜", lead_time_hours=24 * 30)
    refused = expect_problem(await book(client, far, at(MONDAY, 9), at(MONDAY, 10)), 422)
    assert (refused["code"], refused["lead_time_hours"]) == ("inside_lead_time", 720)
    negative = await client.post("/v1/resources", json=resource_body(lead_time_hours=-1), headers=INSTITUTE)
    assert expect_problem(negative, 422)["errors"][0]["field"] == "lead_time_hours"


async def test_a_redemption_records_the_providers_evidence_shown_with_the_voucher_and_in_the_report(
        funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, _url(funding_client)
    await add_firms(url, [FIRM_USCC])
    round_ = await voucher_round(client)
    voucher = (await issue(client, round_["id"], FIRM_USCC)).json()
    sem = await create_resource(client)
    booking = (await book(client, sem, at(MONDAY, 9), at(MONDAY, 10), voucher_ids=[voucher["id"]])).json()
    await deliver(client, booking["id"])

    missing = expect_problem(await redeem(client, booking["id"], voucher["id"], evidence=None), 422)
    assert missing["errors"][0]["field"] == "evidence"
    assert expect_problem(await redeem(client, booking["id"], voucher["id"], evidence="  "), 422)["errors"][0][
        "field"] == "evidence"
    assert await count_rows(url, "voucher_redemptions") == 0
    evidence = "=HYPERLINK(\"x\") 检测报告 HZJC-2026-0117；发票 33002612345678"
    paid = await redeem(client, booking["id"], voucher["id"], evidence=evidence)
    assert paid.status_code == 201 and paid.json()["evidence"] == evidence

    read = (await client.get(f"/v1/vouchers/{voucher['id']}", headers=CITY_OFFICER)).json()
    assert [r["evidence"] for r in read["redemptions"]] == [evidence]
    report = (await client.get("/v1/resource-reports/vouchers", params={"by": "provider"}, headers=CITY_OFFICER)).json()
    (line,) = report["redemptions"]
    assert (line["booking_id"], line["evidence"], line["amount_fen"]) == (booking["id"], evidence,
                                                                         paid.json()["amount_fen"])
    sheet = await client.get("/v1/resource-reports/vouchers", params={"by": "provider", "format": "xlsx"},
                             headers=CITY_OFFICER)
    detail = load_workbook(io.BytesIO(sheet.content))["兑付明细"]
    rows = list(detail.iter_rows(values_only=True))
    assert rows[0][-1] == "服务凭证" and rows[1][-1] == evidence  # text, never run as a formula
    assert detail.cell(row=2, column=len(rows[0])).data_type == "s"
    # The provider's report shows it too; another institute's shows nothing of it.
    mine = (await client.get("/v1/resource-reports/vouchers", params={"by": "provider"}, headers=INSTITUTE)).json()
    assert [r["evidence"] for r in mine["redemptions"]] == [evidence]


async def test_an_officer_cannot_issue_a_voucher_to_a_firm_whose_eligibility_needs_review(
        funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, _url(funding_client)
    unknown_size, small = make_uscc(5201), make_uscc(5202)
    await add_firms(url, [unknown_size], size_class=None)  # type: ignore[arg-type]
    await add_firms(url, [small])
    round_ = await open_round(client, instrument="innovation_voucher",
                              eligibility=[{"kind": "size_class", "values": ["micro", "small"], "label": "小微企业"}])
    assert (await client.put(f"/v1/rounds/{round_['id']}/voucher-terms", json=TERMS,
                             headers=CITY_OFFICER)).status_code == 201
    refused = expect_problem(await issue(client, round_["id"], unknown_size), 422)
    assert (refused["code"], refused["errors"][0]["field"]) == ("needs_review", "enterprise_uscc")
    assert [f["rule"] for f in refused["failed"]] == ["size_class:micro,small"]
    assert await count_rows(url, "vouchers") == 0
    assert await count_rows(url, "ledger_entries", "WHERE kind = 'voucher_issued'") == 0
    assert (await issue(client, round_["id"], small)).status_code == 201
