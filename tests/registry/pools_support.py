"""Helpers for the pools and statistics tests: register firms through the API, and put the rows other parts of the
registry own (figures, IP, certifications, honours) straight into the database, so these tests depend only on the
tables, not on the other routers' request shapes."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.models import Enterprise
from services.registry.models.evaluations import Certification, Evaluation
from services.registry.models.figures import AnnualFigures, Honour, IpHolding
from shared.auth import Role
from shared.db import create_engine
from tests.support import make_uscc, token

ADMIN = token(Role.ADMIN)
WAN = 1_000_000  # fen per 万元


def database_url(client: httpx.AsyncClient) -> str:
    """The database the test app behind ``client`` runs on (set by the ``registry_client`` fixture)."""
    return client.database_url  # type: ignore[attr-defined,no-any-return]


def expect_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of a response that must have failed with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()  # type: ignore[no-any-return]


async def create_enterprise(client: httpx.AsyncClient, n: int, district: str = "330502") -> dict[str, Any]:
    """Register firm ``n`` in ``district`` through the API; its representation as the API returned it."""
    body = {"uscc": make_uscc(n, district), "name": f"湖州测试企业{n}有限公司", "district_code": district}
    response = await client.post("/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def register(client: httpx.AsyncClient, n: int, district: str = "330502", **fields: Any) -> str:
    body = {"uscc": make_uscc(n, "330502"), "name": f"湖州测试企业{n}有限公司", "district_code": district, **fields}
    response = await client.post("/v1/enterprises", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@asynccontextmanager
async def connected(url: str, *, commit: bool = False) -> AsyncIterator[AsyncConnection]:
    """A connection of its own to the test app's database (``commit``: in a transaction committed at the end)."""
    engine = create_engine(url)
    try:
        async with (engine.begin() if commit else engine.connect()) as conn:
            yield conn
    finally:
        await engine.dispose()


async def insert(url: str, table: Any, rows: list[dict[str, Any]]) -> None:
    async with connected(url, commit=True) as conn:
        await conn.execute(table.insert(), rows)


async def add_figures(url: str, enterprise_id: str, year: int, **values: Any) -> None:
    await insert(url, AnnualFigures.__table__, [{"enterprise_id": uuid.UUID(enterprise_id), "year": year, **values}])


async def add_ip(url: str, enterprise_id: str, reference: str, granted_on: date,
                 kind: str = "invention_patent") -> None:
    await insert(url, IpHolding.__table__, [{"enterprise_id": uuid.UUID(enterprise_id), "reference": reference,
                                             "kind": kind, "acquisition": "self_developed", "granted_on": granted_on}])


async def add_certification(url: str, enterprise_id: str, tier: str, valid_from: date, valid_until: date,
                            status: str = "active") -> None:
    evaluation_id = uuid.uuid4()
    await insert(url, Evaluation.__table__, [{
        "id": evaluation_id, "enterprise_id": uuid.UUID(enterprise_id), "tier": tier, "rule_set_id": "test",
        "purpose": "application", "evaluation_date": valid_from, "outcome": "eligible", "inputs": {}, "result": {},
        "inputs_digest": "0" * 64, "trigger": "request", "created_by": "test",
    }])
    await insert(url, Certification.__table__, [{
        "enterprise_id": uuid.UUID(enterprise_id), "tier": tier, "evaluation_id": evaluation_id,
        "certificate_no": f"T-{uuid.uuid4().hex[:8]}", "valid_from": valid_from, "valid_until": valid_until,
        "status": status, "certified_by": "test",
    }])


async def add_honour(url: str, enterprise_id: str, kind: str, **values: Any) -> None:
    """An honour as an officer records it (verified at once, so that it counts); ``verification=`` to differ."""
    await insert(url, Honour.__table__, [{"enterprise_id": uuid.UUID(enterprise_id), "kind": kind,
                                          "verification": "verified", **values}])


async def outbox_payloads(url: str, event_type: str) -> list[dict[str, Any]]:
    async with connected(url) as conn:
        rows = (await conn.execute(text("SELECT payload FROM outbox WHERE event_type = :t ORDER BY id"),
                                   {"t": event_type})).all()
    return [json.loads(r[0]) for r in rows]


async def pools_of(url: str) -> dict[str, str | None]:
    async with connected(url) as conn:
        rows = (await conn.execute(text("SELECT id, pool FROM enterprises"))).all()
    return {str(uuid.UUID(str(r[0]))): r[1] for r in rows}


async def set_enterprise(url: str, enterprise_id: str, **values: Any) -> None:
    """Set columns other use cases own (size class, creation time) without going through them."""
    async with connected(url, commit=True) as conn:
        table = Enterprise.__table__
        await conn.execute(table.update().where(table.c.id == uuid.UUID(enterprise_id)).values(**values))
