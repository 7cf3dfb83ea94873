"""Idempotency-Key (DESIGN §6): a retried payment is answered again, never paid twice.

A tiny service with one paying route, written the way a service's use case and route use shared/idempotency.py;
the payment's effect is its audit entry in funding's migrated database, on PostgreSQL and on SQLite.
"""

# No ``from __future__ import annotations``: the test routes are made inside a function, and FastAPI reads their
# annotations, which name that function's locals.
import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Response
from pydantic import BaseModel
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.models import bus
from shared.app import Sessions, build_service_app
from shared.auth import Actor, Role, require_actor
from shared.bus.outbox import audit_row, insert_rows
from shared.db import create_engine, session_factory, utcnow
from shared.errors import Conflict
from shared.idempotency import (
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_RESPONSES,
    REPLAYED_HEADER,
    Idempotency,
    IdempotencyOptional,
    IdempotentResponse,
    idempotency_key,
    purge_expired,
)
from shared.migrations import upgrade
from shared.worker import keep_house
from tests.support import count_rows, pg_url, settings_for, sqlite_url, token, truncate, wait_for

OFFICER = token(Role.OFFICER, city_wide=True)
PAYMENT = {"enterprise": "湖州绿色家居科技有限公司", "amount_fen": 5_000_000}


class PaymentCreate(BaseModel):
    enterprise: str
    amount_fen: int


@dataclass
class Behaviour:
    """How the payment use case behaves in a test: how long its effect takes, and how often it fails first."""

    effect_seconds: float = 0.0
    failures_left: int = 0


def payments_app(database_url: str, behaviour: Behaviour, *, wait: timedelta = timedelta(seconds=5)) -> FastAPI:
    async def pay(sessions: async_sessionmaker[AsyncSession], actor: Actor, data: PaymentCreate,
                  idempotency: Idempotency) -> IdempotentResponse:
        """The use case: the payment, its audit entry and its stored response in one transaction."""
        async with sessions.begin() as session:
            if (earlier := await idempotency.claim(session)) is not None:
                return earlier
            await asyncio.sleep(behaviour.effect_seconds)
            if behaviour.failures_left:
                behaviour.failures_left -= 1
                raise Conflict("the ledger is being closed; retry")
            payment_id = uuid.uuid4()
            await insert_rows(session, bus.audit_log, [audit_row(
                actor, action="payment.pay", entity_type="payment", entity_id=str(payment_id), changes=data.model_dump())])
            return await idempotency.respond(session, 201, {"id": payment_id, **data.model_dump()},
                                             headers={"Location": f"/v1/payments/{payment_id}"})

    router = APIRouter(prefix="/v1/payments")
    Payer = Annotated[Actor, require_actor(Role.OFFICER, Role.SERVICE)]
    PaymentKey = Annotated[Idempotency, idempotency_key(required=True, wait=wait)]

    @router.post("", status_code=201, responses=IDEMPOTENCY_RESPONSES)
    async def make_payment(body: PaymentCreate, actor: Payer, sessions: Sessions, idempotency: PaymentKey) -> Response:
        return (await pay(sessions, actor, body, idempotency)).http()

    @router.post("/optional-key", status_code=201, responses=IDEMPOTENCY_RESPONSES)
    async def make_payment_key_optional(body: PaymentCreate, actor: Payer, sessions: Sessions,
                                        idempotency: IdempotencyOptional) -> Response:
        return (await pay(sessions, actor, body, idempotency)).http()

    return build_service_app(settings_for("funding", database_url), title="payments", description="test",
                             tables=bus, routers=[router])


@dataclass
class Payments:
    client: httpx.AsyncClient
    database_url: str
    behaviour: Behaviour

    async def pay(self, key: str | None, body: object = PAYMENT, *, headers: dict[str, str] = OFFICER,
                  path: str = "/v1/payments") -> httpx.Response:
        extra = {IDEMPOTENCY_KEY: key} if key is not None else {}
        return await self.client.post(path, json=body, headers={**headers, **extra})

    async def effects(self) -> int:
        return await count_rows(self.database_url, "audit_log", "WHERE action = 'payment.pay'")


@asynccontextmanager
async def serving(database_url: str, behaviour: Behaviour, **options: Any) -> AsyncIterator[Payments]:
    app = payments_app(database_url, behaviour, **options)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield Payments(client, database_url, behaviour)


