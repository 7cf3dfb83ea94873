"""Applications to a challenge (揭榜申报) through the scenarios API, on PostgreSQL and on SQLite: an Idempotency-Key
makes a retry safe, eligibility is checked against the enterprise read model with every failing rule named, one
application per challenge and lead enterprise, reads in scope with team names masked, decisions with reasons."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from services.scenarios.models import Challenge
from shared.auth import Role
from tests.registry.pools_support import connected, database_url, expect_problem, outbox_payloads
from tests.scenarios.challenges_support import (
    ADMIN,
    APPLICANT,
    APPLICANT_USCC,
    APPLICATION,
    ISSUER,
    ISSUER_USCC,
    OFFICER,
    OTHER_FIRM,
    OTHER_OFFICER,
    PARTNER_USCC,
    STRANGER_USCC,
    TODAY,
    WAN,
    apply,
    known_enterprise,
    open_for_applications,
    published,
)
from tests.support import count_rows, token

SUBMITTED = "seedbed.scenarios.challenge.application_submitted.v1"


async def _eligible_applicant(url: str) -> None:
    await known_enterprise(url, APPLICANT_USCC, "湖州碳材科技有限公司", held_tiers=["tech_sme"])


async def test_an_eligible_consortium_applies_once_and_a_retry_replays_the_first_answer(
        scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    await _eligible_applicant(url)
    challenge = await open_for_applications(client)
    key = str(uuid.uuid4())
    first = await apply(client, challenge, key=key)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["lead_uscc"] == APPLICANT_USCC and body["lead_name"] == "湖州碳材科技有限公司"
    assert body["status"] == "submitted" and body["partners"][0]["uscc"] == PARTNER_USCC
    assert body["team"][0]["name"] == "王建国" and body["personal_data_masked"] is False
    assert first.headers["location"] == f"/v1/challenges/{challenge['id']}/applications/{body['id']}"
    assert first.headers["etag"] == '"1"'

    again = await apply(client, challenge, key=key)
    assert again.status_code == 201 and again.json() == body
    assert again.headers["idempotent-replayed"] == "true" and again.headers["location"] == first.headers["location"]
    assert await count_rows(url, "challenge_applications") == 1
    assert await count_rows(url, "audit_log", "WHERE action = 'application.submit'") == 1
    (event,) = await outbox_payloads(url, SUBMITTED)
    assert event == {"challenge_id": challenge["id"], "application_id": body["id"], "lead_uscc": APPLICANT_USCC,
                     "partner_usccs": [PARTNER_USCC], "requested_fen": 300 * WAN, "district_code": "330502"}
    assert "王建国" not in str(event)  # no personal data travels

    other_body = await apply(client, challenge, key=key, requested_fen=200 * WAN)
    assert expect_problem(other_body, 422)["errors"][0]["field"] == "Idempotency-Key"
    # A new key is a new request: the enterprise has applied already.
    twice = await apply(client, challenge)
    assert expect_problem(twice, 409)["errors"][0]["field"] == "lead_uscc"
    without_key = await client.post(f"/v1/challenges/{challenge['id']}/applications", json=APPLICATION,
                                    headers=APPLICANT)
    assert expect_problem(without_key, 428)["errors"][0]["field"] == "Idempotency-Key"
    assert await count_rows(url, "challenge_applications") == 1


async def test_an_ineligible_enterprise_is_told_every_rule_it_fails(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    # The challenge asks for at least a tech SME in 330502 or 330503; this firm holds no tier and sits in 330521.
    await known_enterprise(url, APPLICANT_USCC, "德清某科技有限公司", district="330521", held_tiers=[])
    challenge = await open_for_applications(client)
    problem = expect_problem(await apply(client, challenge), 422)
    assert problem["errors"][0]["field"] == "lead_uscc"
    assert [r["rule"] for r in problem["failed_rules"]] == ["min_tier", "areas"]
    assert "tech_sme" in problem["detail"] and "330521" in problem["detail"]
    # The issuing firm does not take its own challenge.
    await known_enterprise(url, ISSUER_USCC, "湖州发榜企业有限公司", held_tiers=["little_giant"])
    own = await apply(client, challenge, ISSUER, partners=[],
                      team=[{"name": "钱工", "role": "lead", "organisation_uscc": ISSUER_USCC}])
    assert expect_problem(own, 422)["errors"][0]["field"] == "lead_uscc"
    # An enterprise the registry has not told this service about is refused, saying so.
    stranger = await apply(client, challenge, token(Role.ENTERPRISE, uscc=STRANGER_USCC),
                           team=[{"name": "赵一", "role": "lead", "organisation_uscc": STRANGER_USCC}], partners=[])
    assert [r["rule"] for r in expect_problem(stranger, 422)["failed_rules"]] == ["registered"]
    assert await count_rows(url, "challenge_applications") == 0
    assert await count_rows(url, "outbox") == 1  # the published event only


@pytest.mark.parametrize(("change", "field"), [
    ({"requested_fen": 700 * WAN}, "requested_fen"),
    ({"commitment_signed": False}, "commitment_signed"),
    ({"team": [{"name": "王建国", "role": "core", "organisation_uscc": APPLICANT_USCC}]}, "team"),
    ({"partners": [{"uscc": APPLICANT_USCC, "name": "自己", "role": "user", "responsibility": "试用"}]},
     "partners.0.uscc"),
    ({"team": [{"name": "王建国", "role": "lead", "organisation_uscc": STRANGER_USCC}]}, "team.0.organisation_uscc"),
    ({"budget_fen": -1}, "budget_fen"),
    ({"summary": "方案\x00概述"}, "summary"),
    ({"partners": [{"uscc": ISSUER_USCC, "name": "发榜企业", "role": "user", "responsibility": "试用"}],
      "team": [{"name": "王建国", "role": "lead", "organisation_uscc": APPLICANT_USCC}]}, "partners.0.uscc"),
])
async def test_a_malformed_application_is_422_naming_the_field(scenarios_client: httpx.AsyncClient,
                                                               change: dict[str, object], field: str) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    await _eligible_applicant(url)
    challenge = await open_for_applications(client)
    problem = expect_problem(await apply(client, challenge, **change), 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count_rows(url, "challenge_applications") == 0


async def test_applications_are_taken_only_while_the_window_is_open(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    await _eligible_applicant(url)
    not_yet = await published(client)
    assert expect_problem(await apply(client, not_yet), 409)["errors"][0]["field"] == "status"
    challenge = await open_for_applications(client, title="截止后的申报")
    async with connected(url, commit=True) as conn:  # the deadline passed; the job has not closed it yet
        await conn.execute(update(Challenge).where(Challenge.id == uuid.UUID(challenge["id"]))
                           .values(application_deadline=TODAY - timedelta(days=1)))
    late = expect_problem(await apply(client, challenge), 409)
    assert late["errors"][0]["field"] == "application_deadline"
    expect_problem(await apply(client, {"id": str(uuid.uuid4())}), 404)
    assert await count_rows(url, "challenge_applications") == 0


async def test_who_reads_which_applications(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    await _eligible_applicant(url)
    challenge = await open_for_applications(client)
    application = (await apply(client, challenge)).json()
    path = f"/v1/challenges/{challenge['id']}/applications"
    for headers in (APPLICANT, OFFICER, ADMIN):
        read = await client.get(f"{path}/{application['id']}", headers=headers)
        assert read.status_code == 200 and read.json()["team"][0]["name"] == "王建国"
        assert [a["id"] for a in (await client.get(path, headers=headers)).json()["items"]] == [application["id"]]
    for headers in (OTHER_FIRM, OTHER_OFFICER, token(Role.REVIEWER, subject="expert-unassigned")):
        expect_problem(await client.get(f"{path}/{application['id']}", headers=headers), 404)
    assert (await client.get(path, headers=OTHER_FIRM)).json()["items"] == []
    assert (await client.get(path, headers=OTHER_OFFICER)).json()["items"] == []
    service = (await client.get(f"{path}/{application['id']}", headers=token(Role.SERVICE))).json()
    assert service["personal_data_masked"] is True and service["team"][0]["name"] == "王**"
    expect_problem(await client.get(path, headers=token(Role.PARK_OPERATOR, platform_ids=[])), 403)


async def test_decisions_on_an_application_carry_their_reasons(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    await _eligible_applicant(url)
    await known_enterprise(url, STRANGER_USCC, "湖州另一家科技有限公司", held_tiers=["srdi_sme"])
    challenge = await open_for_applications(client)
    first = (await apply(client, challenge)).json()
    second = (await apply(client, challenge, token(Role.ENTERPRISE, uscc=STRANGER_USCC), partners=[],
                          team=[{"name": "赵一", "role": "lead", "organisation_uscc": STRANGER_USCC}])).json()
    path = f"/v1/challenges/{challenge['id']}/applications"

    async def decide(application: dict[str, object], headers: dict[str, str], **body: object) -> httpx.Response:
        return await client.post(f"{path}/{application['id']}/transitions", json=body,
                                 headers={**headers, "If-Match": f'"{application["version"]}"'})

    expect_problem(await decide(first, APPLICANT, command="shortlist"), 403)
    shortlisted = await decide(first, OFFICER, command="shortlist")
    assert shortlisted.status_code == 200 and shortlisted.json()["status"] == "shortlisted"
    no_code = expect_problem(await decide(second, OFFICER, command="reject", reason="材料不全"), 422)
    assert no_code["errors"][0]["field"] == "reason_code"
    rejected = await decide(second, OFFICER, command="reject", reason="缺少承诺书原件", reason_code="incomplete")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["reason_code"] == "incomplete" and rejected.json()["reason_text"] == "缺少承诺书原件"
    assert expect_problem(await decide(rejected.json(), OFFICER, command="shortlist"), 409)["allowed"] == []
    withdrawn = await decide(shortlisted.json(), APPLICANT, command="withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert await count_rows(url, "audit_log", "WHERE entity_type = 'challenge_application'") == 5


async def test_racing_applications_leave_one_per_enterprise(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = scenarios_client, database_url(scenarios_client)
    await _eligible_applicant(url)
    challenge = await open_for_applications(client)
    # Ten retries of one request (one key) at once: one application, ten times the same answer.
    key = str(uuid.uuid4())
    same = await asyncio.gather(*(apply(client, challenge, key=key) for _ in range(10)))
    assert {a.status_code for a in same} <= {201, 409}, [a.text for a in same]
    created = [a for a in same if a.status_code == 201]
    assert len({a.json()["id"] for a in created}) == 1
    assert sum(a.headers.get("idempotent-replayed") != "true" for a in created) == 1
    # Ten different requests of one enterprise at once: the unique key keeps one.
    other = await open_for_applications(client, title="另一个榜单")
    answers = await asyncio.gather(*(apply(client, other) for _ in range(10)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 9, [a.text for a in answers]
    assert await count_rows(url, "challenge_applications") == 2
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=SUBMITTED) == 2
