"""Authorization in the registry, on PostgreSQL and SQLite: a reviewer sees a firm's figures alike through every
route that shows them, and a record outside the caller's scope is never pointed to by a refusal (its id or path),
whichever way the caller stumbles on it: registering its USCC again, recording its certificate number, an IP
reference, or an import row."""

from __future__ import annotations

from typing import Any

import httpx

from shared.auth import Role
from tests.registry.figures_support import ADMIN, COMPLIANT, OFFICER, WAN, database_url, register
from tests.registry.pools_support import expect_problem
from tests.support import count_rows, make_uscc, token

REVIEWER = token(Role.REVIEWER)
ELSEWHERE = token(Role.OFFICER, districts=["330521"])
FIGURES_2024 = {"employees": 50, "tech_staff": 15, "operating_revenue_fen": 2000 * WAN, "rd_expense_fen": 120 * WAN,
                "total_cost_expense_fen": 1000 * WAN, "total_assets_fen": 1500 * WAN}


def _not_pointed_to(response: httpx.Response, firm: str) -> dict[str, Any]:
    problem = response.json()
    assert firm not in response.text and "/v1/enterprises/" not in response.text, response.text
    assert "existing" not in problem
    return problem  # type: ignore[no-any-return]


async def test_a_reviewer_sees_the_same_figures_through_every_route(registry_client: httpx.AsyncClient) -> None:
    """/figures, /pool-assessment and /evaluations all show the firm's figures: one rule (access.FIGURES) decides
    who reads them, so that none of the three gives away what another withholds."""
    firm = await register(registry_client, 51)
    base = f"/v1/enterprises/{firm}"
    assert (await registry_client.put(f"{base}/figures/2024", json=FIGURES_2024, headers=OFFICER)).status_code == 201
    assert (await registry_client.put(f"{base}/declarations", json=COMPLIANT, headers=OFFICER)).status_code == 201
    evaluation = await registry_client.post(f"{base}/evaluations", json={"tier": "tech_sme", "evaluation_date": "2025-06-01"},
                                            headers=OFFICER)
    assert evaluation.status_code == 201, evaluation.text
    # A park in which the firm is a tenant: its operator reads the firm's profile, not its books.
    platform = await registry_client.post("/v1/platforms", headers=ADMIN, json={
        "platform_type": "incubator", "name": "吴兴科创孵化器", "operator_name": "吴兴科创运营有限公司",
        "operator_uscc": make_uscc(9051), "address": "湖州市吴兴区 1 号", "longitude": 120.1, "latitude": 30.9,
        "district_code": "330502", "capacity": 5})
    assert platform.status_code == 201, platform.text
    entered = await registry_client.post(f"/v1/platforms/{platform.json()['id']}/tenancies", headers=OFFICER,
                                         json={"enterprise_id": firm, "entered_on": "2025-01-01"})
    assert entered.status_code == 201, entered.text
    operator = token(Role.PARK_OPERATOR, platform_ids=[platform.json()["id"]])
    institute = token(Role.INSTITUTE, platform_ids=[platform.json()["id"]], institute_id="zju-huzhou")
    assert (await registry_client.get(base, headers=operator)).status_code == 200

    routes = (f"{base}/figures/2024", f"{base}/pool-assessment", f"{base}/evaluations/{evaluation.json()['id']}")
    seen = [await registry_client.get(path, headers=REVIEWER) for path in routes]
    assert [r.status_code for r in seen] == [200, 200, 200], [r.text for r in seen]
    figures, assessment, evaluated = (r.json() for r in seen)
    # The same numbers through each: the reported figures, the assessment's reading of them, the evaluation's inputs.
    (annual,) = evaluated["inputs"]["annual"]
    assert figures["employees"] == annual["employees"] == 50 and assessment["figures_year"] == 2024
    assert any(check["actual"] for check in assessment["checks"])
    for headers in (operator, institute):
        assert [(await registry_client.get(path, headers=headers)).status_code for path in routes] == [403, 403, 403]


async def test_a_taken_uscc_is_pointed_to_only_for_whom_may_read_it(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 52)  # in 330502
    uscc = make_uscc(52)
    body = {"uscc": uscc, "name": "湖州重名测试有限公司", "district_code": "330521"}
    # An officer of another district registering the same USCC in its own district learns that it is taken, not
    # where the record is.
    hidden = await registry_client.post("/v1/enterprises", json=body, headers=ELSEWHERE)
    assert expect_problem(hidden, 409)["errors"][0]["field"] == "uscc"
    _not_pointed_to(hidden, firm)
    # Whoever reads the firm is pointed to it.
    for headers in (OFFICER, token(Role.ENTERPRISE, uscc=uscc)):
        shown = await registry_client.post("/v1/enterprises", json={**body, "district_code": "330502"}, headers=headers)
        assert expect_problem(shown, 409)["existing"] == f"/v1/enterprises/{firm}"
    assert await count_rows(database_url(registry_client), "enterprises") == 1


async def test_a_taken_certificate_number_names_no_other_firm(registry_client: httpx.AsyncClient) -> None:
    mine = await register(registry_client, 53)  # 330502
    theirs = await register(registry_client, 54, district="330521")
    held = {"tier": "hnte", "certificate_no": "GR202433000053", "valid_from": "2024-12-01",
            "override_reason": "科技部门认定，证书原件已核"}
    assert (await registry_client.post(f"/v1/enterprises/{mine}/certifications", json=held,
                                       headers=OFFICER)).status_code == 201
    taken = await registry_client.post(f"/v1/enterprises/{theirs}/certifications", json=held, headers=ELSEWHERE)
    assert expect_problem(taken, 409)["errors"][0]["field"] == "certificate_no"
    _not_pointed_to(taken, mine)
    assert await count_rows(database_url(registry_client), "certifications") == 1


async def test_an_ip_reference_clashes_only_within_the_firm(registry_client: httpx.AsyncClient) -> None:
    """A reference is unique per firm (co-owned patents are held by several): another firm's holding is neither a
    clash nor named; the firm's own is pointed to."""
    mine = await register(registry_client, 55)
    theirs = await register(registry_client, 56, district="330521")
    patent = {"kind": "invention_patent", "reference": "ZL202110182616.5", "acquisition": "self_developed",
              "granted_on": "2020-05-01"}
    first = await registry_client.post(f"/v1/enterprises/{mine}/ip-holdings", json=patent, headers=OFFICER)
    assert first.status_code == 201, first.text
    other = await registry_client.post(f"/v1/enterprises/{theirs}/ip-holdings", json=patent, headers=ELSEWHERE)
    assert other.status_code == 201, other.text
    assert mine not in other.text and first.json()["id"] not in other.text
    again = await registry_client.post(f"/v1/enterprises/{mine}/ip-holdings", json=patent, headers=OFFICER)
    assert expect_problem(again, 409)["existing"] == f"/v1/enterprises/{mine}/ip-holdings/{first.json()['id']}"


async def test_an_import_row_for_a_firm_out_of_scope_names_no_record(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 57)  # 330502
    header = "统一社会信用代码,年度,职工人数\n"
    files = {"file": ("figures.csv", (header + f"{make_uscc(57)},2024,81\n").encode("utf-8"), "text/csv")}
    response = await registry_client.post("/v1/imports/figures", files=files, headers=ELSEWHERE)
    assert response.status_code == 200, response.text
    (rejection,) = response.json()["rejections"]
    assert firm not in response.text and "330502" not in rejection["reason"], rejection
    assert await count_rows(database_url(registry_client), "annual_figures") == 0
