"""Expert review, appointment (挂帅), milestones and acceptance (验收) through the scenarios API, on PostgreSQL and
on SQLite: conflicts of interest refused naming the ties, score sheets once and secret until one's own is in, the
trimmed-mean ranking, a single winner or 赛马 teams with their milestones, a structured reason for every applicant
not chosen, the appointed / accepted / failed events funding pays from, and the appointment race on PostgreSQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.scenarios.challenges_support import (
    ADMIN,
    CHALLENGE,
    ISSUER_USCC,
    OFFICER,
    OTHER_OFFICER,
    WAN,
    assign,
    declare,
    firm_uscc,
    in_expert_review,
    milestones,
    moved,
    reviewer,
    score,
    scored_by,
    scores,
    step,
)
from tests.support import count_rows, token

APPOINTED = "seedbed.scenarios.challenge.appointed.v1"
ACCEPTED = "seedbed.scenarios.challenge.accepted.v1"
FAILED = "seedbed.scenarios.challenge.failed.v1"


def _path(challenge: dict[str, Any], application: dict[str, Any] | None = None) -> str:
    base = f"/v1/challenges/{challenge['id']}"
    return f"{base}/applications/{application['id']}" if application else base


async def _appoint(client: httpx.AsyncClient, challenge: dict[str, Any], application: dict[str, Any],
                   headers: dict[str, str] = OFFICER, **body: Any) -> httpx.Response:
    return await client.post(f"{_path(challenge)}/appointments",
                             json={"application_id": application["id"], "milestones": milestones("0.4", "0.6"),
                                   **body}, headers=headers)


async def _challenge(client: httpx.AsyncClient, url: str, challenge_id: str) -> dict[str, Any]:
    return (await client.get(f"/v1/challenges/{challenge_id}", headers=OFFICER)).json()  # type: ignore[no-any-return]


async def test_a_reviewer_tied_to_an_applicant_or_a_partner_is_not_assigned(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, (first, second) = await in_expert_review(client, url, 2)
    undeclared = expect_problem(await assign(client, challenge, first, "expert-new"), 409)
    assert undeclared["errors"][0]["field"] == "reviewer_id" and "declared" in undeclared["detail"]
    await declare(client, "expert-colleague", organisation_uscc=firm_uscc(1))
    same = expect_problem(await assign(client, challenge, first, "expert-colleague"), 409)
    assert same["ties"] == [{"uscc": firm_uscc(1), "party": "applicant", "kind": "same_organisation"}]
    await declare(client, "expert-shareholder", ties=[{"uscc": firm_uscc(2), "kind": "shareholder"},
                                                      {"uscc": firm_uscc(2), "kind": "officer"}])
    tied = expect_problem(await assign(client, challenge, second, "expert-shareholder"), 409)
    assert {t["kind"] for t in tied["ties"]} == {"shareholder", "officer"} and firm_uscc(2) in tied["detail"]
    # Not tied to the first applicant: assigned, once.
    assert (await assign(client, challenge, first, "expert-shareholder")).status_code == 201
    assert expect_problem(await assign(client, challenge, first, "expert-shareholder"), 409)["errors"][0]["field"] \
        == "reviewer_id"
    expect_problem(await client.post(f"{_path(challenge, first)}/reviewers", json={"reviewer_id": "x"},
                                     headers=OTHER_OFFICER), 403)
    assert await count_rows(url, "reviewer_assignments") == 1
    # A tie declared after the assignment keeps the reviewer from scoring.
    current = (await client.get("/v1/reviewers/me/declaration", headers=reviewer("expert-shareholder"))).json()
    changed = await client.put("/v1/reviewers/me/declaration", json={"ties": [{"uscc": firm_uscc(1),
                                                                                 "kind": "employment"}]},
                               headers={**reviewer("expert-shareholder"), "If-Match": f'"{current["version"]}"'})
    assert changed.status_code == 200, changed.text
    late = expect_problem(await score(client, challenge, first, "expert-shareholder", scores("8", "7", "9")), 409)
    assert late["ties"][0]["kind"] == "employment"
    assert await count_rows(url, "score_sheets") == 0


async def test_score_sheets_are_submitted_once_and_kept_secret_until_ones_own_is_in(
        scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, (first, second) = await in_expert_review(client, url, 2)
    for name in ("expert-a", "expert-b"):
        await declare(client, name)
        assert (await assign(client, challenge, first, name)).status_code == 201
    # A reviewer reads only what is assigned.
    assert (await client.get(_path(challenge, first), headers=reviewer("expert-a"))).status_code == 200
    expect_problem(await client.get(_path(challenge, second), headers=reviewer("expert-a")), 404)
    listed = (await client.get("/v1/reviewers/me/assignments", headers=reviewer("expert-a"))).json()["items"]
    assert [(a["application_id"], a["scored"]) for a in listed] == [(first["id"], False)]

    sheet = await score(client, challenge, first, "expert-a", {**scores("8", "7", "9"), "comment": "路线清晰"})
    assert sheet.status_code == 201, sheet.text
    assert Decimal(sheet.json()["total"]) == Decimal("79")  # 100 × (0.5·0.8 + 0.3·0.7 + 0.2·0.9)
    again = expect_problem(await score(client, challenge, first, "expert-a", scores("9", "9", "9")), 409)
    assert again["errors"][0]["field"] == "scores"
    # expert-b has not scored: sees no sheet; officers see them all.
    sheets = f"{_path(challenge, first)}/score-sheets"
    assert (await client.get(sheets, headers=reviewer("expert-b"))).json() == []
    assert len((await client.get(sheets, headers=OFFICER)).json()) == 1
    assert (await score(client, challenge, first, "expert-b", scores("6", "6", "6"))).status_code == 201
    assert {s["reviewer_id"] for s in (await client.get(sheets, headers=reviewer("expert-b"))).json()} \
        == {"expert-a", "expert-b"}
    # Not assigned: no such application for this reviewer.
    expect_problem(await score(client, challenge, second, "expert-a", scores("8", "8", "8")), 404)
    expect_problem(await client.get(f"{_path(challenge, second)}/score-sheets", headers=reviewer("expert-a")), 404)
    assert (await client.get("/v1/reviewers/me/assignments", headers=reviewer("expert-a"))).json()["items"][0][
        "scored"] is True
    assert await count_rows(url, "score_sheets") == 2


@pytest.mark.parametrize(("sheet", "field"), [
    ({"scores": {"technical_route": "8", "team": "7"}}, "scores.plan"),
    ({"scores": {"technical_route": "11", "team": "7", "plan": "9"}}, "scores.technical_route"),
    ({"scores": {"technical_route": "8", "team": "7", "plan": "9", "price": "5"}}, "scores.price"),
    ({"scores": {"technical_route": "8.125", "team": "7", "plan": "9"}}, "scores.technical_route"),
    ({"scores": {"technical_route": True, "team": "7", "plan": "9"}}, "scores.technical_route"),
])
async def test_a_malformed_score_sheet_is_422_naming_the_criterion(scenarios_client: httpx.AsyncClient,
                                                                   sheet: dict[str, Any], field: str) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, (first,) = await in_expert_review(client, url, 1)
    await declare(client, "expert-a")
    await assign(client, challenge, first, "expert-a")
    problem = expect_problem(await score(client, challenge, first, "expert-a", sheet), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count_rows(url, "score_sheets") == 0


async def test_a_single_winner_from_review_to_acceptance_with_reasons_for_the_others(
        scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, (first, second, third) = await in_expert_review(client, url, 3)
    # Five sheets for the first: the highest and the lowest are dropped (REFERENCE-free programme rule, issue 12).
    for name, sheet in (("e1", scores("10", "10", "10")), ("e2", scores("8", "8", "8")), ("e3", scores("7", "7", "7")),
                        ("e4", scores("6", "6", "6")), ("e5", scores("1", "1", "1"))):
        await scored_by(client, challenge, first, name, sheet)
    await scored_by(client, challenge, second, "e1", scores("9", "9", "9"))
    ranking = (await client.get(f"{_path(challenge)}/ranking", headers=OFFICER)).json()
    assert [e["application_id"] for e in ranking["entries"]] == [second["id"], first["id"]]
    assert Decimal(ranking["entries"][1]["score"]) == Decimal("70") and ranking["entries"][1]["trimmed"] is True
    assert ranking["unranked"] == [third["id"]]
    expect_problem(await client.get(f"{_path(challenge)}/ranking", headers=token(Role.ENTERPRISE,
                                                                                uscc=ISSUER_USCC)), 403)

    # Passing over the better-ranked application needs a reason; an unranked one cannot be appointed.
    assert expect_problem(await _appoint(client, challenge, first), 422)["errors"][0]["field"] == "reason"
    expect_problem(await _appoint(client, challenge, third), 409)
    bad_plan = await _appoint(client, challenge, second, milestones=milestones("0.5", "0.4"))
    assert expect_problem(bad_plan, 422)["errors"][0]["field"] == "milestones"
    too_much = await _appoint(client, challenge, second, award_fen=600 * WAN)
    assert expect_problem(too_much, 422)["errors"][0]["field"] == "award_fen"
    expect_problem(await _appoint(client, challenge, second, OTHER_OFFICER), 403)
    team = await _appoint(client, challenge, second)
    assert team.status_code == 201, team.text
    assert team.json()["challenge_status"] == "appointed" and team.json()["application"]["award_fen"] == 500 * WAN
    assert [m["tranche_fen"] for m in team.json()["milestones"]] == [200 * WAN, 300 * WAN]
    full = expect_problem(await _appoint(client, challenge, first, reason="第二名也想要"), 409)
    assert full["appointed"] == [second["id"]]
    (event,) = await outbox_payloads(url, APPOINTED)
    assert event["team"] == {"application_id": second["id"], "lead_uscc": firm_uscc(2), "partner_usccs": [],
                             "award_fen": 500 * WAN, "issuer_fen": 400 * WAN, "public_fen": 100 * WAN}
    assert event["bounty"]["public_fen"] == 100 * WAN and event["issuer"]["uscc"] == ISSUER_USCC
    assert "负责人" not in str(event)

    current = await _challenge(client, url, challenge["id"])
    current = await moved(client, current, "start_milestones")
    listed = (await client.get(f"{_path(challenge)}/applications", headers=OFFICER)).json()["items"]
    reasons = {a["id"]: (a["status"], a["reason_code"]) for a in listed}
    assert reasons == {first["id"]: ("not_appointed", "ranked_below"), second["id"]: ("appointed", None),
                       third["id"]: ("not_appointed", "not_ranked")}
    assert all(a["reason_text"] for a in listed if a["status"] == "not_appointed")

    # The team submits each milestone; the officer passes them; acceptance names the team that passed.
    lead = token(Role.ENTERPRISE, uscc=firm_uscc(2))
    stones = (await client.get(f"{_path(challenge)}/milestones", headers=lead)).json()
    assert [m["seq"] for m in stones] == [1, 2]
    assert (await client.get(f"{_path(challenge)}/milestones",
                             headers=token(Role.ENTERPRISE, uscc=firm_uscc(1)))).json() == []
    early = await step(client, current, "pass_acceptance", OFFICER, passed_teams=[second["id"]])
    assert expect_problem(early, 409)["teams_active"] == [second["id"]]
    for stone in stones:
        path = f"{_path(challenge)}/milestones/{stone['id']}/transitions"
        expect_problem(await client.post(path, json={"command": "pass"}, headers={**lead, "If-Match": '"1"'}), 409)
        submitted = await client.post(path, json={"command": "submit"}, headers={**lead, "If-Match": '"1"'})
        assert submitted.status_code == 200, submitted.text
        expect_problem(await client.post(path, json={"command": "pass"}, headers={**lead, "If-Match": '"2"'}), 403)
        passed = await client.post(path, json={"command": "pass"}, headers={**OFFICER, "If-Match": '"2"'})
        assert passed.status_code == 200 and passed.json()["status"] == "passed"
    accepted = await moved(client, current, "pass_acceptance", passed_teams=[second["id"]])
    assert accepted["status"] == "acceptance_passed"
    (event,) = await outbox_payloads(url, ACCEPTED)
    assert event["public_fen_due"] == 100 * WAN and event["challenge_id"] == challenge["id"]
    assert event["passed_teams"][0]["lead_uscc"] == firm_uscc(2) and event["passed_teams"][0]["public_fen"] == 100 * WAN
    assert (await client.get(_path(challenge, second), headers=lead)).json()["acceptance"] == "passed"
    closed = await moved(client, accepted, "close")
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    assert await outbox_payloads(url, FAILED) == []


async def test_a_horse_race_appoints_several_teams_and_a_failed_acceptance_pays_nothing(
        scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, (first, second, third) = await in_expert_review(client, url, 3, max_teams=2)
    for application, sheet in ((first, scores("9", "9", "9")), (second, scores("8", "8", "8")),
                               (third, scores("5", "5", "5"))):
        await scored_by(client, challenge, application, "e1", sheet)
    assert (await _appoint(client, challenge, first)).status_code == 201
    second_team = await _appoint(client, challenge, second, milestones=milestones("1"))
    assert second_team.status_code == 201, second_team.text
    assert second_team.json()["application"]["award_fen"] == 250 * WAN
    expect_problem(await _appoint(client, challenge, third), 409)
    events = await outbox_payloads(url, APPOINTED)
    assert [len(e["teams"]) for e in events] == [1, 2]
    assert [t["public_fen"] for t in events[1]["teams"]] == [50 * WAN, 50 * WAN]
    assert sum(t["public_fen"] for t in events[1]["teams"]) == CHALLENGE["bounty"]["public_fen"]

    current = await moved(client, await _challenge(client, url, challenge["id"]), "start_milestones")
    assert (await client.get(_path(challenge, third), headers=OFFICER)).json()["reason_code"] == "ranked_below"
    no_reason = expect_problem(await step(client, current, "fail_acceptance", OFFICER), 422)
    assert no_reason["errors"][0]["field"] == "reason"
    failed = await moved(client, current, "fail_acceptance", reason="减重指标未达到 30%")
    assert failed["status"] == "acceptance_failed"
    (event,) = await outbox_payloads(url, FAILED)
    assert event["reason"] == "减重指标未达到 30%" and {t["lead_uscc"] for t in event["teams"]} \
        == {firm_uscc(1), firm_uscc(2)}
    assert await outbox_payloads(url, ACCEPTED) == []


async def test_cancelling_a_challenge_tells_every_open_applicant_why(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, applications = await in_expert_review(client, url, 2)
    cancelled = await moved(client, challenge, "cancel", reason="发榜企业撤回需求")
    assert cancelled["status"] == "closed"
    listed = (await client.get(f"{_path(challenge)}/applications", headers=ADMIN)).json()["items"]
    assert {a["reason_code"] for a in listed} == {"challenge_cancelled"}
    assert all("发榜企业撤回需求" in a["reason_text"] for a in listed)
    assert await count_rows(url, "audit_log", "WHERE action = 'application.decline'") == len(applications)


async def test_expert_review_starts_only_once_every_application_is_decided(scenarios_client: httpx.AsyncClient) -> None:
    from tests.scenarios.challenges_support import apply, known_enterprise, open_for_applications

    client, url = scenarios_client, database_url(scenarios_client)
    await known_enterprise(url, firm_uscc(1), "湖州揭榜企业1有限公司", held_tiers=["tech_sme"])
    challenge = await open_for_applications(client)
    application = (await apply(client, challenge, token(Role.ENTERPRISE, uscc=firm_uscc(1)), partners=[],
                               team=[{"name": "负责人", "role": "lead", "organisation_uscc": firm_uscc(1)}])).json()
    challenge = await moved(client, challenge, "close_applications")
    problem = expect_problem(await step(client, challenge, "start_expert_review", OFFICER), 409)
    assert problem["undecided"] == [application["id"]]
    assert (await _challenge(client, url, challenge["id"]))["status"] == "shortlisting"  # nothing half written


async def test_officers_racing_to_appoint_a_single_winner_leave_exactly_one(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, applications = await in_expert_review(client, url, 6)
    for n, application in enumerate(applications):
        await scored_by(client, challenge, application, "e1", scores(str(9 - n), "8", "8"))
    officers = [token(Role.OFFICER, districts=["330502"], subject=f"officer-{n}") for n in range(len(applications))]
    answers = await asyncio.gather(*(_appoint(client, challenge, application, officer, reason="择优挂帅")
                                     for application, officer in zip(applications, officers, strict=True)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 5, [a.text for a in answers]
    assert await count_rows(url, "challenge_applications", "WHERE status = 'appointed'") == 1
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=APPOINTED) == 1
    winner = next(a for a in answers if a.status_code == 201).json()["application"]["id"]
    assert await count_rows(url, "challenge_milestones", "WHERE application_id = :a", a=winner) == 2
    assert await count_rows(url, "challenge_milestones") == 2


async def test_racing_assignments_and_score_sheets_keep_one_per_reviewer(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = scenarios_client, database_url(scenarios_client)
    challenge, (first,) = await in_expert_review(client, url, 1)
    await declare(client, "expert-racer")
    assigned = await asyncio.gather(*(assign(client, challenge, first, "expert-racer") for _ in range(8)))
    assert sorted(a.status_code for a in assigned) == [201] + [409] * 7, [a.text for a in assigned]
    sheets = await asyncio.gather(*(score(client, challenge, first, "expert-racer", scores(str(n), "7", "7"))
                                    for n in range(2, 10)))
    assert sorted(s.status_code for s in sheets) == [201] + [409] * 7, [s.text for s in sheets]
    assert all(s.json()["errors"][0]["field"] == "scores" for s in sheets if s.status_code == 409)
    assert await count_rows(url, "score_sheets") == 1 and await count_rows(url, "reviewer_assignments") == 1
    assert await count_rows(url, "audit_log", "WHERE action = 'review.score'") == 1
