"""Annual figures (年报) through the registry API, on PostgreSQL and on SQLite: create, correct with If-Match,
read, list; every refusal names its field and writes nothing; R&D above revenue is accepted but flagged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from shared.auth import Role
from tests.registry.figures_support import (
    ADMIN,
    FIGURES_REPORTED,
    OFFICER,
    WAN,
    database_url,
    outbox_payloads,
    register,
)
from tests.support import count_rows, make_uscc, token

GOOD = {"employees": 50, "rd_staff": 10, "tech_staff": 15, "operating_revenue_fen": 2000 * WAN,
        "main_business_revenue_fen": 1800 * WAN, "rd_expense_fen": 120 * WAN, "rd_expense_domestic_fen": 100 * WAN,
        "total_assets_fen": 1500 * WAN, "total_liabilities_fen": 600 * WAN, "net_profit_fen": -30 * WAN,
        "market_share": "0.12"}


async def test_first_report_creates_the_year_with_its_event_audit_and_size_class(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 1)
    response = await registry_client.put(f"/v1/enterprises/{firm}/figures/2024", json=GOOD, headers=OFFICER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["year"] == 2024 and body["operating_revenue_fen"] == 2000 * WAN and body["net_profit_fen"] == -30 * WAN
    assert Decimal(body["market_share"]) == Decimal("0.12")
    assert body["flags"] == [] and body["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/v1/enterprises/{firm}/figures/2024"

    url = database_url(registry_client)
    [event] = await outbox_payloads(url, FIGURES_REPORTED)
    # 工业: 50 staff ≥ 20 and 2000万 ≥ 300万 but below the medium band's 300 staff → 小型 (REFERENCE §11).
    assert event["year"] == 2024 and event["size_class"] == "small" and event["corrected"] is False
    assert await count_rows(url, "audit_log", "WHERE action = 'figures.report' AND entity_id = :e", e=firm) == 1
    enterprise = await registry_client.get(f"/v1/enterprises/{firm}", headers=OFFICER)
    assert enterprise.json()["size_class"] == "small"


async def test_size_class_follows_the_latest_year(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 2)
    await registry_client.put(f"/v1/enterprises/{firm}/figures/2024", json=GOOD, headers=OFFICER)
    # An older year does not change it; 2025 with 15 staff (< 20) makes the firm 微型.
    await registry_client.put(f"/v1/enterprises/{firm}/figures/2023", json={**GOOD, "employees": 400}, headers=OFFICER)
    assert (await registry_client.get(f"/v1/enterprises/{firm}", headers=OFFICER)).json()["size_class"] == "small"
    await registry_client.put(f"/v1/enterprises/{firm}/figures/2025",
                              json={"employees": 15, "operating_revenue_fen": 2000 * WAN}, headers=OFFICER)
    assert (await registry_client.get(f"/v1/enterprises/{firm}", headers=OFFICER)).json()["size_class"] == "micro"


async def test_correction_needs_the_etag_428_without_412_when_stale(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 3)
    path = f"/v1/enterprises/{firm}/figures/2024"
    await registry_client.put(path, json=GOOD, headers=OFFICER)
    corrected = {**GOOD, "employees": 60}

    missing = await registry_client.put(path, json=corrected, headers=OFFICER)
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith("application/problem+json")
    stale = await registry_client.put(path, json=corrected, headers={**OFFICER, "If-Match": '"7"'})
    assert stale.status_code == 412
    assert (await registry_client.get(path, headers=OFFICER)).json()["employees"] == 50

    ok = await registry_client.put(path, json=corrected, headers={**OFFICER, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.json()["employees"] == 60 and ok.json()["version"] == 2 and ok.headers["etag"] == '"2"'
    events = await outbox_payloads(database_url(registry_client), FIGURES_REPORTED)
    assert [e["corrected"] for e in events] == [False, True]

    # The same figures again change nothing: no new version, no event.
    same = await registry_client.put(path, json=corrected, headers={**OFFICER, "If-Match": '"2"'})
    assert same.status_code == 200 and same.json()["version"] == 2
    assert len(await outbox_payloads(database_url(registry_client), FIGURES_REPORTED)) == 2


INVALID = [
    ({"employees": -1}, "employees"),
    ({"rd_expense_fen": -5}, "rd_expense_fen"),
    ({"rd_staff": 51}, "rd_staff"),
    ({"tech_staff": 80}, "tech_staff"),
    ({"main_business_revenue_fen": 2001 * WAN}, "main_business_revenue_fen"),
    ({"rd_expense_domestic_fen": 121 * WAN}, "rd_expense_domestic_fen"),
    ({"market_share": "1.5"}, "market_share"),
    ({"market_share": "-0.1"}, "market_share"),
    ({"digital_maturity_level": 5}, "digital_maturity_level"),
    ({"unknown_figure": 1}, "unknown_figure"),
]


async def test_invalid_figures_are_refused_naming_the_field_and_write_nothing(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 4)
    url = database_url(registry_client)
    for change, field in INVALID:
        response = await registry_client.put(f"/v1/enterprises/{firm}/figures/2024", json={**GOOD, **change},
                                             headers=OFFICER)
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field], change
        assert await count_rows(url, "annual_figures") == 0
        assert await count_rows(url, "outbox", "WHERE event_type = :t", t=FIGURES_REPORTED) == 0
    # Several faults at once are all named.
    both = await registry_client.put(f"/v1/enterprises/{firm}/figures/2024",
                                     json={**GOOD, "employees": -1, "rd_expense_domestic_fen": 121 * WAN}, headers=OFFICER)
    assert sorted(e["field"] for e in both.json()["errors"]) == ["employees", "rd_expense_domestic_fen"]


@pytest.mark.parametrize(("year", "established_on", "reason"), [
    (date.today().year + 1, "2015-03-01", "in the future"),
    (2014, "2015-03-01", "before the enterprise was established"),
])
async def test_a_year_in_the_future_or_before_establishment_is_refused(
    registry_client: httpx.AsyncClient, year: int, established_on: str, reason: str
) -> None:
    firm = await register(registry_client, 5, established_on=established_on)
    response = await registry_client.put(f"/v1/enterprises/{firm}/figures/{year}", json=GOOD, headers=OFFICER)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "year" and reason in error["reason"]
    assert await count_rows(database_url(registry_client), "annual_figures") == 0


async def test_rd_expense_above_revenue_is_accepted_but_flagged(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 6)
    body = {**GOOD, "rd_expense_fen": 2500 * WAN, "rd_expense_domestic_fen": 2500 * WAN}
    response = await registry_client.put(f"/v1/enterprises/{firm}/figures/2024", json=body, headers=OFFICER)
    assert response.status_code == 201
    assert response.json()["flags"] == ["rd_expense_above_revenue"]
    assert (await registry_client.get(f"/v1/enterprises/{firm}/figures/2024", headers=OFFICER)).json()["flags"] == [
        "rd_expense_above_revenue"]
    [event] = await outbox_payloads(database_url(registry_client), FIGURES_REPORTED)
    assert event["flags"] == ["rd_expense_above_revenue"]


async def test_years_are_listed_latest_first_page_by_page(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 7)
    for year in (2022, 2024, 2023):
        await registry_client.put(f"/v1/enterprises/{firm}/figures/{year}", json=GOOD, headers=OFFICER)
    first = (await registry_client.get(f"/v1/enterprises/{firm}/figures?limit=2", headers=OFFICER)).json()
    assert [f["year"] for f in first["items"]] == [2024, 2023]
    second = (await registry_client.get(f"/v1/enterprises/{firm}/figures?limit=2&cursor={first['next_cursor']}",
                                        headers=OFFICER)).json()
    assert [f["year"] for f in second["items"]] == [2022] and second["next_cursor"] is None
    missing = await registry_client.get(f"/v1/enterprises/{firm}/figures/2019", headers=OFFICER)
    assert missing.status_code == 404


async def test_roles_and_scopes(registry_client: httpx.AsyncClient) -> None:
    uscc = make_uscc(8)
    created = await registry_client.post("/v1/enterprises", json={
        "uscc": uscc, "name": "自报企业", "district_code": "330502", "industry_code": "C3981",
        "established_on": "2015-03-01"}, headers=ADMIN)
    firm = created.json()["id"]
    path = f"/v1/enterprises/{firm}/figures/2024"

    assert (await registry_client.put(path, json=GOOD)).status_code == 401
    assert (await registry_client.put(path, json=GOOD, headers=token(Role.REVIEWER))).status_code == 403
    assert (await registry_client.put(path, json=GOOD, headers=token(Role.SERVICE))).status_code == 403
    # An officer of another district, and another enterprise, do not even see the firm.
    elsewhere = token(Role.OFFICER, districts=["330521"])
    assert (await registry_client.put(path, json=GOOD, headers=elsewhere)).status_code == 404
    other_firm = token(Role.ENTERPRISE, uscc=make_uscc(9))
    assert (await registry_client.put(path, json=GOOD, headers=other_firm)).status_code == 404
    assert await count_rows(database_url(registry_client), "annual_figures") == 0

    own = await registry_client.put(path, json=GOOD, headers=token(Role.ENTERPRISE, uscc=uscc))
    assert own.status_code == 201
    assert (await registry_client.get(path, headers=token(Role.SERVICE))).status_code == 200
    # Reviewers read the figures (as their evaluations and pool assessments show them); park operators do not.
    assert (await registry_client.get(path, headers=token(Role.REVIEWER))).status_code == 200
    assert (await registry_client.get(path, headers=token(Role.PARK_OPERATOR))).status_code == 403
    assert (await registry_client.get(path, headers=elsewhere)).status_code == 404
