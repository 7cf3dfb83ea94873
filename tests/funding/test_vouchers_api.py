"""Innovation vouchers (创新券) through the funding API, on PostgreSQL and SQLite: a voucher round's terms, issuing
under the round's budget and the firm's yearly cap (ledger ``voucher_issued``), a booking paid partly or wholly by
a provider's redemption (``voucher_redeemed``), never twice, past expiry or by another firm; revocation and expiry
return the rest to the round; and on PostgreSQL 200 concurrent redemptions of 50 vouchers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time, timedelta
from time import perf_counter
from typing import Any

import httpx
from sqlalchemy import text

from shared.auth import Role
from tests.funding.resources_support import (
    FIRM,
    FIRM_USCC,
    MONDAY,
    OTHER_FIRM,
    OTHER_USCC,
    TERMS,
    ZONE,
    add_firms,
    at,
    book,
    create_resource,
    deliver,
    issue,
    redeem,
    voucher_round,
)
from tests.funding.support import CITY_OFFICER, WUXING_OFFICER, balance, open_round
from tests.registry.pools_support import connected, expect_problem, outbox_payloads
from tests.support import count_rows, make_uscc, token

ISSUED = "seedbed.funding.voucher.issued.v1"
REDEEMED = "seedbed.funding.voucher.redeemed.v1"


def _url(client: httpx.AsyncClient) -> str:
    return client.database_url  # type: ignore[attr-defined,no-any-return]


async def _voucher(client: httpx.AsyncClient, round_id: str, uscc: str = FIRM_USCC, **extra: Any) -> dict[str, Any]:
    response = await issue(client, round_id, uscc, **extra)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _delivered(client: httpx.AsyncClient, resource: dict[str, Any], start: str, end: str,
                     vouchers: list[str], headers: dict[str, str] = FIRM, **extra: Any) -> dict[str, Any]:
    response = await book(client, resource, start, end, headers=headers, voucher_ids=vouchers, **extra)
    assert response.status_code == 201, response.text
    await deliver(client, response.json()["id"])
    return response.json()  # type: ignore[no-any-return]


async def test_a_voucher_round_has_terms_set_by_its_issuer(funding_client: httpx.AsyncClient) -> None:
    round_ = await voucher_round(funding_client)
    path = f"/v1/rounds/{round_['id']}/voucher-terms"
    read = await funding_client.get(path, headers=FIRM)
    assert read.status_code == 200 and read.json()["face_value_fen"] == 2_000_000
    assert read.json()["coverage"][0]["share"] == "0.50"
    expect_problem(await funding_client.put(path, json=TERMS, headers=CITY_OFFICER), 428)
    expect_problem(await funding_client.put(path, json=TERMS, headers=WUXING_OFFICER), 403)  # city money
    replaced = await funding_client.put(path, json={**TERMS, "validity_days": 180},
                                        headers={**CITY_OFFICER, "If-Match": '"1"'})
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    grant = await open_round(funding_client, instrument="grant")
    refused = expect_problem(await funding_client.put(f"/v1/rounds/{grant['id']}/voucher-terms", json=TERMS,
                                                      headers=CITY_OFFICER), 409)
    assert refused["code"] == "not_a_voucher_round"
    bad = expect_problem(await funding_client.put(path, json={**TERMS, "coverage": [{"share": "1.5"}]},
                                                  headers={**CITY_OFFICER, "If-Match": '"2"'}), 422)
    assert bad["errors"][0]["field"].startswith("coverage.0.share")
    expect_problem(await funding_client.put(path, json={**TERMS, "face_value_fen": 20000.0},
                                            headers={**CITY_OFFICER, "If-Match": '"2"'}), 422)


async def test_issuing_reserves_the_face_value_in_the_round_ledger_once_per_key(
        funding_client: httpx.AsyncClient) -> None:
    await add_firms(_url(funding_client), [FIRM_USCC])
    round_ = await voucher_round(funding_client)
    response = await issue(funding_client, round_["id"], FIRM_USCC, key="issue-1")
    assert response.status_code == 201, response.text
    voucher = response.json()
    assert voucher["face_value_fen"] == voucher["remaining_fen"] == 2_000_000 and voucher["status"] == "active"
    assert voucher["expires_on"] > voucher["issued_on"] and voucher["allowed_kinds"] == sorted(TERMS["allowed_kinds"])
    replay = await issue(funding_client, round_["id"], FIRM_USCC, key="issue-1")
    assert replay.status_code == 201 and replay.json()["id"] == voucher["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    ledger = await balance(funding_client, round_["id"])
    assert ledger["voucher_issued_fen"] == 2_000_000 and ledger["available_fen"] == 10**8 - 2_000_000
    assert ledger["reconciled"] is True
    events = await outbox_payloads(_url(funding_client), ISSUED)
    assert [(e["voucher_id"], e["face_value_fen"]) for e in events] == [(voucher["id"], 2_000_000)]
    assert "contact" not in events[0] and events[0]["enterprise_uscc"] == FIRM_USCC
    # The firm reads its own; another firm does not see it.
    assert (await funding_client.get(f"/v1/vouchers/{voucher['id']}", headers=FIRM)).status_code == 200
    expect_problem(await funding_client.get(f"/v1/vouchers/{voucher['id']}", headers=OTHER_FIRM), 404)
    assert [v["id"] for v in (await funding_client.get("/v1/vouchers", headers=FIRM)).json()["items"]] == [voucher["id"]]


async def test_the_yearly_cap_the_budget_and_bad_requests_refuse_an_issue(funding_client: httpx.AsyncClient) -> None:
    await add_firms(_url(funding_client), [FIRM_USCC, OTHER_USCC])
    round_ = await voucher_round(funding_client, budget_fen=12_000_000)
    for _ in range(5):
        await _voucher(funding_client, round_["id"])  # 5 × 2万 = the firm's 10万 for the year
    capped = expect_problem(await issue(funding_client, round_["id"], FIRM_USCC), 409)
    assert capped["code"] == "above_enterprise_cap"
    await _voucher(funding_client, round_["id"], OTHER_USCC)  # the round now holds 2万 − 2万 … 12万 − 12万
    exhausted = expect_problem(await issue(funding_client, round_["id"], OTHER_USCC), 409)
    assert exhausted["code"] == "budget_exhausted"
    assert (await balance(funding_client, round_["id"]))["available_fen"] == 0
    for body, status, field in (({"face_value_fen": 2_000_001}, 422, "face_value_fen"),
                                ({"face_value_fen": 0}, 422, "face_value_fen"),
                                ({"face_value_fen": 100.5}, 422, "face_value_fen"),
                                ({"face_value_fen": "100.00"}, 422, "face_value_fen")):
        problem = expect_problem(await issue(funding_client, round_["id"], OTHER_USCC, **body), status)
        assert problem["errors"][0]["field"] == field, problem
    unknown = expect_problem(await issue(funding_client, round_["id"], make_uscc(5999)), 404)
    assert unknown["errors"][0]["field"] == "enterprise_uscc"
    expect_problem(await issue(funding_client, round_["id"], FIRM_USCC, headers=WUXING_OFFICER), 403)
    no_key = await funding_client.post("/v1/vouchers", json={"round_id": round_["id"], "enterprise_uscc": FIRM_USCC},
                                       headers=CITY_OFFICER)
    expect_problem(no_key, 428)
    assert await count_rows(_url(funding_client), "vouchers") == 6


async def test_the_rounds_cap_per_firm_bounds_its_vouchers_too(funding_client: httpx.AsyncClient) -> None:
    await add_firms(_url(funding_client), [FIRM_USCC])
    round_ = await open_round(funding_client, instrument="innovation_voucher", cap_fen=3_000_000)
    assert (await funding_client.put(f"/v1/rounds/{round_['id']}/voucher-terms", json=TERMS,
                                     headers=CITY_OFFICER)).status_code == 201
    await _voucher(funding_client, round_["id"])  # 2万 of the round's 3万 for one firm
    refused = expect_problem(await issue(funding_client, round_["id"], FIRM_USCC), 409)
    assert refused["code"] == "above_enterprise_cap" and refused["remaining_fen"] == 1_000_000
    assert (await issue(funding_client, round_["id"], FIRM_USCC, face_value_fen=1_000_000)).status_code == 201


async def test_a_provider_redeems_a_voucher_for_a_delivered_booking_wholly_or_partly(
        funding_client: httpx.AsyncClient) -> None:
    await add_firms(_url(funding_client), [FIRM_USCC])
    round_ = await voucher_round(funding_client)
    voucher = await _voucher(funding_client, round_["id"])
    sem = await create_resource(funding_client)
    testing = await create_resource(funding_client, kind="testing_service", name="纺织品色牢度检测", unit="item",
                                    unit_price_fen=15_000)
    # 2 machine hours: 1200 元, below 1万, paid wholly.
    small = await _delivered(funding_client, sem, at(MONDAY, 9), at(MONDAY, 11), [voucher["id"]])
    paid = await redeem(funding_client, small["id"], voucher["id"])
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount_fen"] == 120_000 and paid.json()["voucher_remaining_fen"] == 1_880_000
    # 100 items at 150 元: 1.5万, above 1万, so half of it: 7500 元.
    large = await _delivered(funding_client, testing, at(MONDAY, 9), at(MONDAY, 10), [voucher["id"]], quantity=100)
    half = await redeem(funding_client, large["id"], voucher["id"])
    assert half.status_code == 201 and half.json()["amount_fen"] == 750_000
    read = (await funding_client.get(f"/v1/vouchers/{voucher['id']}", headers=FIRM)).json()
    assert read["redeemed_fen"] == 870_000 and read["remaining_fen"] == 1_130_000
    assert [r["booking_id"] for r in read["redemptions"]] == [small["id"], large["id"]]
    booking = (await funding_client.get(f"/v1/bookings/{large['id']}", headers=FIRM)).json()
    assert booking["vouchers_paid_fen"] == 750_000 and booking["fee_fen"] == 1_500_000
    ledger = await balance(funding_client, round_["id"])
    assert ledger["voucher_redeemed_fen"] == 870_000 and ledger["reconciled"] is True
    events = await outbox_payloads(_url(funding_client), REDEEMED)
    assert [(e["booking_id"], e["amount_fen"]) for e in events] == [(small["id"], 120_000), (large["id"], 750_000)]


async def test_a_voucher_is_never_spent_twice_past_expiry_or_by_another_firm(funding_client: httpx.AsyncClient) -> None:
    await add_firms(_url(funding_client), [FIRM_USCC, OTHER_USCC])
    round_ = await voucher_round(funding_client)
    voucher = await _voucher(funding_client, round_["id"])
    others = await _voucher(funding_client, round_["id"], OTHER_USCC)
    sem = await create_resource(funding_client)
    booking = await _delivered(funding_client, sem, at(MONDAY, 9), at(MONDAY, 10), [voucher["id"]])
    assert (await redeem(funding_client, booking["id"], voucher["id"], key="r-1")).status_code == 201
    retried = await redeem(funding_client, booking["id"], voucher["id"], key="r-1")
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    twice = expect_problem(await redeem(funding_client, booking["id"], voucher["id"]), 409)
    assert twice["code"] in ("already_redeemed", "share_exhausted")
    # Another firm's voucher cannot be named for a booking, nor redeemed for one that did not name it.
    foreign = expect_problem(await book(funding_client, sem, at(MONDAY, 10), at(MONDAY, 11),
                                        voucher_ids=[others["id"]]), 403)
    assert foreign["code"] == "other_enterprise" and foreign["errors"][0]["field"] == "voucher_ids.0"
    not_named = expect_problem(await redeem(funding_client, booking["id"], others["id"]), 409)
    assert not_named["code"] == "voucher_not_named"
    # Only delivered bookings are paid, and only by their provider.
    open_booking = (await book(funding_client, sem, at(MONDAY, 10), at(MONDAY, 11), voucher_ids=[voucher["id"]])).json()
    assert expect_problem(await redeem(funding_client, open_booking["id"], voucher["id"]), 409)["code"] == "not_delivered"
    expect_problem(await redeem(funding_client, booking["id"], voucher["id"],
                                headers=token(Role.INSTITUTE, institute_id="hznu")), 404)
    officer = expect_problem(await redeem(funding_client, booking["id"], voucher["id"], headers=WUXING_OFFICER), 403)
    assert officer["errors"][0]["field"] == "booking_id"
    # A voucher past its last day: the service date falls after it (validity of 1 day, issued today).
    await funding_client.put(f"/v1/rounds/{round_['id']}/voucher-terms", json={**TERMS, "validity_days": 1},
                             headers={**CITY_OFFICER, "If-Match": '"1"'})
    short = await _voucher(funding_client, round_["id"])
    expired = expect_problem(await book(funding_client, sem, at(MONDAY, 14), at(MONDAY, 15),
                                        voucher_ids=[short["id"]]), 409)
    assert expired["code"] == "expired"
    assert await count_rows(_url(funding_client), "voucher_redemptions") == 1
    assert (await balance(funding_client, round_["id"]))["voucher_redeemed_fen"] == 60_000


async def test_revocation_and_expiry_return_the_unspent_value_to_the_round(funding_client: httpx.AsyncClient) -> None:
    await add_firms(_url(funding_client), [FIRM_USCC])
    round_ = await voucher_round(funding_client)
    voucher = await _voucher(funding_client, round_["id"])
    sem = await create_resource(funding_client)
    booking = await _delivered(funding_client, sem, at(MONDAY, 9), at(MONDAY, 10), [voucher["id"]])
    assert (await redeem(funding_client, booking["id"], voucher["id"])).status_code == 201
    path = f"/v1/vouchers/{voucher['id']}/revocation"
    expect_problem(await funding_client.post(path, json={"note": "虚报材料"}, headers=FIRM), 403)
    revoked = await funding_client.post(path, json={"note": "虚报材料"}, headers=CITY_OFFICER)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked" and revoked.json()["released_fen"] == 2_000_000 - 60_000
    assert revoked.json()["remaining_fen"] == 0
    again = expect_problem(await funding_client.post(path, json={"note": "再次"}, headers=CITY_OFFICER), 409)
    assert again["code"] == "revoked"
    ledger = await balance(funding_client, round_["id"])
    assert ledger["released_fen"] == 1_940_000 and ledger["available_fen"] == 10**8 - 60_000
    assert ledger["reconciled"] is True
    # Expiry: a voucher whose last day has passed (set back in the database, as time would) is expired by the run.
    second = await _voucher(funding_client, round_["id"])
    await _age(funding_client, second["id"], days=400)
    expect_problem(await funding_client.post("/v1/vouchers/expiry", headers=FIRM), 403)
    run = await funding_client.post("/v1/vouchers/expiry", headers=token(Role.SERVICE))
    assert run.status_code == 200 and run.json() == {"expired": 1}
    assert (await funding_client.post("/v1/vouchers/expiry", headers=token(Role.SERVICE))).json() == {"expired": 0}
    read = (await funding_client.get(f"/v1/vouchers/{second['id']}", headers=FIRM)).json()
    assert read["status"] == "expired" and read["released_fen"] == 2_000_000
    assert (await balance(funding_client, round_["id"]))["available_fen"] == 10**8 - 60_000


async def _age(client: httpx.AsyncClient, voucher_id: str, *, days: int) -> None:
    """Move a voucher's dates back, as time would."""
    postgres = client.backend == "postgres"  # type: ignore[attr-defined]
    shift = (f"issued_on = issued_on - {days}, expires_on = expires_on - {days}" if postgres else
             f"issued_on = date(issued_on, '-{days} days'), expires_on = date(expires_on, '-{days} days')")
    async with connected(_url(client), commit=True) as conn:
        await conn.execute(text(f"UPDATE vouchers SET {shift} WHERE id = :id"),
                           {"id": uuid.UUID(voucher_id) if postgres else uuid.UUID(voucher_id).hex})


