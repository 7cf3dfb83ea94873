"""Applications through the funding API, on PostgreSQL and SQLite: created with an Idempotency-Key, checked for
eligibility rule by rule against funding's copy of the registry's data, reviewed (conflicts of interest declared),
approved (the budget committed), paid in tranches against milestones, closed or clawed back — each step's money in
the round's ledger, which reconciles; the events each step publishes; and the refusals, naming the field."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import text

from tests.funding.support import (
    ADMIN,
    CITY_OFFICER,
    DEQING_OFFICER,
    REVIEWER,
    TODAY,
    add_firm,
    apply,
    approved,
    assigned,
    balance,
    database_url,
    moved,
    ok,
    open_round,
    step,
)
from tests.registry.pools_support import connected, expect_problem, outbox_payloads
from tests.support import count_rows

SRDI_IN_WUXING = [{"kind": "tier_held", "values": ["srdi_sme", "little_giant"], "label": "专精特新企业"},
                  {"kind": "district", "values": ["330502"]}, {"kind": "no_double_support"}]
SUBMITTED = "seedbed.funding.application.submitted.v1"
APPROVED = "seedbed.funding.application.approved.v1"
REJECTED = "seedbed.funding.application.rejected.v1"
DISBURSED = "seedbed.funding.fund.disbursed.v1"
CLAWED_BACK = "seedbed.funding.fund.clawed_back.v1"


async def test_from_draft_to_closed_in_tranches_with_the_ledger_and_events(funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client, budget_fen=10**8, cap_fen=5 * 10**7, eligibility=SRDI_IN_WUXING)
    firm = await add_firm(client, 1, tiers=("srdi_sme",))
    key = "app-2026-0001"
    created = await apply(client, firm, round_["id"], requested_fen=3 * 10**7, key=key)
    draft = ok(created)
    assert draft["status"] == "draft" and draft["uscc"] == firm["uscc"] and draft["allowed_actions"] == [
        "submit", "withdraw"]
    # The same request again, with its key: the first answer, no second application.
    again = await apply(client, firm, round_["id"], requested_fen=3 * 10**7, key=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == draft["id"]
    assert await count_rows(url, "applications") == 1

    checked = await moved(client, draft, "submit", firm["token"])
    assert checked["status"] == "eligibility_checked" and checked["eligibility_outcome"] == "eligible"
    reasons = {r["rule"]: r for r in checked["eligibility"]}
    assert reasons["tier_held:little_giant,srdi_sme"]["met"] is True
    assert reasons["tier_held:little_giant,srdi_sme"]["facts"] == {"held_tiers": "srdi_sme"}
    assert reasons["district:330502"]["reason"] == "registered in 330502"
    review = await moved(client, checked, "start_review", CITY_OFFICER)
    await assigned(client, review)
    declared = ok(await client.post(f"/v1/applications/{review['id']}/reviews",
                                    json={"conflict_of_interest": False, "score": 86}, headers=REVIEWER))
    assert declared["score"] == 86
    approved_ = await moved(client, review, "approve", CITY_OFFICER, amount_fen=2_500_000_0)
    assert approved_["status"] == "approved" and approved_["approved_fen"] == 25_000_000
    assert (await balance(client, round_["id"]))["committed_fen"] == 25_000_000

    agreed = await moved(client, approved_, "sign_agreement", firm["token"], tranches=[
        {"milestone": "签约", "share": "0.4", "condition": "none"},
        {"milestone": "中期考核通过", "share": "0.3"}, {"milestone": "结题验收", "share": "0.3", "condition": "acceptance"}])
    assert [t["amount_fen"] for t in agreed["tranches"]] == [10_000_000, 7_500_000, 7_500_000]
    paid = await moved(client, agreed, "disburse", CITY_OFFICER, tranche_index=0)
    assert paid["status"] == "disbursing" and paid["disbursed_fen"] == 10_000_000
    # A tranche paid already, or out of order, is refused; the money is untouched.
    assert expect_problem(await step(client, paid, "disburse", CITY_OFFICER, tranche_index=0), 409)["code"] == \
        "tranche_already_paid"
    assert expect_problem(await step(client, paid, "disburse", CITY_OFFICER, tranche_index=2), 409)["code"] == \
        "tranche_out_of_order"
    paid = await moved(client, paid, "disburse", CITY_OFFICER, tranche_index=1)
    # Terminated before the last tranche: the rest goes back to the round.
    assert expect_problem(await step(client, paid, "close", CITY_OFFICER), 422)["errors"][0]["field"] == "note"
    closed = await moved(client, paid, "close", CITY_OFFICER, note="结题验收未通过")
    assert closed["status"] == "closed" and closed["released_fen"] == 7_500_000
    b = await balance(client, round_["id"])
    assert (b["committed_fen"], b["disbursed_fen"], b["released_fen"], b["reserved_fen"], b["available_fen"]) == (
        25_000_000, 17_500_000, 7_500_000, 0, 10**8 - 17_500_000)
    assert b["reconciled"] is True
    entries = ok(await client.get(f"/v1/rounds/{round_['id']}/ledger",
                                  params={"reference": closed["id"]}, headers=ADMIN), 200)["items"]
    assert [(e["kind"], e["key"]) for e in entries] == [
        ("committed", f"application:{closed['id']}:committed"),
        ("disbursed", f"application:{closed['id']}:disbursed:0"),
        ("disbursed", f"application:{closed['id']}:disbursed:1"),
        ("released", f"application:{closed['id']}:released")]

    (submitted,) = await outbox_payloads(url, SUBMITTED)
    assert submitted["application_id"] == draft["id"] and submitted["requested_fen"] == 30_000_000
    (approval,) = await outbox_payloads(url, APPROVED)
    assert approval["approved_fen"] == 25_000_000 and approval["instrument"] == "grant"
    disbursed = await outbox_payloads(url, DISBURSED)
    assert [(d["tranche_index"], d["amount_fen"], d["disbursed_total_fen"]) for d in disbursed] == [
        (0, 10_000_000, 10_000_000), (1, 7_500_000, 17_500_000)]
    assert disbursed[0]["uscc"] == firm["uscc"] and disbursed[0]["issuer"] == "湖州市"
    assert disbursed[0]["entry_key"] == f"application:{draft['id']}:disbursed:0"
    for action in ("create", "submit", "start_review", "approve", "sign_agreement", "disburse", "close"):
        assert await count_rows(url, "audit_log", "WHERE entity_id = :id AND action = :a", id=draft["id"],
                                a=f"application.{action}") >= 1, action


async def test_clawback_records_the_money_recovered_and_releases_the_rest(funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client, budget_fen=10**8)
    firm = await add_firm(client, 2)
    app = await approved(client, firm, round_["id"], 20_000_000)
    app = await moved(client, app, "sign_agreement", CITY_OFFICER, tranches=[
        {"milestone": "签约", "share": "0.5", "condition": "none"}, {"milestone": "验收", "share": "0.5"}])
    app = await moved(client, app, "disburse", CITY_OFFICER, tranche_index=0)
    assert expect_problem(await step(client, app, "claw_back", CITY_OFFICER), 422)["errors"][0]["field"] == "note"
    assert expect_problem(await step(client, app, "claw_back", CITY_OFFICER, note="虚报", amount_fen=10_000_001),
                          422)["code"] == "invalid_clawback"
    clawed = await moved(client, app, "claw_back", CITY_OFFICER, note="弄虚作假，骗取资金")
    assert clawed["status"] == "clawed_back" and clawed["clawed_back_fen"] == 10_000_000
    assert clawed["released_fen"] == 10_000_000
    b = await balance(client, round_["id"])
    assert (b["clawed_back_fen"], b["released_fen"], b["reconciled"]) == (10_000_000, 10_000_000, True)
    (event,) = await outbox_payloads(url, CLAWED_BACK)
    assert event["amount_fen"] == 10_000_000 and event["reason"] == "弄虚作假，骗取资金"


async def test_the_refusals_name_the_rule_and_the_field(funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client, budget_fen=3 * 10**7, cap_fen=2 * 10**7, eligibility=SRDI_IN_WUXING)
    firm = await add_firm(client, 3, tiers=("srdi_sme",))
    # An ineligible firm is refused with the failing rule, and nothing is written.
    plain_firm = await add_firm(client, 4, district="330521", tiers=("tech_sme",))
    problem = expect_problem(await apply(client, plain_firm, round_["id"]), 422)
    assert problem["code"] == "not_eligible" and problem["errors"][0]["field"] == "eligibility"
    assert problem["rules"] == ["tier_held:little_giant,srdi_sme", "district:330502"]
    assert "holds tech_sme" in problem["detail"]
    # Above the cap; money as a float or a string with decimals; zero.
    assert expect_problem(await apply(client, firm, round_["id"], requested_fen=2 * 10**7 + 1), 422)["code"] == \
        "above_enterprise_cap"
    for bad in (1500.5, "15.00", 0, -1):
        refused = expect_problem(await apply(client, firm, round_["id"], requested_fen=bad), 422)
        assert refused["errors"][0]["field"] == "requested_fen", bad
    # Without an Idempotency-Key: 428.
    missing = await client.post("/v1/applications", json={"round_id": round_["id"], "project_title": "项目",
                                                          "requested_fen": 100}, headers=firm["token"])
    assert expect_problem(missing, 428)["errors"][0]["field"] == "Idempotency-Key"
    # A closed round.
    closed_round = await open_round(client, round_extra={"opens_on": TODAY - timedelta(days=9),
                                                         "closes_on": TODAY - timedelta(days=1)}, budget_fen=10**6)
    assert expect_problem(await apply(client, firm, closed_round["id"], requested_fen=100), 409)["code"] == \
        "round_closed"
    assert await count_rows(url, "applications") == 0

    app = ok(await apply(client, firm, round_["id"], requested_fen=2 * 10**7))
    # The firm cannot approve its own application; the state machine names what is allowed.
    refused = expect_problem(await step(client, app, "approve", firm["token"], amount_fen=100), 409)
    assert refused["code"] == "transition_not_allowed" and refused["allowed"] == ["submit", "withdraw"]
    app = await moved(client, app, "submit", firm["token"])
    assert expect_problem(await step(client, app, "start_review", firm["token"]), 403)["code"] == "actor_not_allowed"
    # A stale If-Match is 412; an officer of another district does not reach the firm's application.
    assert (await step(client, {**app, "version": 1}, "start_review", CITY_OFFICER)).status_code == 412
    assert (await step(client, app, "start_review", DEQING_OFFICER)).status_code == 404
    app = await moved(client, app, "start_review", CITY_OFFICER)
    # Above the request; a rejection needs its reason.
    assert expect_problem(await step(client, app, "approve", CITY_OFFICER, amount_fen=2 * 10**7 + 1), 422)["code"] \
        == "above_request"
    assert expect_problem(await step(client, app, "reject", CITY_OFFICER), 422)["errors"][0]["field"] == "rejection"
    rejected = await moved(client, app, "reject", CITY_OFFICER,
                           rejection={"code": "review_score", "detail": "专家评分低于入围线"})
    assert rejected["rejection"] == {"code": "review_score", "detail": "专家评分低于入围线", "rules": []}
    (event,) = await outbox_payloads(url, "seedbed.funding.application.rejected.v1")
    assert event["reason_code"] == "review_score"


async def test_a_firm_whose_data_changed_is_rejected_at_submission_with_the_reason(funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client, eligibility=SRDI_IN_WUXING)
    firm = await add_firm(client, 5, tiers=("srdi_sme",))
    app = ok(await apply(client, firm, round_["id"]))
    async with connected(url, commit=True) as conn:  # the registry revoked the certification since
        await conn.execute(text("UPDATE enterprise_profiles SET held_tiers = '[]' WHERE uscc = :u"), {"u": firm["uscc"]})
    rejected = await moved(client, app, "submit", firm["token"])
    assert rejected["status"] == "rejected" and rejected["rejection"]["code"] == "ineligible"
    assert rejected["rejection"]["rules"] == ["tier_held:little_giant,srdi_sme"]
    assert [e["status"] for e in await outbox_payloads(url, REJECTED)] == ["rejected"]


async def test_reviewers_declare_conflicts_of_interest_once_and_give_no_score_with_one(
        funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    round_ = await open_round(client)
    firm = await add_firm(client, 6)
    app = ok(await apply(client, firm, round_["id"]))
    # Not assigned: reviewers do not see it.
    assert (await client.post(f"/v1/applications/{app['id']}/reviews", json={"conflict_of_interest": True},
                              headers=REVIEWER)).status_code == 404
    app = await moved(client, app, "submit", firm["token"])
    await assigned(client, app)
    # Assigned, not under review yet: nothing to declare on.
    early = await client.post(f"/v1/applications/{app['id']}/reviews", json={"conflict_of_interest": False},
                              headers=REVIEWER)
    assert expect_problem(early, 409)["errors"][0]["field"] == "status"
    app = await moved(client, app, "start_review", CITY_OFFICER)
    both = await client.post(f"/v1/applications/{app['id']}/reviews",
                             json={"conflict_of_interest": True, "score": 90}, headers=REVIEWER)
    assert expect_problem(both, 422)["errors"][0]["field"] == "score"
    ok(await client.post(f"/v1/applications/{app['id']}/reviews",
                         json={"conflict_of_interest": True, "statement": "本人曾任该企业技术顾问"}, headers=REVIEWER))
    twice = await client.post(f"/v1/applications/{app['id']}/reviews", json={"conflict_of_interest": False},
                              headers=REVIEWER)
    assert expect_problem(twice, 409)["errors"][0]["field"] == "reviewer"
    read = ok(await client.get(f"/v1/applications/{app['id']}", headers=CITY_OFFICER), 200)
    assert read["reviews"] == {"assigned": 1, "declarations": 1, "conflicts_of_interest": 1, "scores": 0, "mean_score": None}


async def test_a_similar_project_funded_by_another_programme_is_flagged_on_approval(
        funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    first = await open_round(client)
    second = await open_round(client)
    firm = await add_firm(client, 7)
    a = await approved(client, firm, first["id"], 10**6, title="基于机器视觉的坯布瑕疵在线检测系统研发")
    b = await approved(client, firm, second["id"], 10**6, title="坯布瑕疵机器视觉在线检测系统产业化")
    await approved(client, firm, second["id"], 10**6, title="印染废水深度处理回用技术")
    flags = ok(await client.get("/v1/double-support-flags?status=open", headers=CITY_OFFICER), 200)["items"]
    assert [(f["application_id"], f["other_application_id"]) for f in flags] == [(b["id"], a["id"])]
    assert flags[0]["identical"] is False and "similarity" in flags[0]["reason"]
    resolved = ok(await client.post(f"/v1/double-support-flags/{flags[0]['id']}/resolution",
                                    json={"decision": "confirmed", "resolution": "同一项目重复申报"},
                                    headers=CITY_OFFICER), 200)
    assert resolved["status"] == "confirmed"
    assert (await client.get("/v1/double-support-flags", headers=DEQING_OFFICER)).json()["items"] == []


async def test_the_applicant_does_not_see_who_reviewed_it(funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    round_ = await open_round(client)
    firm = await add_firm(client, 8)
    app = ok(await apply(client, firm, round_["id"]))
    app = await moved(client, app, "submit", firm["token"])
    app = await moved(client, app, "start_review", CITY_OFFICER)
    await assigned(client, app)
    ok(await client.post(f"/v1/applications/{app['id']}/reviews", json={"conflict_of_interest": False, "score": 70},
                         headers=REVIEWER))
    assert (await client.get(f"/v1/applications/{app['id']}/reviews", headers=firm["token"])).status_code == 403
    (review,) = ok(await client.get(f"/v1/applications/{app['id']}/reviews", headers=CITY_OFFICER), 200)
    assert (review["reviewer"], review["score"]) == ("reviewer-1", 70)
