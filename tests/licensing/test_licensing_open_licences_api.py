"""The open licence (开放许可, arts. 50–52) through the API, on PostgreSQL and on SQLite: the declaration and each
refusal the law sets, written notice + payment (the licence takes effect when both hold, under an Idempotency-Key),
withdrawal that leaves granted licences untouched, and no exclusive licence while the declaration stands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.licensing.licensing_support import (
    ADMIN,
    FIRM,
    FIRM_USCC,
    HOLDER,
    OTHER_FIRM,
    OTHER_USCC,
    TODAY,
    add_firms,
    create_patent,
    field_of,
    grant_body,
    key,
)
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.support import count_rows

DECLARED = "seedbed.licensing.patent.open_licence_declared.v1"
WITHDRAWN = "seedbed.licensing.patent.open_licence_withdrawn.v1"
GRANTED = "seedbed.licensing.licence.granted.v1"


def declaration(**changes: Any) -> dict[str, Any]:
    body = {"royalty": {"mode": "entry_fee_plus_royalty", "entry_fee_fen": 2_000_000, "rate": "0.03",
                        "basis": "net_sales"},
            "standard": "入门费2万元，许可期内每季度按净销售额3%支付提成", "term_start": TODAY.isoformat(),
            "term_end": (TODAY + timedelta(days=3 * 365)).isoformat()}
    return {**body, **changes}


async def _declared(client: httpx.AsyncClient, **patent: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    await add_firms(database_url(client), (FIRM_USCC, "330502"), (OTHER_USCC, "330503"))
    made = await create_patent(client, **patent)
    response = await client.post(f"/v1/patents/{made['id']}/open-licence", json=declaration(), headers=HOLDER)
    assert response.status_code == 201, response.text
    return made, response.json()


async def _notice(client: httpx.AsyncClient, patent: dict[str, Any], headers: dict[str, str] = FIRM,
                  **body: Any) -> httpx.Response:
    return await client.post(f"/v1/patents/{patent['id']}/open-licence/notices",
                             json={"notice_on": TODAY.isoformat(), **body}, headers={**headers, **key()})


async def test_notice_and_payment_make_the_licence_in_either_order(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent, declared = await _declared(client)
    assert declared["status"] == "in_force" and declared["upfront_fen"] == 2_000_000
    [event] = await outbox_payloads(url, DECLARED)
    assert event["royalty_mode"] == "entry_fee_plus_royalty" and event["royalty_rate"] == "0.03"
    listed = (await client.get(f"/v1/patents/{patent['id']}", headers=OTHER_FIRM)).json()
    assert listed["listing"] == "listed" and listed["modes_offered"] == ["open_licence"]
    assert listed["open_licence_id"] == declared["id"]

    # Notice first, no payment: pending, nothing granted yet.
    pending = await _notice(client, patent)
    assert pending.status_code == 201, pending.text
    assert pending.json()["status"] == "pending" and pending.json()["effective_on"] is None
    assert await outbox_payloads(url, GRANTED) == []
    # Half the entry fee: still pending. The rest: in effect, from the day the payment completed it.
    licence = pending.json()
    pay = f"/v1/licences/{licence['id']}/payments"
    half = await client.post(pay, json={"amount_fen": 1_000_000, "paid_on": TODAY.isoformat()},
                             headers={**FIRM, **key()})
    assert half.status_code == 201 and half.json()["licence_status"] == "pending"
    rest_key = {"Idempotency-Key": "pay-rest-001"}
    later = (TODAY + timedelta(days=2)).isoformat()
    rest = await client.post(pay, json={"amount_fen": 1_000_000, "paid_on": later, "reference": "ZJRCB-20261203-77"},
                             headers={**FIRM, **rest_key})
    assert rest.status_code == 201 and rest.json()["licence_status"] == "active"
    assert rest.json()["licence_effective_on"] == later
    replay = await client.post(pay, json={"amount_fen": 1_000_000, "paid_on": later,
                                          "reference": "ZJRCB-20261203-77"}, headers={**FIRM, **rest_key})
    assert replay.json() == rest.json() and replay.headers["Idempotent-Replayed"] == "true"
    assert len((await client.get(pay, headers=HOLDER)).json()) == 2
    [granted] = await outbox_payloads(url, GRANTED)
    assert granted["kind"] == "open" and granted["licensee_uscc"] == FIRM_USCC and granted["effective_on"] == later

    # Notice with the payment: in effect at once. The same firm does not take it twice.
    both = await _notice(client, patent, OTHER_FIRM,
                         payment={"amount_fen": 2_000_000, "paid_on": TODAY.isoformat(), "reference": "HZB-1"})
    assert both.status_code == 201 and both.json()["status"] == "active"
    assert field_of(expect_problem(await _notice(client, patent), 409)) == "licensee_uscc"
    assert len(await outbox_payloads(url, GRANTED)) == 2
    schedule = (await client.get(f"/v1/licences/{licence['id']}/schedule", headers=FIRM)).json()
    assert schedule[0]["kind"] == "entry_fee" and schedule[0]["amount_fen"] == 2_000_000
    assert schedule[0]["status"] == "paid" and schedule[0]["paid_fen"] == 2_000_000
    assert schedule[1]["kind"] == "running_royalty" and schedule[1]["rate"] == "0.03"
    assert schedule[1]["status"] == "upcoming"  # the first quarter ends in three months


async def test_withdrawal_is_published_and_leaves_granted_licences(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent, _ = await _declared(client)
    taken = (await _notice(client, patent, payment={"amount_fen": 2_000_000, "paid_on": TODAY.isoformat()})).json()
    # No exclusive or sole licence while the declaration stands (art. 51).
    exclusive = await client.post(f"/v1/patents/{patent['id']}/licences", json=grant_body("exclusive", OTHER_USCC),
                                  headers={**HOLDER, **key()})
    assert field_of(expect_problem(exclusive, 409)) == "kind"
    withdrawn = await client.post(f"/v1/patents/{patent['id']}/open-licence/withdrawal",
                                  json={"reason": "转为独占许可"}, headers=HOLDER)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert len(await outbox_payloads(url, WITHDRAWN)) == 1
    assert (await client.get(f"/v1/licences/{taken['id']}", headers=FIRM)).json()["status"] == "active"
    # Its only mode withdrawn, the patent left the list: a firm no longer finds it, nor takes a licence by notice.
    assert len(await outbox_payloads(url, "seedbed.licensing.patent.delisted.v1")) == 1
    expect_problem(await _notice(client, patent, OTHER_FIRM), 404)
    assert field_of(expect_problem(await _notice(client, patent, ADMIN, licensee_uscc=OTHER_USCC), 409)) == "patent"
    # The open licensee still holds its (nationwide) ordinary licence: a new exclusive one would overlap it.
    still = await client.post(f"/v1/patents/{patent['id']}/licences", json=grant_body("exclusive", OTHER_USCC),
                              headers={**HOLDER, **key()})
    assert field_of(expect_problem(still, 409)) == "term"


@pytest.mark.parametrize(("change", "field"), [
    ({"fee_status": "unpaid"}, "fee_status"),
    ({"pledge_status": "pledged", "pledgee": "湖州银行股份有限公司"}, "pledgee_consented"),
    ({"patentees": [{"name": "湖州师范学院", "consented": True, "consented_on": "2026-01-10"},
                    {"name": "浙江大学湖州研究院", "consented": False}]}, "patentees"),
    ({"legal_status": "pending", "granted_on": None}, "legal_status"),
])
async def test_a_declaration_is_refused_while_the_patent_is_not_clean(licensing_client: httpx.AsyncClient,
                                                                      change: dict[str, Any], field: str) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await create_patent(client)
    changed = await client.patch(f"/v1/patents/{patent['id']}", json=change, headers={**HOLDER, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    refused = await client.post(f"/v1/patents/{patent['id']}/open-licence", json=declaration(), headers=HOLDER)
    assert field_of(expect_problem(refused, 409)) == field
    assert await count_rows(url, "open_licence_declarations") == 0
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=DECLARED) == 0


async def test_a_pledged_patent_is_declared_with_the_pledgees_consent(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    patent = await create_patent(client, pledge_status="pledged", pledgee="湖州银行股份有限公司",
                                 pledgee_consented=True)
    assert (await client.post(f"/v1/patents/{patent['id']}/open-licence", json=declaration(),
                              headers=HOLDER)).status_code == 201


async def test_an_exclusive_licence_in_force_blocks_a_declaration(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    await add_firms(database_url(client), (FIRM_USCC, "330502"))
    patent = await create_patent(client)
    await client.post(f"/v1/patents/{patent['id']}/licences", json=grant_body("exclusive", territory=["330521"]),
                      headers={**HOLDER, **key()})
    refused = await client.post(f"/v1/patents/{patent['id']}/open-licence", json=declaration(), headers=HOLDER)
    problem = expect_problem(refused, 409)
    assert field_of(problem) == "licences" and len(problem["blocking_licence_ids"]) == 1


async def test_a_utility_model_needs_its_evaluation_report(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    patent = await create_patent(client, number="ZL202322865413.3", publication_numbers=["CN221234567U"])
    assert patent["patent_type"] == "utility_model"
    path = f"/v1/patents/{patent['id']}/open-licence"
    lump = declaration(royalty={"mode": "lump_sum", "lump_sum_fen": 500_000})
    assert field_of(expect_problem(await client.post(path, json=lump, headers=HOLDER), 422)) == "evaluation_report_no"
    ok = await client.post(path, json={**lump, "evaluation_report_no": "2024-PJ-330000-0012"}, headers=HOLDER)
    assert ok.status_code == 201 and ok.json()["upfront_fen"] == 500_000
    # A mode that states the wrong amounts is refused naming the amount.
    bad = declaration(royalty={"mode": "running_royalty", "rate": "0.05"})
    assert field_of(expect_problem(await client.post(path, json=bad, headers=ADMIN), 422)) in (
        "royalty.basis", "evaluation_report_no")