FIRMS, BOOKINGS_PER_FIRM, HOUR_FEN = 50, 4, 10_000


async def test_200_concurrent_redemptions_of_50_vouchers_spend_each_exactly_to_its_value(
        funding_client: httpx.AsyncClient) -> None:
    """Each firm holds one voucher worth two delivered hours of compute and asks its provider to redeem it for four:
    all 200 redemptions at once. On PostgreSQL exactly two per voucher succeed and the others are refused as spent.
    On SQLite (one writer) a request kept waiting past the busy timeout may be answered 503 instead (retry later),
    never a 500. On both, no voucher pays more than its value and the round's ledger reconciles with the
    redemptions."""
    postgres = funding_client.backend == "postgres"  # type: ignore[attr-defined]
    usccs = [make_uscc(7000 + i) for i in range(FIRMS)]
    await add_firms(_url(funding_client), usccs)
    round_ = await voucher_round(funding_client)
    vouchers = [await _voucher(funding_client, round_["id"], uscc, face_value_fen=2 * HOUR_FEN) for uscc in usccs]
    compute = await create_resource(
        funding_client, kind="compute", name="GPU 算力（A800 单卡）", unit="hour", unit_price_fen=HOUR_FEN,
        availability={"windows": [{"start": at(MONDAY, 0), "end": at(MONDAY + timedelta(days=14), 0)}]})
    claims = []
    for i, (uscc, voucher) in enumerate(zip(usccs, vouchers, strict=True)):
        for j in range(BOOKINGS_PER_FIRM):
            start, end = _hour(i * BOOKINGS_PER_FIRM + j)
            booking = await _delivered(funding_client, compute, start, end, [voucher["id"]],
                                       headers=token(Role.ENTERPRISE, uscc=uscc))
            claims.append((booking["id"], voucher["id"]))
    started = perf_counter()
    answers = await asyncio.gather(*(redeem(funding_client, b, v) for b, v in claims))
    elapsed = perf_counter() - started
    statuses = [a.status_code for a in answers]
    paid = statuses.count(201)
    print(f"\n200 concurrent redemptions of 50 vouchers ({funding_client.backend}): {paid} paid, "  # type: ignore[attr-defined]
          f"{statuses.count(409)} refused, {statuses.count(503)} busy in {elapsed:.2f}s "
          f"({len(answers) / elapsed:.0f} requests/s)")
    if postgres:
        assert paid == FIRMS * 2 and statuses.count(409) == FIRMS * 2, \
            sorted({a.text for a in answers if a.status_code not in (201, 409)})
        assert {a.json()["code"] for a in answers if a.status_code == 409} == {"exhausted"}
    else:
        assert set(statuses) <= {201, 409, 503} and FIRMS <= paid <= FIRMS * 2, sorted(set(statuses))
    async with connected(_url(funding_client)) as conn:
        overspent = (await conn.execute(text("SELECT count(*) FROM vouchers WHERE redeemed_fen > face_value_fen")))\
            .scalar_one()
        fully_spent = (await conn.execute(text("SELECT count(*) FROM vouchers WHERE redeemed_fen = face_value_fen")))\
            .scalar_one()
        by_redemptions = (await conn.execute(text("SELECT coalesce(sum(amount_fen), 0) FROM voucher_redemptions")))\
            .scalar_one()
        entries = (await conn.execute(text("SELECT count(*), coalesce(sum(amount_fen), 0) FROM ledger_entries "
                                           "WHERE kind = 'voucher_redeemed'"))).one()
    assert overspent == 0
    if postgres:
        assert fully_spent == FIRMS
    assert by_redemptions == paid * HOUR_FEN and tuple(entries) == (paid, paid * HOUR_FEN)
    ledger = await balance(funding_client, round_["id"])
    assert ledger["reconciled"] is True and ledger["voucher_redeemed_fen"] == paid * HOUR_FEN
    assert ledger["voucher_issued_fen"] == FIRMS * 2 * HOUR_FEN
    assert len(await outbox_payloads(_url(funding_client), REDEEMED)) == paid


