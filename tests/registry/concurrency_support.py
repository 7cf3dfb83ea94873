"""Helpers for the concurrent-write tests: the registry app on a fresh database (one replica or two), requests fired
at once, and the audit entries a change left."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from services.registry.app import create_app
from services.registry.models import bus
from shared.auth import Role
from shared.db import create_engine
from tests.support import pg_url, settings_for, sqlite_url, token, truncate

ADMIN = token(Role.ADMIN)
# Concurrent requests per race: enough to interleave, few enough for the pool and a small machine.
N = 10


@asynccontextmanager
async def registry_replicas(count: int = 1, *, database_url: str | None = None) -> AsyncIterator[list[httpx.AsyncClient]]:
    """``count`` registry apps (each with its real lifespan, engine and pool) on one database, as replicas behind a
    load balancer would run; PostgreSQL emptied first unless ``database_url`` names another database."""
    url = database_url or pg_url("registry")
    if database_url is None:
        await truncate("registry")
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(_running_registry(url)) for _ in range(count)]
        yield clients


@asynccontextmanager
async def _running_registry(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """tests.support.running_app, except that an exception in the app is answered 500 as a server would answer
    it, instead of being raised into the test: a race must be judged on every answer, and no request may be left
    running (holding a connection) when one of them fails."""
    app = create_app(settings_for("registry", url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            client.database_url = url  # type: ignore[attr-defined]
            yield client


@asynccontextmanager
async def registry_on_sqlite(tmp_path: Path, template: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The registry app on a copy of the migrated SQLite template (the embedded default of `make run`)."""
    url = sqlite_url(tmp_path, "registry")
    shutil.copyfile(template, tmp_path / "registry.db")
    async with registry_replicas(1, database_url=url) as (client,):
        yield client


def database_url(client: httpx.AsyncClient) -> str:
    return client.database_url  # type: ignore[attr-defined,no-any-return]


async def warm_up(clients: Sequence[httpx.AsyncClient], path: str, headers: dict[str, str] = ADMIN) -> None:
    """Open each app's pool connections before a race, so that the racing requests reach the database together
    rather than one connection set-up apart."""
    answers = await asyncio.gather(*(clients[i % len(clients)].get(path, headers=headers) for i in range(N)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers if a.status_code != 200]


async def race(send: Callable[[int], Awaitable[httpx.Response]], n: int = N) -> list[httpx.Response]:
    """``send(0)`` … ``send(n - 1)`` fired at once; the responses in the same order."""
    answers = await asyncio.gather(*(send(i) for i in range(n)), return_exceptions=True)
    failed = [a for a in answers if isinstance(a, BaseException)]
    if failed:
        raise AssertionError(f"{len(failed)} of {n} requests failed without an answer") from failed[0]
    return list(answers)  # type: ignore[arg-type]


def statuses(responses: Sequence[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def explain(responses: Sequence[httpx.Response]) -> str:
    """The answers that were not the expected kind, for a failure message (a 500's body says why)."""
    return "\n".join(f"{r.status_code} {r.text[:300]}" for r in responses)


def the_winner(responses: Sequence[httpx.Response], success: int) -> int:
    """The index of the only response with status ``success`` (the test asserts there is exactly one)."""
    winners = [i for i, r in enumerate(responses) if r.status_code == success]
    assert len(winners) == 1, explain(responses)
    return winners[0]


def assert_problems(responses: Sequence[httpx.Response], allowed: set[int]) -> None:
    """The losers were refused as problem+json with one of the ``allowed`` statuses."""
    for response in responses:
        if response.status_code in allowed:
            assert response.headers["content-type"].startswith("application/problem+json"), response.text
            assert response.json()["status"] == response.status_code


async def audit_entries(url: str, *, entity_id: str, action: str | None = None) -> list[dict[str, Any]]:
    """The audit rows of an entity (any entity type) in the order they were written, read from the database (for
    records whose trail has no API of its own)."""
    table = bus.audit_log
    query = select(table).where(table.c.entity_id == entity_id).order_by(table.c.id)
    if action is not None:
        query = query.where(table.c.action == action)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()


async def trail(client: httpx.AsyncClient, enterprise_id: str, action: str | None = None) -> list[dict[str, Any]]:
    """The enterprise's audit trail as an administrator reads it (GET /v1/enterprises/{id}/audit), every page."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"/v1/enterprises/{enterprise_id}/audit", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        page = response.json()
        entries += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return [e for e in entries if action is None or e["action"] == action]