@pytest.fixture(params=["postgres", "sqlite"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres: None) -> str:
    """Funding's migrated database (any service's would do: every one has the idempotency_keys table)."""
    if request.param == "postgres":
        await truncate("funding")
        return pg_url("funding")
    url = sqlite_url(tmp_path, "funding")
    await asyncio.to_thread(upgrade, "funding", url)
    return url


@pytest.fixture
async def payments(database_url: str) -> AsyncIterator[Payments]:
    async with serving(database_url, Behaviour()) as payments:
        yield payments


async def expire_every_key(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(bus.idempotency_keys).values(expires_at=utcnow() - timedelta(seconds=1)))
    finally:
        await engine.dispose()


def field_at_fault(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    (error,) = response.json()["errors"]
    return str(error["field"])


# --- both backends --------------------------------------------------------------------------------------------------

async def test_a_retry_gets_the_first_response_again_and_pays_once(payments: Payments) -> None:
    first = await payments.pay("pay-2026-0001")
    assert first.status_code == 201, first.text
    assert REPLAYED_HEADER not in first.headers
    # The same request again, its JSON written another way (key order, spacing): the same request all the same.
    reordered = '{ "amount_fen": 5000000,  "enterprise": "湖州绿色家居科技有限公司" }'
    retry = await payments.client.post("/v1/payments", content=reordered.encode(),
                                       headers={**OFFICER, IDEMPOTENCY_KEY: "pay-2026-0001",
                                                "Content-Type": "application/json"})
    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers[REPLAYED_HEADER] == "true"
    assert await payments.effects() == 1
    # A key is its caller's own: another officer using the same value makes a payment of their own.
    other = await payments.pay("pay-2026-0001", headers=token(Role.OFFICER, city_wide=True, subject="officer-2"))
    assert other.status_code == 201 and REPLAYED_HEADER not in other.headers
    assert other.json()["id"] != first.json()["id"]
    assert await payments.effects() == 2


async def test_the_same_key_with_another_body_is_422_naming_the_key(payments: Payments) -> None:
    assert (await payments.pay("pay-2026-0002")).status_code == 201
    other = await payments.pay("pay-2026-0002", {**PAYMENT, "amount_fen": 6_000_000})
    assert other.status_code == 422
    assert field_at_fault(other) == IDEMPOTENCY_KEY
    assert await payments.effects() == 1


async def test_a_route_that_requires_a_key_refuses_a_request_without_one(payments: Payments) -> None:
    missing = await payments.pay(None)
    assert missing.status_code == 428 and field_at_fault(missing) == IDEMPOTENCY_KEY
    for malformed in ("k" * 256, "pay\t2026", ""):
        answer = await payments.pay(malformed)
        assert answer.status_code == 422 and field_at_fault(answer) == IDEMPOTENCY_KEY, malformed
    assert (await payments.pay("k" * 255)).status_code == 201
    # The draft's quoted form names the same key as the bare one.
    assert (await payments.pay('"k' + "k" * 254 + '"')).headers[REPLAYED_HEADER] == "true"
    # Who asks comes first: no token is 401, whatever else is missing.
    assert (await payments.client.post("/v1/payments", json=PAYMENT)).status_code == 401
    assert await payments.effects() == 1


async def test_a_route_where_the_key_is_optional_runs_each_request_without_one(payments: Payments) -> None:
    for _ in range(2):
        assert (await payments.pay(None, path="/v1/payments/optional-key")).status_code == 201
    assert await payments.effects() == 2
    keyed = [await payments.pay("pay-2026-0003", path="/v1/payments/optional-key") for _ in range(2)]
    assert keyed[1].headers[REPLAYED_HEADER] == "true" and keyed[1].content == keyed[0].content
    assert await payments.effects() == 3


async def test_a_refused_request_stores_nothing_and_its_retry_runs(payments: Payments) -> None:
    payments.behaviour.failures_left = 1
    refused = await payments.pay("pay-2026-0004")
    assert refused.status_code == 409 and await payments.effects() == 0
    retry = await payments.pay("pay-2026-0004")
    assert retry.status_code == 201 and REPLAYED_HEADER not in retry.headers
    assert await payments.effects() == 1


async def test_an_expired_key_is_new_again_and_purged(payments: Payments) -> None:
    first = await payments.pay("pay-2026-0005")
    await expire_every_key(payments.database_url)
    again = await payments.pay("pay-2026-0005", {**PAYMENT, "amount_fen": 1})  # another body: no longer a misuse
    assert again.status_code == 201 and REPLAYED_HEADER not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert await payments.effects() == 2

    await payments.pay("pay-2026-0006")
    engine = create_engine(payments.database_url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            assert await purge_expired(session, bus) == 0  # nothing has expired yet
        await expire_every_key(payments.database_url)
        async with sessions.begin() as session:
            assert await purge_expired(session, bus) == 2
            assert await session.scalar(select(func.count()).select_from(bus.idempotency_keys)) == 0
    finally:
        await engine.dispose()


async def test_the_worker_purges_expired_keys_and_keeps_the_rest(payments: Payments) -> None:
    await payments.pay("pay-2026-0007")
    await expire_every_key(payments.database_url)
    await payments.pay("pay-2026-0008")  # still fresh: kept for its retries
    engine = create_engine(payments.database_url)
    stop = asyncio.Event()
    housekeeping = asyncio.create_task(keep_house(session_factory(engine), bus, stop, every=0.05))
    try:
        await wait_for(lambda: _keys_left(payments.database_url, 1))
    finally:
        stop.set()
        await housekeeping
        await engine.dispose()
    assert (await payments.pay("pay-2026-0008")).headers[REPLAYED_HEADER] == "true"


async def _keys_left(database_url: str, expected: int) -> bool:
    return await count_rows(database_url, "idempotency_keys") == expected


# --- PostgreSQL: concurrent requests with one key ----------------------------------------------------------------------

async def test_twenty_concurrent_requests_with_one_key_pay_once(postgres: None) -> None:
    await truncate("funding")
    # A slow payment: the other nineteen arrive while the first still runs.
    async with serving(pg_url("funding"), Behaviour(effect_seconds=0.5)) as payments:
        answers = await asyncio.gather(*(payments.pay("pay-2026-0100") for _ in range(20)))
        assert await payments.effects() == 1
    paid = [a for a in answers if a.status_code == 201]
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    assert len({a.content for a in paid}) == 1
    assert [REPLAYED_HEADER in a.headers for a in paid].count(False) == 1
    assert all(field_at_fault(a) == IDEMPOTENCY_KEY for a in answers if a.status_code == 409)


async def test_a_retry_while_the_first_request_runs_waits_then_answers_409(postgres: None) -> None:
    await truncate("funding")
    behaviour = Behaviour(effect_seconds=1.5)
    async with serving(pg_url("funding"), behaviour, wait=timedelta(milliseconds=200)) as payments:
        first = asyncio.create_task(payments.pay("pay-2026-0101"))
        await asyncio.sleep(0.3)
        meanwhile = await payments.pay("pay-2026-0101")
        assert meanwhile.status_code == 409, meanwhile.text
        assert "in progress" in meanwhile.json()["detail"]
        assert (await first).status_code == 201
        behaviour.effect_seconds = 0
        after = await payments.pay("pay-2026-0101")
        assert after.headers[REPLAYED_HEADER] == "true" and after.content == (await first).content
        assert await payments.effects() == 1


async def test_the_claim_bounds_its_own_wait_and_leaves_the_use_cases_lock_timeout_as_it_was(postgres: None) -> None:
    """claim() bounds only its wait on a key another request holds (``wait``): the locks the use case takes next wait
    as long as they would have without it, whether the key was claimed now or its earlier answer is replayed."""
    await truncate("funding")
    engine = create_engine(pg_url("funding"))
    sessions = session_factory(engine)
    idempotency = Idempotency(bus.idempotency_keys, "pay-2026-0200", "officer:officer-1", "POST /v1/payments",
                              "hash-of-the-body", timedelta(hours=1), wait=timedelta(milliseconds=200))
    try:
        for replayed in (False, True):
            async with sessions.begin() as session:
                await session.execute(text("SET LOCAL lock_timeout = '7s'"))
                earlier = await idempotency.claim(session)
                assert (earlier is not None) == replayed
                assert await session.scalar(text("SHOW lock_timeout")) == "7s"
                if earlier is None:
                    await idempotency.respond(session, 201, {"id": "payment-1"})
    finally:
        await engine.dispose()
