"""Awards without an application, on PostgreSQL and SQLite: a 免申即享 rule run over the enterprise read model makes
pre-approved awards, each explained (which rule, which facts, which amount), within the round's budget, once per
firm however often it runs; and the challenge-bounty handler pays a passed team's public share once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.funding import consumers
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent
from shared.events.scenarios import AppointedTeam, ChallengeAccepted, ChallengeBounty, ChallengeIssuer
from tests.funding.support import (
    ADMIN,
    CITY_OFFICER,
    add_firm,
    balance,
    database_url,
    ok,
    open_round,
)
from tests.registry.pools_support import expect_problem, outbox_payloads
from tests.support import count_rows, service_work

HNTE_RULE = {"code": "huzhou-2026-hnte-first", "title": "高新技术企业首次认定奖励",
             "eligibility": [{"kind": "tier_held", "values": ["hnte"]}, {"kind": "district", "values": ["330502"]}],
             "issuer": "湖州市", "amount_item": "hnte_first_recognition"}


async def _run(client: httpx.AsyncClient, round_id: str, body: dict[str, Any] = HNTE_RULE,
               key: str | None = None) -> httpx.Response:
    return await client.post(f"/v1/rounds/{round_id}/automatic-awards", json=body,
                             headers={**CITY_OFFICER, "Idempotency-Key": key or str(uuid.uuid4())})


async def test_a_rule_run_awards_each_qualifying_firm_once_explained_and_within_the_budget(
        funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    ok(await client.post("/v1/dated-amounts", json={"issuer": "湖州市", "item": "hnte_first_recognition",
                                                    "amount_fen": 20_000_000, "effective_from": "2025-01-01",
                                                    "source": "湖州市 2025 policy", "confidence": "C"},
                         headers=CITY_OFFICER))
    round_ = await open_round(client, budget_fen=50_000_000, cap_fen=20_000_000, instrument="grant")
    firms = [await add_firm(client, 20 + n, tiers=("hnte",)) for n in range(3)]
    await add_firm(client, 30, tiers=("tech_sme",))  # not an HNTE
    await add_firm(client, 31, district="330521", tiers=("hnte",))  # another district
    run = ok(await _run(client, round_["id"]))
    # Budget for two of the three: firms are taken in USCC order, the third listed as budget_exhausted.
    assert [a["uscc"] for a in run["awards"]] == sorted(f["uscc"] for f in firms)[:2]
    assert run["total_fen"] == 40_000_000 and run["not_eligible"] == 2
    assert [(s["uscc"], s["reason"]) for s in run["skipped"]] == [(sorted(f["uscc"] for f in firms)[2],
                                                                   "budget_exhausted")]
    explanation = run["awards"][0]["explanation"]
    assert "huzhou-2026-hnte-first" in explanation and "holds hnte" in explanation and "200000.00元" in explanation
    award = ok(await client.get(f"/v1/applications/{run['awards'][0]['application_id']}", headers=ADMIN), 200)
    assert (award["status"], award["origin"], award["approved_fen"]) == ("approved", "automatic", 20_000_000)
    assert award["eligibility"][0]["facts"] == {"held_tiers": "hnte"}
    assert (await balance(client, round_["id"]))["committed_fen"] == 40_000_000
    assert len(await outbox_payloads(url, "seedbed.funding.application.approved.v1")) == 2

    # Topped up and run again: the third firm is paid, the first two are not paid twice.
    ok(await client.post(f"/v1/rounds/{round_['id']}/allocations", json={"amount_fen": 30_000_000},
                         headers={**CITY_OFFICER, "Idempotency-Key": "topup"}))
    again = ok(await _run(client, round_["id"]))
    assert [a["uscc"] for a in again["awards"]] == [sorted(f["uscc"] for f in firms)[2]]
    assert sorted(s["reason"] for s in again["skipped"]) == ["already_awarded", "already_awarded"]
    b = await balance(client, round_["id"])
    assert (b["committed_fen"], b["available_fen"], b["reconciled"]) == (60_000_000, 20_000_000, True)
    assert await count_rows(url, "applications", "WHERE origin = 'automatic'") == 3


async def test_a_rule_without_an_amount_in_force_is_refused(funding_client: httpx.AsyncClient) -> None:
    round_ = await open_round(funding_client)
    problem = expect_problem(await _run(funding_client, round_["id"]), 409)
    assert problem["code"] == "no_amount_in_force"


def _accepted(challenge_id: uuid.UUID, teams: list[AppointedTeam]) -> ChallengeAccepted:
    return ChallengeAccepted(
        challenge_id=challenge_id, title="印染废水深度处理技术攻关", status="accepted", district_code="330502",
        issuer=ChallengeIssuer(kind="enterprise", uscc="91330502MA2B3C4D5E"),
        bounty=ChallengeBounty(total_fen=10**8, issuer_fen=6 * 10**7, public_fen=4 * 10**7),
        passed_teams=teams, public_fen_due=sum(t.public_fen for t in teams))


async def test_a_passed_challenge_pays_each_team_its_public_share_once(funding_client: httpx.AsyncClient) -> None:
    client, url = funding_client, database_url(funding_client)
    round_ = await open_round(client, budget_fen=10**8, cap_fen=10**8, instrument="challenge_bounty",
                              round_extra={"pays_challenge_bounties": True})
    firm = await add_firm(client, 40)
    team = AppointedTeam(application_id=uuid.uuid4(), lead_uscc=firm["uscc"], award_fen=10**8,
                         issuer_fen=6 * 10**7, public_fen=4 * 10**7)
    challenge_id = uuid.uuid4()
    event = CloudEvent.of(_accepted(challenge_id, [team]), service="scenarios", subject=str(challenge_id))
    republished = CloudEvent.of(_accepted(challenge_id, [team]), service="scenarios", subject=str(challenge_id))
    (subscription,) = [s for s in consumers.subscriptions() if s.name == "challenge-bounties"]
    engine = create_engine(url)
    work = service_work("funding", session_factory(engine))
    try:
        for delivered in (event, republished):  # the same acceptance published twice, under two event ids
            async with work(None, system_actor="funding.challenge-bounties", caused_by=delivered) as uow:
                await subscription.handlers[delivered.type](uow, delivered)
    finally:
        await engine.dispose()
    (award,) = ok(await client.get("/v1/applications?origin=automatic", headers=ADMIN), 200)["items"]
    assert (award["status"], award["approved_fen"], award["disbursed_fen"]) == ("closed", 4 * 10**7, 4 * 10**7)
    assert award["award_key"] == f"challenge:{challenge_id}:{team.application_id}"
    b = await balance(client, round_["id"])
    assert (b["committed_fen"], b["disbursed_fen"], b["reserved_fen"], b["reconciled"]) == (4 * 10**7, 4 * 10**7, 0,
                                                                                           True)
    (paid,) = await outbox_payloads(url, "seedbed.funding.fund.disbursed.v1")
    assert paid["amount_fen"] == 4 * 10**7 and paid["instrument"] == "challenge_bounty" and paid["uscc"] == firm["uscc"]


async def test_within_a_conflict_group_a_firm_is_paid_the_highest_benefit_once(funding_client: httpx.AsyncClient) -> None:
    """从高不重复 (REFERENCE §13.4): a firm that received 10万 this year from a programme of the group gets the
    difference of a 20万 award of another programme of the group, not both."""
    from tests.funding.support import approved, pool, programme, round_

    client = funding_client
    ok(await client.post("/v1/dated-amounts", json={"issuer": "湖州市", "item": "hnte_first_recognition",
                                                    "amount_fen": 20_000_000, "effective_from": "2025-01-01"},
                         headers=CITY_OFFICER))
    p = await pool(client)
    first = await programme(client, p["id"], budget_fen=10**8, cap_fen=5 * 10**7, conflict_group="hnte-rewards")
    second = await programme(client, p["id"], budget_fen=10**8, cap_fen=5 * 10**7, conflict_group="hnte-rewards",
                             mode="automatic")
    first_round = await round_(client, first["id"], budget_fen=5 * 10**7)
    second_round = await round_(client, second["id"], budget_fen=5 * 10**7)
    firm = await add_firm(client, 45, tiers=("hnte",))
    await approved(client, firm, first_round["id"], 10_000_000)
    run = ok(await _run(client, second_round["id"]))
    (award,) = run["awards"]
    assert award["amount_fen"] == 10_000_000 and "从高不重复" in award["explanation"]