def _hour(n: int) -> tuple[str, str]:
    """The n-th hour of the fortnight from MONDAY 00:00 (Huzhou time), as [start, end)."""
    start = datetime.combine(MONDAY, time(0), ZONE) + timedelta(hours=n)
    return start.isoformat(), (start + timedelta(hours=1)).isoformat()


async def test_the_expiry_job_acts_as_on_the_day_it_is_given_and_only_once(funding_client: httpx.AsyncClient) -> None:
    """`seedbed funding expire-vouchers --today …` (the CronJob's command): as the system, nothing expires twice."""
    from services.funding.jobs import run_expiry
    from tests.support import settings_for

    await add_firms(_url(funding_client), [FIRM_USCC])
    round_ = await voucher_round(funding_client)
    voucher = await _voucher(funding_client, round_["id"])
    settings = settings_for("funding", _url(funding_client))
    last_day = date.fromisoformat(voucher["expires_on"])
    assert await run_expiry(settings, last_day) == 0  # its last day still counts
    assert (await funding_client.get(f"/v1/vouchers/{voucher['id']}", headers=FIRM)).json()["status"] == "active"
    await run_expiry(settings, last_day + timedelta(days=1))
    await run_expiry(settings, last_day + timedelta(days=2))
    read = (await funding_client.get(f"/v1/vouchers/{voucher['id']}", headers=FIRM)).json()
    assert read["status"] == "expired" and read["released_fen"] == 2_000_000
    assert await count_rows(_url(funding_client), "audit_log",
                            "WHERE action = 'voucher.expire' AND actor = 'job:funding-voucher-expiry'") == 1
    assert (await balance(funding_client, round_["id"]))["released_fen"] == 2_000_000
