"""SQLite's "database is locked" (a write that waited past the busy timeout) and PostgreSQL's deadlock victim are busy
answers, 503 with Retry-After, not 500s (shared/http.py); any other database error stays a 500 that shows none of its
words."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.db import create_engine
from shared.http import database_busy, install_problem_handlers
from tests.support import pg_url


def _locked_error(tmp_path: Path) -> sqlite3.OperationalError:
    """The driver's own error, from a real second writer that finds the write lock taken and does not wait."""
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            return error
        raise AssertionError("the second writer got the lock")
    finally:
        holder.close()
        other.close()


async def _answer(error: Exception) -> httpx.Response:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/write")
    async def write() -> None:
        raise OperationalError("INSERT INTO t VALUES (?)", {}, error)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://test") as client:
        return await client.get("/write")


async def test_a_locked_sqlite_database_is_a_503_with_retry_after(tmp_path: Path) -> None:
    error = _locked_error(tmp_path)
    assert database_busy(OperationalError("INSERT", {}, error))
    response = await _answer(error)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "busy" in response.json()["detail"]


async def test_another_database_error_is_still_a_500_without_its_words() -> None:
    error = sqlite3.OperationalError("no such table: t")
    assert not database_busy(OperationalError("INSERT", {}, error))
    response = await _answer(error)
    assert response.status_code == 500 and "no such table" not in response.text


async def _deadlock() -> DBAPIError:
    """A real lock cycle on PostgreSQL: two transactions each hold one advisory lock and ask for the other's. The
    server breaks the cycle (after deadlock_timeout, 1 s by default) by failing one of them."""
    engine = create_engine(pg_url("registry"), pool_size=2)
    try:
        async with engine.connect() as first, engine.connect() as second:
            await first.execute(text("SELECT pg_advisory_xact_lock(81001)"))
            await second.execute(text("SELECT pg_advisory_xact_lock(81002)"))

            async def cross(conn, key: int) -> DBAPIError | None:  # type: ignore[no-untyped-def]
                try:
                    await conn.execute(text(f"SELECT pg_advisory_xact_lock({key})"))
                except DBAPIError as error:
                    await conn.rollback()  # frees the victim's lock, so the other one gets it and ends
                    return error
                return None

            outcomes = await asyncio.gather(cross(first, 81002), cross(second, 81001))
            await first.rollback()
            await second.rollback()
    finally:
        await engine.dispose()
    errors = [e for e in outcomes if e is not None]
    assert len(errors) == 1, outcomes
    return errors[0]


async def test_a_postgresql_deadlock_victim_is_a_503_with_retry_after(postgres: None) -> None:
    error = await _deadlock()
    assert getattr(error.orig, "sqlstate", None) == "40P01"
    assert database_busy(error)

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/write")
    async def write() -> None:
        raise error

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://test") as client:
        response = await client.get("/write")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "deadlock" not in response.text
