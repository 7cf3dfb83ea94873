"""DESIGN §10 step 5 across two services over real Kafka and PostgreSQL: a challenge (揭榜挂帅) taken through the
scenarios API from expert review to appointment, milestones and acceptance; scenarios' relay publishes the
acceptance; funding's worker pays the appointed team's public share from the challenge-bounty round, once — and
the registry's side of the money is the fund.disbursed event funding publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from services.funding import worker as funding_worker
from services.scenarios import worker as scenarios_worker
from shared.auth import Role
from tests.funding.support import ADMIN, add_firm, balance, ok, open_round
from tests.registry.pools_support import outbox_payloads
from tests.scenarios.challenges_support import (
    OFFICER,
    WAN,
    firm_uscc,
    in_expert_review,
    milestones,
    moved,
    scored_by,
    scores,
)
from tests.support import count_rows, pg_url, running_app, settings_for, token, truncate, wait_for


@pytest.fixture
async def services(postgres: None, kafka: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    await truncate("scenarios")
    await truncate("funding")
    stop = asyncio.Event()
    workers = [asyncio.create_task(scenarios_worker.run(settings_for("scenarios"), stop)),
               asyncio.create_task(funding_worker.run(settings_for("funding"), stop))]
    async with running_app("scenarios", settings_for("scenarios")) as scenarios, \
            running_app("funding", settings_for("funding")) as funding:
        funding.database_url = pg_url("funding")  # type: ignore[attr-defined]
        yield scenarios, funding
    stop.set()
    for worker in workers:
        await asyncio.wait_for(worker, 30)


async def test_an_accepted_challenge_pays_the_public_share_once_from_the_bounty_round(
        services: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    scenarios, funding = services
    round_ = await open_round(funding, budget_fen=500 * WAN, cap_fen=500 * WAN, instrument="challenge_bounty",
                              round_extra={"pays_challenge_bounties": True})
    # The lead firm as funding knows it from the registry's events (firm_uscc(1) is the scenarios helpers' firm 1).
    firm = await add_firm(funding, 4401)
    assert firm["uscc"] == firm_uscc(1)

    challenge, (application,) = await in_expert_review(scenarios, pg_url("scenarios"), 1)
    await scored_by(scenarios, challenge, application, "e1", scores("9", "9", "9"))
    base = f"/v1/challenges/{challenge['id']}"
    appointed = await scenarios.post(f"{base}/appointments", headers=OFFICER, json={
        "application_id": application["id"], "milestones": milestones("0.4", "0.6")})
    assert appointed.status_code == 201, appointed.text
    current = (await scenarios.get(base, headers=OFFICER)).json()
    current = await moved(scenarios, current, "start_milestones")
    lead = token(Role.ENTERPRISE, uscc=firm_uscc(1))
    for stone in (await scenarios.get(f"{base}/milestones", headers=lead)).json():
        path = f"{base}/milestones/{stone['id']}/transitions"
        assert (await scenarios.post(path, json={"command": "submit"}, headers={**lead, "If-Match": '"1"'})
                ).status_code == 200
        assert (await scenarios.post(path, json={"command": "pass"}, headers={**OFFICER, "If-Match": '"2"'})
                ).status_code == 200
    accepted = await moved(scenarios, current, "pass_acceptance", passed_teams=[application["id"]])
    assert accepted["status"] == "acceptance_passed"

    async def paid() -> bool:
        return await count_rows(pg_url("funding"), "ledger_entries", "WHERE kind = 'disbursed'") == 1

    await wait_for(paid, timeout=60)
    (award,) = ok(await funding.get("/v1/applications?origin=automatic", headers=ADMIN), 200)["items"]
    (accepted_event,) = await outbox_payloads(pg_url("scenarios"), "seedbed.scenarios.challenge.accepted.v1")
    (event,) = await outbox_payloads(pg_url("funding"), "seedbed.funding.fund.disbursed.v1")
    assert event["amount_fen"] == accepted_event["passed_teams"][0]["public_fen"] == 100 * WAN
    assert award["status"] == "closed" and award["uscc"] == firm_uscc(1)
    assert award["disbursed_fen"] == event["amount_fen"] > 0 and event["instrument"] == "challenge_bounty"
    assert award["award_key"] == f"challenge:{challenge['id']}:{application['id']}"
    b = await balance(funding, round_["id"])
    assert (b["disbursed_fen"], b["reconciled"]) == (award["disbursed_fen"], True)
