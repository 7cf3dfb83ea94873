"""Challenges (揭榜挂帅 榜单) through the scenarios API, on PostgreSQL and on SQLite: drafts, reads in scope, edits
with If-Match, the stages through their transitions with their audit entries and the published event, and the
refusals that name the field (and the allowed transitions)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.scenarios.challenges_support import (
    ADMIN,
    CHALLENGE,
    ISSUER,
    OFFICER,
    OTHER_FIRM,
    OTHER_OFFICER,
    TODAY,
    WAN,
    create,
    moved,
    published,
    step,
)
from tests.support import count_rows, token

PUBLISHED = "seedbed.scenarios.challenge.published.v1"


async def test_the_stages_from_drafting_to_applications_open_with_audit_and_the_published_event(
        scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    draft = await create(client)
    assert draft["status"] == "drafting" and draft["version"] == 1
    assert draft["capability_tags"] == ["复合材料", "模压成型", "CAE仿真"]
    assert draft["indicators"][1] == {"name": "拉伸强度", "target": "600", "unit": "MPa",
                                      "verification": "third_party_test", "comparison": "at_least",
                                      "method": "GB/T 3354"}
    assert draft["bounty"] == {"total_fen": 500 * WAN, "issuer_fen": 400 * WAN, "public_fen": 100 * WAN}
    assert draft["eligibility"] == {"min_tier": "tech_sme", "areas": ["330502", "330503"]}
    assert [c["key"] for c in draft["review_criteria"]] == ["technical_route", "team", "plan"]

    in_review = await moved(client, draft, "submit_for_review", ISSUER)
    returned = await moved(client, in_review, "return_to_drafting", reason="指标口径需细化")
    assert returned["status"] == "drafting" and returned["status_reason"] == "指标口径需细化"
    challenge = await moved(client, returned, "submit_for_review", ISSUER)
    assert await outbox_payloads(url, PUBLISHED) == []
    challenge = await moved(client, challenge, "publish")
    assert challenge["status"] == "published" and challenge["published_at"] is not None

    (event,) = await outbox_payloads(url, PUBLISHED)
    assert event["challenge_id"] == challenge["id"] and event["title"] == CHALLENGE["title"]
    assert event["background"] == CHALLENGE["background"] and event["sector"] == "strategic_emerging"
    assert event["cluster"] == "nev_parts" and event["capability_tags"] == ["复合材料", "模压成型", "CAE仿真"]
    assert event["indicators"][0]["unit"] == "%" and event["indicators"][0]["target"] == "30"
    assert event["eligibility"]["min_tier"] == "tech_sme" and event["eligibility"]["areas"] == ["330502", "330503"]
    assert event["bounty"] == {"total_fen": 500 * WAN, "issuer_fen": 400 * WAN, "public_fen": 100 * WAN}
    assert event["issuer"] == {"kind": "enterprise", "uscc": CHALLENGE["issuer"]["uscc"], "department": None}
    assert event["district_code"] == "330502" and event["application_deadline"] == CHALLENGE["application_deadline"]

    opened = await moved(client, challenge, "open_applications")
    assert opened["status"] == "applications_open"
    for action in ("create", "submit_for_review", "return_to_drafting", "publish", "open_applications"):
        assert await count_rows(url, "audit_log", "WHERE entity_id = :id AND action = :a", id=draft["id"],
                                a=f"challenge.{action}") >= 1, action


async def test_an_illegal_transition_is_409_naming_the_allowed_ones(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    draft = await create(client)
    problem = expect_problem(await step(client, draft, "publish", OFFICER), 409)
    assert problem["errors"][0]["field"] == "status"
    assert {a["command"] for a in problem["allowed"]} == {"submit_for_review", "cancel"}
    in_review = await moved(client, draft, "submit_for_review", ISSUER)
    refused = expect_problem(await step(client, in_review, "publish", ISSUER), 403)
    assert refused["roles_allowed"] == ["officer"]
    assert expect_problem(await step(client, in_review, "return_to_drafting", OFFICER), 422)["errors"][0]["field"] \
        == "reason"
    # Appointments have their own route; the command alone is refused naming it.
    appoint = expect_problem(await step(client, in_review, "appoint", OFFICER), 422)
    assert appoint["errors"][0]["field"] == "command" and "appointments" in appoint["detail"]
    unknown = expect_problem(await step(client, in_review, "launch", OFFICER), 409)
    assert {a["command"] for a in unknown["allowed"]} == {"publish", "return_to_drafting", "cancel"}


async def test_edits_and_transitions_need_the_current_version(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    draft = await create(client)
    path = f"/v1/challenges/{draft['id']}"
    expect_problem(await client.post(f"{path}/transitions", json={"command": "submit_for_review"}, headers=ISSUER),
                   428)
    expect_problem(await client.post(f"{path}/transitions", json={"command": "submit_for_review"},
                                     headers={**ISSUER, "If-Match": '"9"'}), 412)
    edited = await client.patch(path, json={"title": "轻量化电池包壳体", "max_teams": 3,
                                            "bounty": {"total_fen": 600 * WAN, "issuer_fen": 480 * WAN,
                                                       "public_fen": 120 * WAN}},
                                headers={**ISSUER, "If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "轻量化电池包壳体" and edited.json()["max_teams"] == 3
    assert edited.json()["bounty"]["public_fen"] == 120 * WAN and edited.headers["etag"] == '"2"'
    assert await count_rows(database_url(client), "audit_log", "WHERE action = 'challenge.update'") == 1
    in_review = await moved(client, edited.json(), "submit_for_review", ISSUER)
    not_draft = await client.patch(path, json={"title": "再改"},
                                   headers={**ISSUER, "If-Match": f'"{in_review["version"]}"'})
    assert expect_problem(not_draft, 409)["errors"][0]["field"] == "status"
    cleared = await client.patch(path, json={"bounty": None}, headers={**OFFICER, "If-Match": '"1"'})
    expect_problem(cleared, 422)


async def test_readers_in_scope(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    draft = await create(client)
    path = f"/v1/challenges/{draft['id']}"
    for headers in (ISSUER, OFFICER, ADMIN, token(Role.SERVICE)):
        assert (await client.get(path, headers=headers)).status_code == 200
    for headers in (OTHER_FIRM, OTHER_OFFICER, token(Role.REVIEWER)):
        expect_problem(await client.get(path, headers=headers), 404)
    assert (await client.get("/v1/challenges", headers=OTHER_FIRM)).json()["items"] == []
    expect_problem(await client.get(path), 401)

    on_list = await published(client, title="已公示的榜单")
    for headers in (OTHER_FIRM, OTHER_OFFICER, token(Role.REVIEWER), token(Role.PARK_OPERATOR, platform_ids=[])):
        assert (await client.get(f"/v1/challenges/{on_list['id']}", headers=headers)).status_code == 200
    listed = (await client.get("/v1/challenges", headers=OTHER_FIRM)).json()["items"]
    assert [c["id"] for c in listed] == [on_list["id"]]
    filtered = await client.get("/v1/challenges", params={"status": "drafting", "district_code": "330502",
                                                          "sector": "strategic_emerging"}, headers=OFFICER)
    assert [c["id"] for c in filtered.json()["items"]] == [draft["id"]]
    # A cancelled challenge that was on the list stays readable; one cancelled as a draft does not.
    cancelled = await moved(client, on_list, "cancel", reason="无人揭榜")
    assert (await client.get(f"/v1/challenges/{cancelled['id']}", headers=OTHER_FIRM)).status_code == 200
    withdrawn = await moved(client, draft, "cancel", ISSUER, reason="需求变化")
    assert withdrawn["status"] == "closed"
    expect_problem(await client.get(path, headers=OTHER_FIRM), 404)
    # Another officer reads a published challenge, but may not move it.
    refused = await step(client, await published(client, title="第三个"), "open_applications", OTHER_OFFICER)
    assert refused.status_code == 403, refused.text


async def test_who_may_issue_for_whom(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    expect_problem(await client.post("/v1/challenges", json=CHALLENGE, headers=OTHER_FIRM), 403)
    department = {"kind": "department", "department": "吴兴区科学技术局"}
    public = {"total_fen": 200 * WAN, "issuer_fen": 0, "public_fen": 200 * WAN}
    expect_problem(await client.post("/v1/challenges", json={**CHALLENGE, "issuer": department, "bounty": public},
                                     headers=ISSUER), 403)
    outside = await client.post("/v1/challenges", json={**CHALLENGE, "issuer": department, "bounty": public},
                                headers=OTHER_OFFICER)
    assert expect_problem(outside, 403)["errors"][0]["field"] == "district_code"
    own = await create(client, OFFICER, issuer=department, bounty=public)
    assert (await moved(client, own, "submit_for_review"))["status"] == "review"


@pytest.mark.parametrize(("change", "field"), [
    ({"bounty": {"total_fen": 500 * WAN, "issuer_fen": 400 * WAN, "public_fen": 50 * WAN}}, "bounty.public_fen"),
    ({"indicators": [{"name": "减重", "target": "30", "verification": "third_party_test"}]}, "indicators.0.unit"),
    ({"indicators": [{"name": "减重", "target": "30", "unit": " ", "verification": "third_party_test"}]},
     "indicators.0.unit"),
    ({"indicators": [{"name": "减重", "target": "30", "unit": "%", "verification": "guess"}]},
     "indicators.0.verification"),
    ({"ip_terms": {"ownership": "joint"}}, "ip_terms.note"),
    ({"eligibility": {"min_tier": "gold"}}, "eligibility.min_tier"),
    ({"eligibility": {"areas": []}}, "eligibility.areas"),
    ({"max_teams": 0}, "max_teams"),
    ({"review_criteria": [{"key": "a", "name": "技术", "weight": "0.6"}, {"key": "b", "name": "团队",
                                                                          "weight": "0.3"}]}, "review_criteria"),
    ({"title": "电池包\x00壳体"}, "title"),
    ({"bounty": {"total_fen": True, "issuer_fen": 0, "public_fen": 1}}, "bounty.total_fen"),
    ({"issuer": {"kind": "department", "department": "吴兴区科学技术局"}}, "bounty.issuer_fen"),
])
async def test_bad_input_is_422_naming_the_field(scenarios_client: httpx.AsyncClient, change: dict[str, Any],
                                                 field: str) -> None:
    response = await scenarios_client.post("/v1/challenges", json={**CHALLENGE, **change}, headers=ADMIN)
    problem = expect_problem(response, 422)
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count_rows(database_url(scenarios_client), "challenges") == 0


async def test_publication_checks_the_deadline_and_the_issuers_share(scenarios_client: httpx.AsyncClient) -> None:
    client = scenarios_client
    late = await create(client, application_deadline=(TODAY - timedelta(days=1)).isoformat())
    assert expect_problem(await step(client, late, "submit_for_review", ISSUER), 422)["errors"][0]["field"] \
        == "application_deadline"
    # The issuing firm pays at least 80 % of its bounty (REFERENCE §7.1, configurable).
    cheap = await create(client, bounty={"total_fen": 100 * WAN, "issuer_fen": 50 * WAN, "public_fen": 50 * WAN})
    problem = expect_problem(await step(client, cheap, "submit_for_review", ISSUER), 422)
    assert problem["errors"][0]["field"] == "bounty.issuer_fen"
    again = await client.get(f"/v1/challenges/{cheap['id']}", headers=ISSUER)
    assert again.json()["status"] == "drafting" and again.json()["version"] == 1  # nothing half written


async def test_concurrent_transitions_with_one_if_match_leave_one_winner(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    challenge = await published(scenarios_client)
    answers = await asyncio.gather(*(step(scenarios_client, challenge, "open_applications", OFFICER)
                                     for _ in range(10)))
    assert sorted(a.status_code for a in answers) == [200] + [412] * 9, [a.text for a in answers]
    assert await count_rows(database_url(scenarios_client), "audit_log",
                            "WHERE action = 'challenge.open_applications'") == 1


async def test_the_programme_sets_the_rules_reference_leaves_open(tmp_path: Any,
                                                                  scenarios_sqlite_template: Any) -> None:
    """The issuer's minimum share (REFERENCE §7.1, [U] for city-level 揭榜) is a setting: none drops it."""
    import shutil

    from tests.support import running_app, settings_for, sqlite_url

    shutil.copyfile(scenarios_sqlite_template, tmp_path / "scenarios.db")
    settings = settings_for("scenarios", sqlite_url(tmp_path, "scenarios"), challenge_min_issuer_share=None,
                            challenge_max_parallel_teams=2)
    async with running_app("scenarios", settings) as client:
        cheap = await create(client, bounty={"total_fen": 100 * WAN, "issuer_fen": 50 * WAN, "public_fen": 50 * WAN})
        assert (await moved(client, cheap, "submit_for_review", ISSUER))["status"] == "review"
        race = await create(client, max_teams=3)
        assert expect_problem(await step(client, race, "submit_for_review", ISSUER), 422)["errors"][0]["field"] \
            == "max_teams"
