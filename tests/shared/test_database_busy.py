"""SQLite's "database is locked" (a write that waited past the busy timeout) is a busy answer, 503 with Retry-After,
not a 500 (shared/http.py); any other database error stays a 500 that shows none of its words."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from shared.http import database_busy, install_problem_handlers


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
