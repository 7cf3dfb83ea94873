"""Approvals racing for one round's budget through the API on PostgreSQL: 500 applications under review approved
at once for 1 fen each against a budget of 100 → exactly 100 approved, the other 400 refused with
budget_exhausted, and the ledger balances (the round's sums equal the fold of its entries); 20 approvals of one
firm against its cap approve what the cap allows. And one tranche's payment sent 20 times at once with one
Idempotency-Key pays once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.funding.app import create_app
from services.funding.models import Application
from shared.db import utcnow
from tests.funding.support import CITY_OFFICER, add_firm, approved, balance, moved, ok, open_round
from tests.registry.pools_support import connected, outbox_payloads
from tests.support import count_rows, pg_url, settings_for, truncate

pytestmark = pytest.mark.usefixtures("postgres")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The funding app on PostgreSQL; an error inside it is answered 500 (as a server would), not raised into the
    test, so that a race is judged on every answer."""
    await truncate("funding")
    url = pg_url("funding")
    app = create_app(settings_for("funding", url, database_pool_size=20))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client:
            client.database_url = url  # type: ignore[attr-defined]
            yield client


async def under_review(url: str, round_: dict[str, Any], count: int, requested_fen: int, *,
                       enterprise_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """``count`` applications of as many firms (or all of ``enterprise_id``), already under review (written as the
    earlier steps leave them)."""
    ids = [uuid.uuid4() for _ in range(count)]
    rows = [{"id": i, "enterprise_id": enterprise_id or uuid.uuid4(), "uscc": f"91330502{n:010d}",
             "enterprise_name": f"竞速企业{n}",
             "district_code": "330502", "held_tiers": [], "programme_id": uuid.UUID(round_["programme_id"]),
             "round_id": uuid.UUID(round_["id"]), "project_title": f"竞速项目{n}", "requested_fen": requested_fen,
             "status": "under_review", "origin": "application", "disbursed_fen": 0, "released_fen": 0,
             "clawed_back_fen": 0, "tranches": [], "open_checks": [], "created_by": "race-test",
             "created_at": utcnow(), "updated_at": utcnow(), "version": 1} for n, i in enumerate(ids)]
    async with connected(url, commit=True) as conn:
        await conn.execute(Application.__table__.insert(), rows)
    return ids


async def test_500_approvals_of_one_fen_against_a_budget_of_100_approve_exactly_100(client: httpx.AsyncClient) -> None:
    url = client.database_url  # type: ignore[attr-defined]
    round_ = await open_round(client, budget_fen=100, cap_fen=100)
    ids = await under_review(url, round_, 500, 1)

    async def approve(application_id: uuid.UUID) -> tuple[int, str | None]:
        response = await client.post(f"/v1/applications/{application_id}/transitions",
                                     json={"action": "approve", "amount_fen": 1},
                                     headers={**CITY_OFFICER, "If-Match": '"1"', "Idempotency-Key": str(uuid.uuid4())})
        return response.status_code, response.json().get("code") if response.status_code != 200 else None

    started = time.perf_counter()
    outcomes = Counter(await asyncio.gather(*(approve(i) for i in ids)))
    elapsed = time.perf_counter() - started
    print(f"\n500 racing approvals: {dict(outcomes)} in {elapsed:.2f}s ({500 / elapsed:.0f} requests/s)")
    assert outcomes == {(200, None): 100, (409, "budget_exhausted"): 400}
    b = await balance(client, round_["id"])
    assert (b["committed_fen"], b["available_fen"], b["reconciled"]) == (100, 0, True)
    assert await count_rows(url, "applications", "WHERE status = 'approved'") == 100
    assert await count_rows(url, "ledger_entries", "WHERE kind = 'committed'") == 100
    assert len(await outbox_payloads(url, "seedbed.funding.application.approved.v1")) == 100


async def test_20_approvals_of_one_firm_racing_for_its_cap_approve_exactly_what_the_cap_allows(
        client: httpx.AsyncClient) -> None:
    """The per-firm cap is a sum over the firm's awards in the round, checked under the round's lock: 20
    applications of one firm for 10 fen each, approved at once against a cap of 50 (the budget covers them all),
    approve exactly 5; the other 15 are refused above_enterprise_cap."""
    url = client.database_url  # type: ignore[attr-defined]
    round_ = await open_round(client, budget_fen=10**6, cap_fen=50)
    ids = await under_review(url, round_, 20, 10, enterprise_id=uuid.uuid4())

    async def approve(application_id: uuid.UUID) -> tuple[int, str | None]:
        response = await client.post(f"/v1/applications/{application_id}/transitions",
                                     json={"action": "approve", "amount_fen": 10},
                                     headers={**CITY_OFFICER, "If-Match": '"1"', "Idempotency-Key": str(uuid.uuid4())})
        return response.status_code, response.json().get("code") if response.status_code != 200 else None

    outcomes = Counter(await asyncio.gather(*(approve(i) for i in ids)))
    assert outcomes == {(200, None): 5, (409, "above_enterprise_cap"): 15}, outcomes
    b = await balance(client, round_["id"])
    assert (b["committed_fen"], b["reconciled"]) == (50, True)
    assert await count_rows(url, "applications", "WHERE status = 'approved'") == 5
    assert len(await outbox_payloads(url, "seedbed.funding.application.approved.v1")) == 5


async def test_one_tranche_paid_20_times_at_once_with_one_key_pays_once(client: httpx.AsyncClient) -> None:
    url = client.database_url  # type: ignore[attr-defined]
    round_ = await open_round(client, budget_fen=10**8)
    firm = await add_firm(client, 91)
    app = await approved(client, firm, round_["id"], 10**6)
    app = await moved(client, app, "sign_agreement", CITY_OFFICER, tranches=[
        {"milestone": "签约", "share": "0.6", "condition": "none"}, {"milestone": "验收", "share": "0.4"}])
    headers = {**CITY_OFFICER, "If-Match": f'"{app["version"]}"', "Idempotency-Key": "pay-tranche-0"}

    async def pay() -> httpx.Response:
        return await client.post(f"/v1/applications/{app['id']}/transitions",
                                 json={"action": "disburse", "tranche_index": 0}, headers=headers)

    answers = await asyncio.gather(*(pay() for _ in range(20)))
    statuses = Counter(a.status_code for a in answers)
    # One pays; the others get its answer replayed (or, while it is still running, 409 "in progress").
    assert statuses[200] >= 1 and set(statuses) <= {200, 409}, statuses
    assert all(a.json()["disbursed_fen"] == 600_000 for a in answers if a.status_code == 200)
    b = await balance(client, round_["id"])
    assert (b["disbursed_fen"], b["reconciled"]) == (600_000, True)
    assert await count_rows(url, "ledger_entries", "WHERE key = :k", k=f"application:{app['id']}:disbursed:0") == 1
    assert len(await outbox_payloads(url, "seedbed.funding.fund.disbursed.v1")) == 1


async def test_ten_approvals_of_one_application_with_one_if_match_commit_once(client: httpx.AsyncClient) -> None:
    """If-Match guards the step: ten officers approving the same version at once (each its own Idempotency-Key),
    exactly one wins; the others are told the record changed (412) or, queued behind the winner, that it is no
    longer under review (409). The ledger holds one commitment."""
    url = client.database_url  # type: ignore[attr-defined]
    round_ = await open_round(client, budget_fen=10**6)
    (application_id,) = await under_review(url, round_, 1, 500)

    async def approve() -> int:
        response = await client.post(f"/v1/applications/{application_id}/transitions",
                                     json={"action": "approve", "amount_fen": 500},
                                     headers={**CITY_OFFICER, "If-Match": '"1"', "Idempotency-Key": str(uuid.uuid4())})
        return response.status_code

    outcomes = Counter(await asyncio.gather(*(approve() for _ in range(10))))
    assert outcomes[200] == 1 and set(outcomes) <= {200, 409, 412}, outcomes
    b = await balance(client, round_["id"])
    assert (b["committed_fen"], b["reconciled"]) == (500, True)
    assert await count_rows(url, "ledger_entries", "WHERE kind = 'committed'") == 1


async def test_ten_changes_of_one_round_with_one_if_match_change_it_once(client: httpx.AsyncClient) -> None:
    round_ = await open_round(client, budget_fen=10**6)

    async def rename(n: int) -> int:
        response = await client.patch(f"/v1/rounds/{round_['id']}", json={"name": f"第{n}批"},
                                      headers={**CITY_OFFICER, "If-Match": f'"{round_["version"]}"'})
        return response.status_code

    outcomes = Counter(await asyncio.gather(*(rename(n) for n in range(10))))
    assert outcomes == {200: 1, 412: 9}, outcomes
    read = ok(await client.get(f"/v1/rounds/{round_['id']}", headers=CITY_OFFICER), 200)
    assert read["version"] == round_["version"] + 1
