"""Evaluations (评价), re-evaluation and certification (认定) through the registry API, on PostgreSQL and SQLite:
stored with inputs and result, re-run when figures change, confirmed into held tiers with tier_changed events,
revoked, expired."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from services.registry.service.evaluations import expire_certifications, reevaluate_all
from shared.auth import Role
from shared.db import create_engine, session_factory
from tests.registry.figures_support import (
    ADMIN,
    COMPLIANT,
    EVALUATED,
    OFFICER,
    TIER_CHANGED,
    WAN,
    database_url,
    outbox_payloads,
    register,
)
from tests.support import count_rows, make_uscc, settings_for, token

# 科技型中小企业 worked example (tests/registry/domain, good_firm): 20 + 50 + 30 = 100 on 2025-06-01.
TECH_SME_2024 = {"employees": 50, "tech_staff": 15, "operating_revenue_fen": 2000 * WAN, "rd_expense_fen": 120 * WAN,
                 "total_cost_expense_fen": 1000 * WAN, "total_assets_fen": 1500 * WAN}
INVENTION = {"kind": "invention_patent", "reference": "ZL202110182616.5", "acquisition": "self_developed",
             "related_to_main_product": True, "granted_on": "2020-05-01"}
ASK = {"tier": "tech_sme", "evaluation_date": "2025-06-01"}


async def tech_sme_firm(client: httpx.AsyncClient, n: int) -> str:
    firm = await register(client, n)
    base = f"/v1/enterprises/{firm}"
    assert (await client.put(f"{base}/figures/2024", json=TECH_SME_2024, headers=OFFICER)).status_code == 201
    assert (await client.put(f"{base}/declarations", json=COMPLIANT, headers=OFFICER)).status_code == 201
    assert (await client.post(f"{base}/ip-holdings", json=INVENTION, headers=OFFICER)).status_code == 201
    return firm


async def evaluate(client: httpx.AsyncClient, firm: str, body: dict | None = None) -> httpx.Response:
    return await client.post(f"/v1/enterprises/{firm}/evaluations", json=body or ASK, headers=OFFICER)


async def test_evaluation_is_stored_with_inputs_and_result_and_explained_later(registry_client: httpx.AsyncClient) -> None:
    firm = await tech_sme_firm(registry_client, 21)
    response = await evaluate(registry_client, firm)
    assert response.status_code == 201, response.text
    evaluation = response.json()
    assert (evaluation["rule_set_id"], evaluation["outcome"], evaluation["total_score"]) == (
        "most-2017-115/tech_sme", "eligible", 100)
    assert evaluation["trigger"] == "request" and evaluation["created_by"] == "officer-wx"
    indicators = {i["code"]: (i["points"], i["band"]) for i in evaluation["result"]["indicators"]}
    assert indicators["tech_staff"][0] == 20 and indicators["rd_input"][0] == 50 and indicators["ip"][0] == 30
    assert evaluation["inputs"]["annual"][0]["tech_staff"] == 15
    assert evaluation["inputs"]["ip_holdings"][0]["ref"] == "ZL202110182616.5"

    url = database_url(registry_client)
    [event] = await outbox_payloads(url, EVALUATED)
    assert event["evaluation_id"] == evaluation["id"] and event["outcome"] == "eligible" and event["total_score"] == "100"
    assert await count_rows(url, "audit_log", "WHERE action = 'evaluation.run' AND entity_id = :e", e=firm) == 1

    path = f"/v1/enterprises/{firm}/evaluations"
    # A reviewer reads the evaluation to explain it; the list leaves the bulky parts out.
    read = await registry_client.get(f"{path}/{evaluation['id']}", headers=token(Role.REVIEWER))
    assert read.status_code == 200 and read.json()["result"] == evaluation["result"]
    listed = (await registry_client.get(f"{path}?tier=tech_sme", headers=token(Role.SERVICE))).json()["items"]
    assert [e["id"] for e in listed] == [evaluation["id"]] and "result" not in listed[0]


async def test_missing_declarations_make_it_needs_review_naming_the_inputs(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 22)
    await registry_client.put(f"/v1/enterprises/{firm}/figures/2024", json=TECH_SME_2024, headers=OFFICER)
    evaluation = (await evaluate(registry_client, firm)).json()
    assert evaluation["outcome"] == "needs_review"
    assert "profile.incidents" in evaluation["result"]["missing_inputs"]


BAD_REQUESTS = [
    ({"tier": "tech_sme", "rule_version": "miit-2099-1"}, "rule_version"),
    ({"tier": "tech_sme", "evaluation_date": "2999-01-01"}, "evaluation_date"),
    ({"tier": "tech_innovative_sme"}, "tier"),  # no merged standard yet (REFERENCE §0)
    ({"tier": "hnte", "expert_inputs": {"hnte_technology_advancement_grade": "Z"}},
     "expert_inputs.hnte_technology_advancement_grade"),
    ({"tier": "tech_sme", "options": {"boundary": "middle"}}, "options.boundary"),
]


async def test_bad_evaluation_requests_are_refused_and_write_nothing(registry_client: httpx.AsyncClient) -> None:
    firm = await tech_sme_firm(registry_client, 23)
    for body, field in BAD_REQUESTS:
        response = await evaluate(registry_client, firm, body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field, body
        assert await count_rows(database_url(registry_client), "evaluations") == 0


async def test_evaluation_roles(registry_client: httpx.AsyncClient) -> None:
    uscc = make_uscc(24)
    firm = (await registry_client.post("/v1/enterprises", json={
        "uscc": uscc, "name": "角色测试", "district_code": "330502", "established_on": "2015-03-01"},
        headers=ADMIN)).json()["id"]
    path = f"/v1/enterprises/{firm}/evaluations"
    assert (await registry_client.post(path, json=ASK)).status_code == 401
    for role_token in (token(Role.REVIEWER), token(Role.SERVICE), token(Role.ENTERPRISE, uscc=uscc)):
        assert (await registry_client.post(path, json=ASK, headers=role_token)).status_code == 403
    assert (await registry_client.post(path, json=ASK, headers=token(Role.OFFICER, districts=["330521"]))).status_code == 404
    assert await count_rows(database_url(registry_client), "evaluations") == 0
    assert (await registry_client.get(path, headers=token(Role.ENTERPRISE, uscc=uscc))).status_code == 200
    assert (await registry_client.get(path, headers=token(Role.ENTERPRISE, uscc=make_uscc(25)))).status_code == 404
    assert (await registry_client.get(path, headers=token(Role.PARK_OPERATOR))).status_code == 403


async def test_a_figures_correction_re_runs_the_latest_evaluation(registry_client: httpx.AsyncClient) -> None:
    firm = await tech_sme_firm(registry_client, 26)
    first = (await evaluate(registry_client, firm)).json()
    base = f"/v1/enterprises/{firm}"
    # 科技人员 4 / 50 = 8 % scores 0 and 科技人员 must not score 0: 80 points but not eligible (worked example).
    corrected = await registry_client.put(f"{base}/figures/2024", json={**TECH_SME_2024, "tech_staff": 4},
                                          headers={**OFFICER, "If-Match": '"1"'})
    assert corrected.status_code == 200
    [rerun, original] = (await registry_client.get(f"{base}/evaluations", headers=OFFICER)).json()["items"]
    assert original["id"] == first["id"]
    assert (rerun["trigger"], rerun["rerun_of"], rerun["outcome"], rerun["total_score"]) == (
        "rerun", first["id"], "not_eligible", 80)
    assert rerun["evaluation_date"] == "2025-06-01"  # the same question, asked of the corrected facts
    events = await outbox_payloads(database_url(registry_client), EVALUATED)
    assert [(e["outcome"], e["rerun_of"]) for e in events] == [("eligible", None), ("not_eligible", first["id"])]

    # Figures of a year the evaluation does not read (上年度 is 2024) leave it alone.
    await registry_client.put(f"{base}/figures/2025", json=TECH_SME_2024, headers=OFFICER)
    # So does a new patent granted after the evaluation date.
    later = {**INVENTION, "reference": "ZL202011167667.2", "granted_on": "2025-09-01"}
    assert (await registry_client.post(f"{base}/ip-holdings", json=later, headers=OFFICER)).status_code == 201
    assert len((await registry_client.get(f"{base}/evaluations", headers=OFFICER)).json()["items"]) == 2

    # An HNTE certificate valid on the evaluation date is a direct route (第八条): eligible again.
    hnte = {"kind": "certification", "certification_kind": "hnte", "number": "GR202333001044",
            "valid_from": "2023-12-01", "valid_until": "2026-11-30"}
    assert (await registry_client.post(f"{base}/honours", json=hnte, headers=OFFICER)).status_code == 201
    latest = (await registry_client.get(f"{base}/evaluations?limit=1", headers=OFFICER)).json()["items"][0]
    assert (latest["outcome"], latest["direct_route"], latest["rerun_of"]) == ("eligible", "t5.direct.hnte", rerun["id"])


async def test_certification_emits_tier_changed_with_held_tiers(registry_client: httpx.AsyncClient) -> None:
    firm = await tech_sme_firm(registry_client, 27)
    evaluation = (await evaluate(registry_client, firm)).json()
    path = f"/v1/enterprises/{firm}/certifications"
    response = await registry_client.post(path, json={"evaluation_id": evaluation["id"], "certificate_no": "KJ-2025-001"},
                                          headers=OFFICER)
    assert response.status_code == 201, response.text
    certification = response.json()
    today = date.today()
    assert certification["status"] == "active" and certification["tier"] == "tech_sme"
    assert date.fromisoformat(certification["valid_from"]) in (today, today + timedelta(days=1))  # Asia/Shanghai
    valid_from = date.fromisoformat(certification["valid_from"])
    # Three years by default (REFERENCE §1.1 / §3), the last day inclusive.
    assert certification["valid_until"] == (valid_from.replace(year=valid_from.year + 3) - timedelta(days=1)).isoformat()

    [event] = await outbox_payloads(database_url(registry_client), TIER_CHANGED)
    assert (event["change"], event["tier"], event["held_tiers"], event["certificate_no"]) == (
        "certified", "tech_sme", ["tech_sme"], "KJ-2025-001")
    assert event["evaluation_id"] == evaluation["id"]

    history = (await registry_client.get(path, headers=token(Role.REVIEWER))).json()["items"]
    assert [c["id"] for c in history] == [certification["id"]]
    assert (await registry_client.get(f"{path}/{certification['id']}", headers=OFFICER)).headers["etag"] == '"1"'


async def test_certification_refusals(registry_client: httpx.AsyncClient) -> None:
    firm = await tech_sme_firm(registry_client, 28)
    base = f"/v1/enterprises/{firm}"
    path = f"{base}/certifications"
    eligible = (await evaluate(registry_client, firm)).json()
    url = database_url(registry_client)

    # Only officers and admins certify; an enterprise may not certify itself.
    own = token(Role.ENTERPRISE, uscc=make_uscc(28))
    assert (await registry_client.post(path, json={"evaluation_id": eligible["id"], "certificate_no": "A"},
                                       headers=own)).status_code == 403
    unknown = await registry_client.post(path, json={"evaluation_id": "00000000-0000-0000-0000-000000000001",
                                                     "certificate_no": "A"}, headers=OFFICER)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "evaluation_id"
    reason_on_eligible = await registry_client.post(path, json={"evaluation_id": eligible["id"], "certificate_no": "A",
                                                                "override_reason": "x"}, headers=OFFICER)
    assert reason_on_eligible.status_code == 422
    backwards = await registry_client.post(path, json={"evaluation_id": eligible["id"], "certificate_no": "A",
                                                       "valid_from": "2025-01-01", "valid_until": "2024-01-01"},
                                           headers=OFFICER)
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "valid_until"

    # A correction re-runs the evaluation: the old one is superseded (409) and the new one is not eligible (409).
    await registry_client.put(f"{base}/figures/2024", json={**TECH_SME_2024, "tech_staff": 4},
                              headers={**OFFICER, "If-Match": '"1"'})
    superseded = await registry_client.post(path, json={"evaluation_id": eligible["id"], "certificate_no": "A"},
                                            headers=OFFICER)
    assert superseded.status_code == 409 and "latest" in superseded.json()
    not_eligible = (await registry_client.get(f"{base}/evaluations?limit=1", headers=OFFICER)).json()["items"][0]
    refused = await registry_client.post(path, json={"evaluation_id": not_eligible["id"], "certificate_no": "A"},
                                         headers=OFFICER)
    assert refused.status_code == 409
    assert await count_rows(url, "certifications") == 0
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=TIER_CHANGED) == 0


async def test_needs_review_is_confirmed_only_with_a_reason(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 29)
    await registry_client.put(f"/v1/enterprises/{firm}/figures/2024", json=TECH_SME_2024, headers=OFFICER)
    evaluation = (await evaluate(registry_client, firm)).json()
    assert evaluation["outcome"] == "needs_review"
    path = f"/v1/enterprises/{firm}/certifications"
    bare = await registry_client.post(path, json={"evaluation_id": evaluation["id"], "certificate_no": "B"},
                                      headers=OFFICER)
    assert bare.status_code == 422 and bare.json()["errors"][0]["field"] == "override_reason"
    reasoned = await registry_client.post(path, json={"evaluation_id": evaluation["id"], "certificate_no": "B",
                                                      "override_reason": "合规声明已线下核实"}, headers=OFFICER)
    assert reasoned.status_code == 201 and reasoned.json()["override_reason"] == "合规声明已线下核实"
    duplicate = await registry_client.post(path, json={"tier": "tech_sme", "certificate_no": "B",
                                                       "override_reason": "again"}, headers=OFFICER)
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "certificate_no"


async def test_renewal_supersedes_and_revocation_withdraws_the_tier(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 30)
    path = f"/v1/enterprises/{firm}/certifications"
    recorded = {"tier": "hnte", "certificate_no": "GR202333001044", "valid_from": "2023-12-01",
                "valid_until": (date.today() + timedelta(days=400)).isoformat(),
                "override_reason": "issued by 浙江省科学技术厅 before the registry"}
    first = (await registry_client.post(path, json=recorded, headers=OFFICER)).json()
    assert first["evaluation_id"] is None and first["warnings"] == []
    renewed = await registry_client.post(path, json={**recorded, "certificate_no": "浙GR-2026"}, headers=OFFICER)
    assert renewed.status_code == 201
    assert renewed.json()["warnings"][0].startswith("hnte_certificate_number_unusual")
    old = (await registry_client.get(f"{path}/{first['id']}", headers=OFFICER)).json()
    assert old["status"] == "superseded"

    revocation = f"{path}/{renewed.json()['id']}/revocation"
    assert (await registry_client.post(revocation, json={"reason": "x"}, headers=token(Role.REVIEWER))).status_code == 403
    assert (await registry_client.post(revocation, json={"reason": "x"},
                                       headers={**OFFICER, "If-Match": '"5"'})).status_code == 412
    revoked = await registry_client.post(revocation, json={"reason": "申报材料弄虚作假"}, headers=OFFICER)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert (await registry_client.post(revocation, json={"reason": "again"}, headers=OFFICER)).status_code == 409
    events = await outbox_payloads(database_url(registry_client), TIER_CHANGED)
    assert [(e["change"], e["held_tiers"]) for e in events] == [
        ("certified", ["hnte"]), ("certified", ["hnte"]), ("revoked", [])]
    active = (await registry_client.get(f"{path}?status=active", headers=OFFICER)).json()["items"]
    assert active == []


async def test_expiry_marks_ended_certificates_and_emits_tier_changed(registry_client: httpx.AsyncClient) -> None:
    firm = await register(registry_client, 31)
    path = f"/v1/enterprises/{firm}/certifications"
    ends = date.today() + timedelta(days=30)
    for tier, until in (("hnte", ends), ("tech_sme", ends + timedelta(days=365))):
        response = await registry_client.post(path, json={
            "tier": tier, "certificate_no": f"{tier}-1", "valid_from": "2024-01-01", "valid_until": until.isoformat(),
            "override_reason": "recorded from the provincial list"}, headers=OFFICER)
        assert response.status_code == 201, response.text

    url = database_url(registry_client)
    engine = create_engine(url)
    try:
        sessions, settings = session_factory(engine), settings_for("registry", url)
        assert await expire_certifications(sessions, settings, today=ends) == []  # the last valid day
        [expired] = await expire_certifications(sessions, settings, today=ends + timedelta(days=1))
        assert await expire_certifications(sessions, settings, today=ends + timedelta(days=1)) == []  # idempotent
    finally:
        await engine.dispose()
    read = (await registry_client.get(f"{path}/{expired}", headers=OFFICER)).json()
    assert (read["tier"], read["status"], read["ended_on"]) == ("hnte", "expired", (ends + timedelta(days=1)).isoformat())
    *_, event = await outbox_payloads(url, TIER_CHANGED)
    assert (event["change"], event["tier"], event["held_tiers"]) == ("expired", "hnte", ["tech_sme"])
    assert await count_rows(url, "audit_log", "WHERE action = 'certification.expire'") == 1


async def test_bulk_re_evaluation_is_batched_and_idempotent(registry_client: httpx.AsyncClient) -> None:
    firms = [await tech_sme_firm(registry_client, n) for n in (32, 33, 34)]
    url = database_url(registry_client)
    engine = create_engine(url)
    try:
        sessions, settings = session_factory(engine), settings_for("registry", url)
        first = await reevaluate_all(sessions, settings, tiers=["tech_sme", "innovative_sme"],
                                     evaluation_date=date(2025, 6, 1), batch_size=2)
        assert (first.enterprises, first.evaluated, first.unchanged) == (3, 6, 0)
        assert first.outcomes["eligible"] == 3  # tech_sme; innovative_sme lacks judgements and figures
        again = await reevaluate_all(sessions, settings, batch_size=2)
        assert (again.evaluated, again.unchanged) == (0, 6)
    finally:
        await engine.dispose()
    assert await count_rows(url, "evaluations", "WHERE trigger = 'bulk'") == 6
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=EVALUATED) == 6
    listed = (await registry_client.get(f"/v1/enterprises/{firms[0]}/evaluations?tier=tech_sme",
                                        headers=OFFICER)).json()["items"]
    assert [(e["outcome"], e["total_score"], e["trigger"]) for e in listed] == [("eligible", 100, "bulk")]
