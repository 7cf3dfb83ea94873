"""Invitations (邀约) from matching's recommendations, on PostgreSQL and on SQLite: each recommended firm is invited
once per demand with matching's reasons, only while the demand is open; a firm reads and answers its own (accept:
a scenario's interest is recorded through the interests path; decline: with a reason code), once; the officers of
the demand's district see how firms answered. The same handler over real Kafka, with a redelivery, is in
test_invitations_over_kafka.py."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.registry.pools_support import database_url, expect_problem
from tests.scenarios import challenges_support as challenges
from tests.scenarios.invitations_support import (
    A_USCC,
    B_USCC,
    C_USCC,
    D_USCC,
    FIRM_A,
    FIRM_B,
    FIRM_C,
    deliver,
    invitations,
    recommendation,
)
from tests.scenarios.support import ADMIN, FIRM, FIRM_USCC, OFFICER, OTHER_OFFICER, known_firm, moved, publish_new
from tests.support import count_rows, token


def answer_path(invitation: dict[str, Any]) -> str:
    return f"/v1/invitations/{invitation['id']}/transitions"


async def only_invitation(client: httpx.AsyncClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    (invitation,) = await invitations(client, headers, **query)
    return invitation


async def test_each_recommended_firm_is_invited_once_with_the_reasons(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    await known_firm(url, A_USCC, "湖州南浔视觉智能有限公司")
    scenario = await publish_new(client)
    # The publisher itself among the candidates is not invited to its own scenario; a corrupt USCC is left out.
    first = recommendation("scenario", scenario, [(A_USCC, 0.82), (B_USCC, 0.61), (FIRM_USCC, 0.55),
                                                  ("9133050" + "X" * 40, 0.5)])
    # Republished under another event id (a rebuild of matching): A is not invited again, D is new.
    again = recommendation("scenario", scenario, [(A_USCC, 0.4), (D_USCC, 0.5)], terms=("别的词",))
    await deliver(url, first, again)
    assert await count_rows(url, "invitations") == 3
    assert await count_rows(url, "audit_log", "WHERE action = 'invitation.recorded'") == 3

    mine = await only_invitation(client, FIRM_A)
    assert (mine["demand_kind"], mine["demand_id"], mine["title"], mine["status"]) == (
        "scenario", scenario["id"], scenario["title"], "pending")
    assert mine["demand_href"] == f"/v1/scenarios/{scenario['id']}"
    assert (mine["enterprise_uscc"], mine["enterprise_name"]) == (A_USCC, "湖州南浔视觉智能有限公司")
    # The first recommendation's reasons, not the republished one's.
    assert mine["reasons"] == {"score": 0.82, "matched_terms": ["机器视觉", "验布"], "matched_tags": ["机器视觉"],
                               "contributions": {"text": 0.574, "tags": 0.246}}
    assert (mine["interest_id"], mine["apply_href"], mine["answered_at"], mine["answerable"]) == (
        None, None, None, True)

    # The district's officer, admins and services see every invitation of the scenario; another district's officer
    # none; another firm only its own.
    for headers in (OFFICER, ADMIN, token(Role.SERVICE)):
        seen = await invitations(client, headers, demand_id=scenario["id"])
        assert sorted(i["enterprise_uscc"] for i in seen) == sorted([A_USCC, B_USCC, D_USCC]), headers
    assert await invitations(client, OTHER_OFFICER) == []
    assert [i["enterprise_uscc"] for i in await invitations(client, FIRM_B)] == [B_USCC]
    assert await invitations(client, FIRM) == []  # the publisher was not invited
    one = await client.get(f"/v1/invitations/{mine['id']}", headers=FIRM_A)
    assert one.status_code == 200 and one.headers["ETag"] == '"1"' and one.json() == mine
    expect_problem(await client.get(f"/v1/invitations/{mine['id']}", headers=FIRM_B), 404)
    expect_problem(await client.get(f"/v1/invitations/{mine['id']}", headers=OTHER_OFFICER), 404)
    expect_problem(await client.get("/v1/invitations", headers=token(Role.REVIEWER)), 403)

    # Pages of two, newest first, each invitation once.
    page = (await client.get("/v1/invitations", params={"limit": 2}, headers=OFFICER)).json()
    rest = (await client.get("/v1/invitations", params={"limit": 2, "cursor": page["next_cursor"]},
                             headers=OFFICER)).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert len({i["id"] for i in page["items"] + rest["items"]}) == 3
    filtered = await invitations(client, OFFICER, status="pending", demand_kind="scenario")
    assert len(filtered) == 3 and await invitations(client, OFFICER, demand_kind="challenge") == []


async def test_a_demand_no_longer_open_records_no_invitation(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    docking = await moved(client, await publish_new(client, title="对接中的场景"), "start_docking", FIRM)
    piloting = await moved(client, await moved(client, await publish_new(client, title="试点中的场景"),
                                               "start_docking", FIRM), "start_pilot", OFFICER)
    withdrawn = await moved(client, await publish_new(client, title="撤回的场景"), "withdraw", FIRM,
                            reason="需求已取消")
    draft_challenge = await challenges.create(client, title="起草中的榜单")
    published_challenge = await challenges.published(client, title="公示中的榜单")
    open_challenge = await challenges.open_for_applications(client, title="申报中的榜单")
    unknown = {"id": "00000000-0000-4000-8000-000000000001", "title": "不在此处的场景"}
    await deliver(url, *(recommendation(kind, demand, [(A_USCC, 0.9)]) for kind, demand in (
        ("scenario", docking), ("scenario", piloting), ("scenario", withdrawn), ("scenario", unknown),
        ("challenge", draft_challenge), ("challenge", published_challenge), ("challenge", open_challenge),
        ("patent", docking))))
    invited = {i["title"] for i in await invitations(client, FIRM_A)}
    assert invited == {"对接中的场景", "公示中的榜单", "申报中的榜单"}
    assert await count_rows(url, "audit_log", "WHERE action = 'invitation.recorded'") == 3


async def test_accepting_a_scenario_invitation_records_the_firms_interest(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    scenario = await publish_new(client)
    # C had answered the scenario on its own before its invitation arrived.
    earlier = await client.post(f"/v1/scenarios/{scenario['id']}/interests", json={"note": "自己先来"}, headers=FIRM_C)
    assert earlier.status_code == 201, earlier.text
    await deliver(url, recommendation("scenario", scenario, [(A_USCC, 0.8), (C_USCC, 0.7)]))
    mine = await only_invitation(client, FIRM_A)

    # Only the invited firm answers: officers are refused, another firm does not see it, a stale ETag is refused.
    accept = {"command": "accept", "note": "已在两家印染企业部署验布系统"}
    expect_problem(await client.post(answer_path(mine), json=accept, headers=OFFICER), 403)
    expect_problem(await client.post(answer_path(mine), json=accept, headers=FIRM_B), 404)
    expect_problem(await client.post(answer_path(mine), json=accept, headers={**FIRM_A, "If-Match": '"7"'}), 412)

    accepted = await client.post(answer_path(mine), json=accept, headers={**FIRM_A, "If-Match": '"1"'})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["status"], body["version"], accepted.headers["ETag"]) == ("accepted", 2, '"2"')
    assert body["answered_at"] is not None and body["interest_id"] is not None and body["apply_href"] is None
    # The interest is the one the interests path records: the publisher sees A among those who answered.
    answered = (await client.get(f"/v1/scenarios/{scenario['id']}/interests", headers=FIRM)).json()["items"]
    assert {(i["enterprise_uscc"], i["note"]) for i in answered} == {(C_USCC, "自己先来"),
                                                                     (A_USCC, "已在两家印染企业部署验布系统")}
    assert body["interest_id"] == next(i["id"] for i in answered if i["enterprise_uscc"] == A_USCC)
    # Answered once: a second answer, either way, finds it answered.
    for again in (accept, {"command": "decline", "reason_code": "no_capacity"}):
        problem = expect_problem(await client.post(answer_path(mine), json=again, headers=FIRM_A), 409)
        assert problem["errors"][0]["field"] == "status" and problem["allowed"] == []

    # C's acceptance links the interest it had expressed; no second interest.
    theirs = await only_invitation(client, FIRM_C)
    linked = (await client.post(answer_path(theirs), json={"command": "accept"}, headers=FIRM_C)).json()
    assert linked["interest_id"] == earlier.json()["id"]
    assert await count_rows(url, "scenario_interests") == 2
    assert await count_rows(url, "audit_log", "WHERE action = 'scenario.interest'") == 2
    assert await count_rows(url, "audit_log", "WHERE action = 'invitation.accept'") == 2
    # The officer sees how both answered.
    seen = {i["enterprise_uscc"]: i["status"] for i in await invitations(client, OFFICER, demand_id=scenario["id"])}
    assert seen == {A_USCC: "accepted", C_USCC: "accepted"}


async def test_declining_says_why_and_bad_answers_change_nothing(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    scenario = await publish_new(client)
    await deliver(url, recommendation("scenario", scenario, [(A_USCC, 0.8)]))
    mine = await only_invitation(client, FIRM_A)
    for body, field in (
        ({"command": "decline"}, "reason_code"),
        ({"command": "decline", "reason_code": "busy"}, "reason_code"),
        ({"command": "decline", "reason_code": "other"}, "reason"),
        ({"command": "decline", "reason_code": "other", "reason": "  "}, "reason"),
        ({"command": "decline", "reason_code": "no_capacity", "note": "备注"}, "note"),
        ({"command": "accept", "reason_code": "no_capacity"}, "reason_code"),
        ({"command": "decline", "reason_code": "no_capacity", "reason": "x" * 2001}, "reason"),
        ({"command": "decline", "reason_code": "no_capacity", "extra": 1}, "extra"),
    ):
        problem = expect_problem(await client.post(answer_path(mine), json=body, headers=FIRM_A), 422)
        assert problem["errors"][0]["field"] == field, (body, problem)
    expect_problem(await client.post(answer_path(mine), json={"command": "ignore"}, headers=FIRM_A), 409)
    unchanged = (await client.get(f"/v1/invitations/{mine['id']}", headers=FIRM_A)).json()
    assert (unchanged["status"], unchanged["version"]) == ("pending", 1)

    declined = await client.post(answer_path(mine), json={"command": "decline", "reason_code": "other",
                                                           "reason": "本季度产线改造，无法承接"}, headers=FIRM_A)
    assert declined.status_code == 200, declined.text
    seen = await only_invitation(client, OFFICER, status="declined")
    assert (seen["decline_code"], seen["decline_reason"], seen["interest_id"]) == (
        "other", "本季度产线改造，无法承接", None)
    assert await count_rows(url, "scenario_interests") == 0
    assert await count_rows(url, "audit_log", "WHERE action = 'invitation.decline'") == 1

    # How firms answered, counted in the caller's scope.
    other = await publish_new(client, title="另一场景")
    await deliver(url, recommendation("scenario", other, [(A_USCC, 0.8), (B_USCC, 0.7)]))
    counted = await client.get("/v1/invitations/summary", params={"demand_id": scenario["id"]}, headers=OFFICER)
    assert counted.status_code == 200, counted.text
    assert counted.json() == {"total": 1, "by_status": {"pending": 0, "accepted": 0, "declined": 1},
                              "declined_by_code": {"outside_our_field": 0, "no_capacity": 0, "terms_unsuitable": 0,
                                                   "other": 1}}
    everything = (await client.get("/v1/invitations/summary", headers=OFFICER)).json()
    assert (everything["total"], everything["by_status"]["pending"]) == (3, 2)
    assert (await client.get("/v1/invitations/summary", headers=OTHER_OFFICER)).json()["total"] == 0
    assert (await client.get("/v1/invitations/summary", headers=FIRM_B)).json()["total"] == 1


async def test_accepting_after_the_demand_moved_on_is_refused_and_a_challenge_points_to_its_application(
    scenarios_client: httpx.AsyncClient,
) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    scenario = await publish_new(client)
    challenge = await challenges.open_for_applications(client)
    await deliver(url, recommendation("scenario", scenario, [(A_USCC, 0.8), (B_USCC, 0.7)]),
                  recommendation("challenge", challenge, [(A_USCC, 0.9)]))
    assert (await only_invitation(client, FIRM_A, demand_kind="scenario"))["answerable"] is True
    scenario = await moved(client, await moved(client, scenario, "start_docking", FIRM), "start_pilot", OFFICER)
    mine = await only_invitation(client, FIRM_A, demand_kind="scenario")
    assert (mine["status"], mine["answerable"]) == ("pending", False)  # its scenario moved on to the trial
    late = expect_problem(await client.post(answer_path(mine), json={"command": "accept"}, headers=FIRM_A), 409)
    assert late["errors"][0]["field"] == "status" and late["states_allowed"] == ["docking", "published"]
    assert await count_rows(url, "scenario_interests") == 0
    assert (await client.get(f"/v1/invitations/{mine['id']}", headers=FIRM_A)).json()["status"] == "pending"
    # Declining is still possible.
    theirs = await only_invitation(client, FIRM_B)
    declined = await client.post(answer_path(theirs), json={"command": "decline", "reason_code": "terms_unsuitable"},
                                 headers=FIRM_B)
    assert declined.status_code == 200 and declined.json()["decline_code"] == "terms_unsuitable"
    assert declined.json()["answerable"] is False

    # A challenge is answered by applying: the acceptance points there (and takes no note).
    invited = await only_invitation(client, FIRM_A, demand_kind="challenge")
    assert invited["demand_href"] == f"/v1/challenges/{challenge['id']}" and invited["answerable"] is True
    noted = expect_problem(await client.post(answer_path(invited), json={"command": "accept", "note": "能做"},
                                             headers=FIRM_A), 422)
    assert noted["errors"][0]["field"] == "note"
    accepted = await client.post(answer_path(invited), json={"command": "accept"}, headers=FIRM_A)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["apply_href"] == f"/v1/challenges/{challenge['id']}/applications"
    assert accepted.json()["interest_id"] is None


async def test_concurrent_answers_to_one_invitation_record_exactly_one(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = scenarios_client, database_url(scenarios_client)
    scenario = await publish_new(client)
    await deliver(url, recommendation("scenario", scenario, [(A_USCC, 0.8), (B_USCC, 0.7), (C_USCC, 0.6)]))

    # Without If-Match: ten answers at once, half accepting, half declining; the one-shot transition lets one in.
    mine = await only_invitation(client, FIRM_A)
    bodies = [{"command": "accept", "note": f"第{i}次"} if i % 2 else {"command": "decline", "reason_code": "other",
                                                                       "reason": f"第{i}次"} for i in range(10)]
    answers = await asyncio.gather(*(client.post(answer_path(mine), json=b, headers=FIRM_A) for b in bodies))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9, [a.text for a in answers]
    (winner,) = [a.json() for a in answers if a.status_code == 200]
    assert await count_rows(url, "audit_log", "WHERE action LIKE 'invitation.%' AND action <> "
                                              "'invitation.recorded'") == 1
    assert await count_rows(url, "scenario_interests") == (1 if winner["status"] == "accepted" else 0)
    stored = (await client.get(f"/v1/invitations/{mine['id']}", headers=FIRM_A)).json()
    assert (stored["status"], stored["version"]) == (winner["status"], 2)

    # With one If-Match: one answer, the others stale.
    theirs = await only_invitation(client, FIRM_B)
    answers = await asyncio.gather(*(client.post(answer_path(theirs), json={"command": "accept"},
                                                 headers={**FIRM_B, "If-Match": '"1"'}) for _ in range(10)))
    assert sorted(a.status_code for a in answers) == [200] + [412] * 9, [a.text for a in answers]
    assert await count_rows(url, "scenario_interests", "WHERE enterprise_uscc = :u", u=B_USCC) == 1

    # C accepts while also answering the scenario directly, five times: one interest, and the invitation links it.
    invited = await only_invitation(client, FIRM_C)
    direct = [client.post(f"/v1/scenarios/{scenario['id']}/interests", json={}, headers=FIRM_C) for _ in range(5)]
    accepting = client.post(answer_path(invited), json={"command": "accept"}, headers=FIRM_C)
    *interests, accepted = await asyncio.gather(*direct, accepting)
    assert accepted.status_code == 200, accepted.text
    assert sorted(i.status_code for i in interests) in ([200] * 5, [200] * 4 + [201]), [i.text for i in interests]
    assert await count_rows(url, "scenario_interests", "WHERE enterprise_uscc = :u", u=C_USCC) == 1
    assert accepted.json()["interest_id"] == interests[0].json()["id"]
