"""Licences through the licensing API, on PostgreSQL and on SQLite: exclusive, sole and ordinary licences with
territory and term; transfers; refusals that name what blocks them and leave nothing written; Idempotency-Key on
grants; and, on PostgreSQL, many overlapping exclusive grants racing for one patent, of which exactly one wins."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.licensing.licensing_support import (
    FIRM,
    FIRM_USCC,
    HOLDER,
    OTHER_FIRM,
    OTHER_INSTITUTE,
    OTHER_USCC,
    THIRD_USCC,
    add_firms,
    create_patent,
    field_of,
    grant_body,
    key,
)
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.support import count_rows, make_uscc

GRANTED = "seedbed.licensing.licence.granted.v1"


async def _setup(client: httpx.AsyncClient) -> dict[str, str]:
    await add_firms(database_url(client), (FIRM_USCC, "330502"), (OTHER_USCC, "330503"), (THIRD_USCC, "330502"))
    return await create_patent(client)


async def _grant(client: httpx.AsyncClient, patent: dict[str, str], body: dict[str, object],
                 headers: dict[str, str] = HOLDER) -> httpx.Response:
    return await client.post(f"/v1/patents/{patent['id']}/licences", json=body, headers={**headers, **key()})


async def test_an_exclusive_licence_blocks_every_overlapping_licence(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await _setup(client)
    exclusive = await _grant(client, patent, grant_body("exclusive", territory=["330500"], fee_fen=30_000_000,
                                                        contract_no="湖师院许〔2026〕7号"))
    assert exclusive.status_code == 201, exclusive.text
    assert exclusive.headers["Location"] == f"/v1/licences/{exclusive.json()['id']}"
    assert exclusive.json()["status"] == "active" and exclusive.json()["territory"] == ["330500"]
    [event] = await outbox_payloads(url, GRANTED)
    assert event["licensee_uscc"] == FIRM_USCC and event["kind"] == "exclusive"
    assert event["patent_number"] == "ZL202110182616.5" and event["patent_type"] == "invention"

    for body in (grant_body("ordinary", OTHER_USCC, ["330502"]),  # 吴兴 lies in 湖州
                 grant_body("sole", OTHER_USCC, ["CN"], start_days=300, end_days=None),
                 grant_body("ordinary", FIRM_USCC, ["330000"])):  # even the licensee's own second licence
        problem = expect_problem(await _grant(client, patent, body), 409)
        assert field_of(problem) == "term" and problem["blocking_licence_ids"] == [exclusive.json()["id"]]
    # Elsewhere, or after its term: free.
    assert (await _grant(client, patent, grant_body("ordinary", OTHER_USCC, ["320000"]))).status_code == 201
    assert (await _grant(client, patent, grant_body("exclusive", OTHER_USCC, ["330500"], start_days=366,
                                                    end_days=700))).status_code == 201
    assert await count_rows(url, "licences") == 3
    assert await count_rows(url, "audit_log", "WHERE action LIKE 'licence.grant%'") == 3


async def test_a_sole_licence_blocks_other_licensees_but_not_its_own(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    patent = await _setup(client)
    assert (await _grant(client, patent, grant_body("sole", territory=["330000"]))).status_code == 201
    expect_problem(await _grant(client, patent, grant_body("ordinary", OTHER_USCC, ["330503"])), 409)
    assert (await _grant(client, patent, grant_body("ordinary", FIRM_USCC, ["330503"]))).status_code == 201


async def test_a_grant_is_refused_for_an_unknown_firm_another_holder_and_a_lapsed_patent(
        licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await _setup(client)
    unknown = await _grant(client, patent, grant_body("ordinary", make_uscc(5999)))
    assert field_of(expect_problem(unknown, 422)) == "licensee_uscc"
    expect_problem(await _grant(client, patent, grant_body("ordinary"), OTHER_INSTITUTE), 404)
    expect_problem(await _grant(client, patent, grant_body("ordinary"), FIRM), 403)
    bad_territory = await _grant(client, patent, grant_body("ordinary", territory=["湖州"]))
    assert field_of(expect_problem(bad_territory, 422)) == "territory.0"
    backwards = await _grant(client, patent, grant_body("ordinary", start_days=10, end_days=5))
    assert field_of(expect_problem(backwards, 422)) == "term.end"
    await client.patch(f"/v1/patents/{patent['id']}", json={"legal_status": "lapsed"},
                       headers={**HOLDER, "If-Match": '"1"'})
    assert field_of(expect_problem(await _grant(client, patent, grant_body("ordinary")), 409)) == "legal_status"
    assert await count_rows(url, "licences") == 0
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=GRANTED) == 0


async def test_a_transfer_moves_the_patent_and_ends_its_listing(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await _setup(client)
    await client.post(f"/v1/patents/{patent['id']}/listing", json={"modes": ["transfer"]},
                      headers={**HOLDER, "If-Match": '"1"'})
    transfer = await _grant(client, patent, grant_body("transfer", end_days=None, fee_fen=80_000_000))
    assert transfer.status_code == 201, transfer.text
    after = (await client.get(f"/v1/patents/{patent['id']}", headers=HOLDER)).json()
    assert after["transferred_to_uscc"] == FIRM_USCC and after["listing"] == "delisted"
    assert len(await outbox_payloads(url, "seedbed.licensing.patent.delisted.v1")) == 1
    assert field_of(expect_problem(await _grant(client, patent, grant_body("ordinary", OTHER_USCC)), 409)) == "patent"


async def test_a_grant_retried_with_its_key_is_granted_once(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent = await _setup(client)
    headers = {**HOLDER, "Idempotency-Key": "grant-hznu-2026-001"}
    body = grant_body("exclusive", territory=["330500"])
    first = await client.post(f"/v1/patents/{patent['id']}/licences", json=body, headers=headers)
    again = await client.post(f"/v1/patents/{patent['id']}/licences", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other_body = await client.post(f"/v1/patents/{patent['id']}/licences", json={**body, "fee_fen": 1},
                                   headers=headers)
    assert field_of(expect_problem(other_body, 422)) == "Idempotency-Key"
    expect_problem(await client.post(f"/v1/patents/{patent['id']}/licences", json=body, headers=HOLDER), 428)
    assert await count_rows(url, "licences") == 1


async def test_licences_are_read_by_their_parties_only(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    patent = await _setup(client)
    licence = (await _grant(client, patent, grant_body("ordinary"))).json()
    path = f"/v1/licences/{licence['id']}"
    assert (await client.get(path, headers=FIRM)).status_code == 200
    assert (await client.get(path, headers=HOLDER)).status_code == 200
    assert (await client.get(path, headers=OTHER_FIRM)).status_code == 404
    assert (await client.get(path, headers=OTHER_INSTITUTE)).status_code == 404
    assert [x["id"] for x in (await client.get("/v1/licences", headers=FIRM)).json()["items"]] == [licence["id"]]
    assert (await client.get("/v1/licences", headers=OTHER_FIRM)).json()["items"] == []
    ended = await client.post(f"{path}/termination", json={"terminated_on": licence["term_start"], "reason": "协商解除"},
                              headers={**HOLDER, "If-Match": f'"{licence["version"]}"'})
    assert ended.status_code == 200 and ended.json()["status"] == "terminated"
    assert len(await outbox_payloads(database_url(client), "seedbed.licensing.licence.terminated.v1")) == 1


@pytest.mark.parametrize("contenders", [12])
async def test_of_concurrent_overlapping_exclusive_grants_exactly_one_wins(
        licensing_client: httpx.AsyncClient, contenders: int) -> None:
    client, url = licensing_client, database_url(licensing_client)
    if client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL, where requests really run at once")
    patent = await _setup(client)
    firms = [make_uscc(6000 + i, "330521") for i in range(contenders)]
    await add_firms(url, *((f, "330521") for f in firms))
    # Territories that all share 湖州 and terms that all share a day, different for each request.
    territories = [["330500"], ["330000"], ["CN"], ["330521"]]
    bodies = [grant_body("exclusive", firm, territories[i % 4], start_days=i, end_days=30 + i)
              for i, firm in enumerate(firms)]
    answers = await asyncio.gather(*(client.post(f"/v1/patents/{patent['id']}/licences", json=body,
                                                 headers={**HOLDER, "Idempotency-Key": str(uuid.uuid4())})
                                     for body in bodies))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (contenders - 1), [a.text for a in answers if a.status_code not in (201, 409)]
    assert await count_rows(url, "licences") == 1
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=GRANTED) == 1
    assert await count_rows(url, "idempotency_keys") == 1  # the refusals kept no key
