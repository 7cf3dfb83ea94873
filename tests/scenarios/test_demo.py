"""The scenarios demo of `make run` (services/scenarios/demo.py) loads through the API without a refusal, leaves
scenarios in every state and challenges in several stages, publishes the first editions, and changes nothing when
run again."""

from __future__ import annotations

from collections import Counter

import httpx

from services.scenarios.demo import ADMIN, Tally, answer_invitations, load
from tests.registry.pools_support import database_url
from tests.scenarios.invitations_support import A_USCC, B_USCC, C_USCC, deliver, invitations, recommendation
from tests.support import count_rows


async def test_the_demo_loads_every_state_and_runs_again_harmlessly(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    tally = await load(client)
    assert tally.refused == [] and not tally.skipped, tally
    scenarios = (await client.get("/v1/scenarios", params={"limit": 200}, headers=ADMIN)).json()["items"]
    states = Counter(s["status"] for s in scenarios)
    assert set(states) == {"draft", "submitted", "approved", "published", "docking", "pilot", "scale_up", "closed",
                           "withdrawn"}, states
    assert {s["outcome"] for s in scenarios if s["status"] == "closed"} == {"validated", "no_match"}
    assert all(s["supplier_uscc"] for s in scenarios if s["status"] in ("pilot", "scale_up"))
    challenges = (await client.get("/v1/challenges", params={"limit": 200}, headers=ADMIN)).json()["items"]
    assert {c["status"] for c in challenges} == {"drafting", "review", "published", "applications_open",
                                                 "shortlisting", "closed"}
    assert (await client.get("/v1/public/scenarios")).json()["items"]
    for kind in ("scenarios", "challenges"):
        (edition,) = (await client.get(f"/v1/public/lists/{kind}/editions")).json()["items"]
        assert edition["number"] == 1 and edition["item_count"] > 0
    rows = {table: await count_rows(url, table) for table in ("scenarios", "challenges", "scenario_interests",
                                                              "list_editions", "outbox")}

    again = await load(client)
    assert again.refused == [] and sum(again.done.values()) == 0
    assert {table: await count_rows(url, table) for table in rows} == rows


async def test_the_demo_answers_a_few_invitations_once(scenarios_client: httpx.AsyncClient) -> None:
    """Once matching's recommendations have become invitations, the demo has the best-scored firm of an open demand
    accept and the next decline; a second run answers nothing more."""
    client, url = scenarios_client, database_url(scenarios_client)
    await load(client)
    scenarios = (await client.get("/v1/scenarios", params={"status": "published"}, headers=ADMIN)).json()["items"]
    (piloted, *_) = (await client.get("/v1/scenarios", params={"status": "pilot"}, headers=ADMIN)).json()["items"]
    await deliver(url, recommendation("scenario", scenarios[0], [(A_USCC, 0.6), (B_USCC, 0.9), (C_USCC, 0.3)]),
                  recommendation("scenario", piloted, [(A_USCC, 0.9)]))  # in its trial: not invited
    tally = Tally()
    await answer_invitations(client, tally, wait_seconds=0)
    assert tally.refused == [] and tally.done == {"invitation accept": 1, "invitation decline": 1}, tally
    answers = {i["enterprise_uscc"]: (i["status"], i["decline_code"]) for i in await invitations(client, ADMIN)}
    assert answers == {B_USCC: ("accepted", None), A_USCC: ("declined", "no_capacity"), C_USCC: ("pending", None)}
    assert await count_rows(url, "scenario_interests", "WHERE enterprise_uscc = :u", u=B_USCC) == 1

    again = Tally()
    await answer_invitations(client, again, wait_seconds=0)
    assert sum(again.done.values()) == 0 and again.refused == []
