"""Helpers shared by the whole suite (fixtures are in conftest.py).

Integration tests talk to the real PostgreSQL and Kafka that ``make test`` starts (deploy/local). They fail, not
skip, when those are missing: a suite that silently skipped them would prove nothing.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from shared.auth import Role, issue_token
from shared.catalogue import NAMES
from shared.db import create_engine
from shared.settings import LOCAL_JWT_SECRET

PG_SERVER = os.environ.get("SEEDBED_TEST_PG", "postgresql+asyncpg://seedbed@127.0.0.1:55432")
KAFKA = os.environ.get("SEEDBED_TEST_KAFKA", "127.0.0.1:19092")
# Every run uses its own topics and consumer groups, so runs never read each other's records.
TOPIC_PREFIX = f"test-{uuid.uuid4().hex[:8]}."
SERVICES = NAMES


# Lets several test runs share one PostgreSQL server without truncating each other's tables. Each pytest-xdist
# worker (PYTEST_XDIST_WORKER: gw0, gw1, …) gets databases of its own too, so `make test` can use both cores.
DB_SUFFIX = os.environ.get("SEEDBED_TEST_DB_SUFFIX", "") + (
    f"_{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else "")


def pg_url(service: str) -> str:
    return f"{PG_SERVER}/seedbed_test_{service}{DB_SUFFIX}"


def settings_for(service: str, database_url: str | None = None, **overrides: Any):  # type: ignore[no-untyped-def]
    settings_cls = importlib.import_module(f"services.{service}.settings").Settings
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url or pg_url(service),
        "kafka_bootstrap": KAFKA,
        "kafka_topic_prefix": TOPIC_PREFIX,
        "relay_idle_seconds": 0.05,
        "worker_http_port": free_port(),
        "consumer_retry_backoff_seconds": 0.05,
    }
    return settings_cls(**{**values, **overrides})


def token(role: Role | str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret=LOCAL_JWT_SECRET, role=role, **claims)}"}




async def ensure_database(server_url: str, name: str) -> None:
    """Create database ``name`` on the server unless it exists (tests and benchmarks)."""
    engine = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            if not await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def empty_schema(database_url: str) -> None:
    """Drop everything in the database's public schema, so that migrations start from nothing."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def truncate(service: str, database_url: str | None = None) -> None:
    module = importlib.import_module(f"services.{service}.models")
    engine = create_engine(database_url or pg_url(service))
    try:
        async with engine.begin() as conn:
            tables = ", ".join(f'"{t.name}"' for t in module.Base.metadata.sorted_tables)
            if engine.dialect.name == "postgresql":
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            else:
                for t in reversed(module.Base.metadata.sorted_tables):
                    await conn.execute(t.delete())
    finally:
        await engine.dispose()


def service_work(service: str, sessions: Any) -> Any:
    """A service's units of work on ``sessions`` (as its worker makes them), for tests that drive use cases or
    event handlers directly."""
    from shared.uow import Work

    bus = importlib.import_module(f"services.{service}.models").bus
    return Work(sessions, settings_for(service), bus, bus.outbox.metadata)


@asynccontextmanager
async def running_app(service: str, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The service's real app with its lifespan, called in process through httpx."""
    app = importlib.import_module(f"services.{service}.app").create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def sqlite_url(tmp_path: Path, service: str) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_uscc(n: int, district: str = "330502") -> str:
    """A well-formed USCC of a Huzhou-registered company (9 = market regulation, 1 = enterprise)."""
    from shared.ids import org_code_check_char, uscc_check_char

    org = f"{n:08d}"
    first17 = f"91{district}{org}{org_code_check_char(org)}"
    return first17 + uscc_check_char(first17)


async def count_rows(database_url: str, table: str, where: str = "", **params: Any) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table} {where}"), params)).scalar_one())
    finally:
        await engine.dispose()


async def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll an async predicate until it returns something truthy; fail with a clear message on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
