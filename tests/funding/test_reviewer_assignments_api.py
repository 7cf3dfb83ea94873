"""Reviewers assigned per application, through the funding API on PostgreSQL and SQLite: an officer who manages the
application assigns a reviewer who has declared their interests (the kit's declaration, ``shared.reviewers``);
a reviewer tied to the applicant is refused, naming each tie, and nothing is written; a reviewer reads, lists and
reviews only the applications assigned to them; a tie declared after the assignment keeps the reviewer from
scoring (checked again when the review is submitted). On PostgreSQL, racing assignments keep one per reviewer."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.funding.support import (
    CITY_OFFICER,
    DEQING_OFFICER,
    WUXING_OFFICER,
    add_firm,
    apply,
    assign,
    assigned,
    database_url,
    declare,
    moved,
    ok,
    open_round,
    reviewer,
)
from tests.registry.pools_support import expect_problem
from tests.support import count_rows, make_uscc


async def in_review(client: httpx.AsyncClient, n: int, round_id: str) -> tuple[dict, dict]:
    """Firm ``n`` and its application, submitted and under review."""
    firm = await add_firm(client, n)
    app = ok(await apply(client, firm, round_id))
    app = await moved(client, app, "submit", firm["token"])
    return firm, await moved(client, app, "start_review", CITY_OFFICER)


async def test_a_reviewer_sees_and_reviews_only_the_applications_assigned_to_them(
        funding_client: httpx.AsyncClient) -> None:
    client = funding_client
    round_ = await open_round(client)
    _, mine = await in_review(client, 21, round_["id"])
    _, theirs = await in_review(client, 22, round_["id"])
    made = await assigned(client, mine, "expert-wang")
    assert (made["reviewer_id"], made["application_id"], made["assigned_by"]) == ("expert-wang", mine["id"],
                                                                                 "local-officer")
    await assigned(client, theirs, "expert-li")

    wang = reviewer("expert-wang")
    listed = ok(await client.get("/v1/applications", headers=wang), 200)["items"]
    assert [a["id"] for a in listed] == [mine["id"]]
    # Another reviewer's application is absent for this one: not read, not reviewed, its reviews not listed.
    assert (await client.get(f"/v1/applications/{theirs['id']}", headers=wang)).status_code == 404
    assert (await client.post(f"/v1/applications/{theirs['id']}/reviews", json={"conflict_of_interest": False,
                                                                                "score": 80},
                              headers=wang)).status_code == 404
    assert (await client.get(f"/v1/applications/{theirs['id']}/reviews", headers=wang)).status_code == 404
    # A second reviewer scores first: wang does not see the panel's mean before scoring, only after.
    await assigned(client, mine, "expert-zhou")
    ok(await client.post(f"/v1/applications/{mine['id']}/reviews", json={"conflict_of_interest": False, "score": 60},
                         headers=reviewer("expert-zhou")))
    before = ok(await client.get(f"/v1/applications/{mine['id']}", headers=wang), 200)["reviews"]
    assert (before["assigned"], before["declarations"], before["scores"], before["mean_score"]) == (2, 1, 0, None)
    ok(await client.post(f"/v1/applications/{mine['id']}/reviews", json={"conflict_of_interest": False, "score": 80},
                         headers=wang))
    after = ok(await client.get(f"/v1/applications/{mine['id']}", headers=wang), 200)["reviews"]
    assert (after["scores"], after["mean_score"]) == (2, 70)
    # A reviewer never assigned anything sees nothing.
    assert ok(await client.get("/v1/applications", headers=reviewer("expert-idle")), 200)["items"] == []

    staff = ok(await client.get(f"/v1/applications/{mine['id']}/reviewers", headers=CITY_OFFICER), 200)
    assert [a["reviewer_id"] for a in staff] == ["expert-wang", "expert-zhou"]
    assert (await client.get(f"/v1/applications/{mine['id']}/reviewers", headers=wang)).status_code == 403


async def test_a_reviewer_tied_to_the_applicant_is_not_assigned_and_each_tie_is_named(
        funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client)
    firm, app = await in_review(client, 23, round_["id"])
    await declare(client, "expert-tied", organisation_uscc=firm["uscc"],
                  ties=[{"uscc": firm["uscc"], "kind": "shareholder"}, {"uscc": make_uscc(99), "kind": "officer"}])
    refused = expect_problem(await assign(client, app, "expert-tied"), 409)
    assert refused["title"] == "Conflict of interest" and refused["errors"][0]["field"] == "reviewer_id"
    assert refused["ties"] == [{"uscc": firm["uscc"], "party": "applicant", "kind": "same_organisation"},
                               {"uscc": firm["uscc"], "party": "applicant", "kind": "shareholder"}]
    # A reviewer who has not declared is not assigned either.
    undeclared = expect_problem(await assign(client, app, "expert-silent"), 409)
    assert undeclared["errors"][0]["field"] == "reviewer_id" and "declared" in undeclared["detail"]
    assert await count_rows(url, "reviewer_assignments") == 0
    assert (await client.get(f"/v1/applications/{app['id']}", headers=reviewer("expert-tied"))).status_code == 404

    # Once, and only by an officer who manages the application; not while it is a draft.
    await assigned(client, app)
    twice = expect_problem(await assign(client, app), 409)
    assert twice["errors"][0]["field"] == "reviewer_id"
    assert (await assign(client, app, "reviewer-2", DEQING_OFFICER)).status_code == 404
    await declare(client, "reviewer-2")
    ok(await assign(client, app, "reviewer-2", WUXING_OFFICER))
    assert (await client.post(f"/v1/applications/{app['id']}/reviewers", json={"reviewer_id": "reviewer-3"},
                              headers=firm["token"])).status_code == 403
    draft = ok(await apply(client, await add_firm(client, 24), round_["id"]))
    early = expect_problem(await assign(client, draft, "reviewer-2"), 409)
    assert (early["errors"][0]["field"], early["current_status"]) == ("status", "draft")
    assert await count_rows(url, "reviewer_assignments") == 2


async def test_a_tie_declared_after_the_assignment_keeps_the_reviewer_from_scoring(
        funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client)
    firm, app = await in_review(client, 25, round_["id"])
    await assigned(client, app, "expert-zhao")
    await declare(client, "expert-zhao", ties=[{"uscc": firm["uscc"], "kind": "employment"}])
    body = {"conflict_of_interest": False, "score": 91}
    scored = expect_problem(await client.post(f"/v1/applications/{app['id']}/reviews", json=body,
                                              headers=reviewer("expert-zhao")), 409)
    assert scored["ties"] == [{"uscc": firm["uscc"], "party": "applicant", "kind": "employment"}]
    assert await count_rows(url, "review_declarations") == 0
    # Recusing is what is left: declared on the application, without a score.
    recused = ok(await client.post(f"/v1/applications/{app['id']}/reviews", json={
        "conflict_of_interest": True, "statement": "本人现任该企业技术顾问"}, headers=reviewer("expert-zhao")))
    assert (recused["conflict_of_interest"], recused["score"]) == (True, None)


async def test_racing_assignments_of_one_reviewer_keep_one(funding_client: httpx.AsyncClient) -> None:
    if funding_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client)
    _, app = await in_review(client, 26, round_["id"])
    await declare(client, "expert-racer")
    answers = await asyncio.gather(*(assign(client, app, "expert-racer") for _ in range(12)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 11, [a.text for a in answers]
    assert await count_rows(url, "reviewer_assignments") == 1
    assert await count_rows(url, "audit_log", "WHERE action = 'application.reviewer_assigned'") == 1
