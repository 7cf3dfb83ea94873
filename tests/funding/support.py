"""Helpers of the funding API tests: a pool → programme → round set up through the API, the enterprise read model
filled as the registry's events would fill it, and the tokens of the parts people play."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.funding.models import EnterpriseProfile
from shared.auth import CITY_WIDE, Role
from shared.db import utcnow
from tests.registry.pools_support import connected
from tests.support import make_uscc, token

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
ADMIN = token(Role.ADMIN)
CITY_OFFICER = token(Role.OFFICER, districts=[CITY_WIDE])
WUXING_OFFICER = token(Role.OFFICER, districts=["330502"])
DEQING_OFFICER = token(Role.OFFICER, districts=["330521"])
REVIEWER = token(Role.REVIEWER, subject="reviewer-1")
SERVICE = token(Role.SERVICE)


def database_url(client: httpx.AsyncClient) -> str:
    return client.database_url  # type: ignore[attr-defined,no-any-return]


def ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def firm_token(uscc: str) -> dict[str, str]:
    return token(Role.ENTERPRISE, uscc=uscc)


async def add_firm(client: httpx.AsyncClient, n: int, *, district: str = "330502", tiers: tuple[str, ...] = (),
                   pool: str | None = None, size_class: str | None = "small", sector: str | None = "advanced_manufacturing",
                   name: str | None = None) -> dict[str, Any]:
    """A firm in funding's enterprise read model, as the registry's events would have written it."""
    firm = {"enterprise_id": uuid.uuid4(), "uscc": make_uscc(n, district), "name": name or f"湖州测试企业{n}有限公司",
            "district_code": district, "sector": sector, "size_class": size_class, "pool": pool,
            "held_tiers": sorted(tiers), "product_tags": [], "capability_tags": [], "registry_version": 1,
            "source_event_time": utcnow(), "updated_at": utcnow()}
    async with connected(database_url(client), commit=True) as conn:
        await conn.execute(EnterpriseProfile.__table__.insert(), [firm])
    return {**firm, "enterprise_id": str(firm["enterprise_id"]), "token": firm_token(firm["uscc"])}


async def pool(client: httpx.AsyncClient, *, budget_fen: int = 10**10, district_code: str | None = None,
               headers: dict[str, str] = CITY_OFFICER) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "2026年播种计划配套基金", "issuer": "湖州市" if district_code is None else "吴兴区",
                            "issuer_level": "city" if district_code is None else "county", "budget_fen": budget_fen,
                            "opens_on": (TODAY - timedelta(days=30)).isoformat(),
                            "closes_on": (TODAY + timedelta(days=365)).isoformat()}
    if district_code is not None:
        body["district_code"] = district_code
    return ok(await client.post("/v1/fund-pools", json=body, headers=headers))


async def programme(client: httpx.AsyncClient, pool_id: str, *, budget_fen: int = 10**9, cap_fen: int = 10**8,
                    instrument: str = "grant", eligibility: list[dict[str, Any]] | None = None,
                    headers: dict[str, str] = CITY_OFFICER, **extra: Any) -> dict[str, Any]:
    body = {"pool_id": pool_id, "name": "专精特新企业研发补助", "instrument": instrument, "budget_fen": budget_fen,
            "per_enterprise_cap_fen": cap_fen, "opens_on": (TODAY - timedelta(days=10)).isoformat(),
            "closes_on": (TODAY + timedelta(days=300)).isoformat(), "eligibility": eligibility or [], **extra}
    return ok(await client.post("/v1/programmes", json=body, headers=headers))


async def round_(client: httpx.AsyncClient, programme_id: str, *, budget_fen: int = 10**8,
                 opens_on: date | None = None, closes_on: date | None = None,
                 headers: dict[str, str] = CITY_OFFICER, **extra: Any) -> dict[str, Any]:
    body = {"name": "2026年第一批", "budget_fen": budget_fen,
            "opens_on": (opens_on or TODAY - timedelta(days=5)).isoformat(),
            "closes_on": (closes_on or TODAY + timedelta(days=60)).isoformat(), **extra}
    return ok(await client.post(f"/v1/programmes/{programme_id}/rounds", json=body, headers=headers))


async def open_round(client: httpx.AsyncClient, *, budget_fen: int = 10**8, cap_fen: int = 10**8,
                     eligibility: list[dict[str, Any]] | None = None, instrument: str = "grant",
                     round_extra: dict[str, Any] | None = None, programme_budget_fen: int | None = None) -> dict[str, Any]:
    """A city-level pool, a programme and an open round; the round as read."""
    p = await pool(client)
    prog = await programme(client, p["id"], budget_fen=programme_budget_fen or max(budget_fen, cap_fen) * 2,
                           cap_fen=cap_fen, eligibility=eligibility, instrument=instrument)
    return await round_(client, prog["id"], budget_fen=budget_fen, **(round_extra or {}))


async def balance(client: httpx.AsyncClient, round_id: str) -> dict[str, Any]:
    return ok(await client.get(f"/v1/rounds/{round_id}/balance", headers=ADMIN), 200)


def uscc(n: int, district: str = "330502") -> str:
    return make_uscc(n, district)


async def apply(client: httpx.AsyncClient, firm: dict[str, Any], round_id: str, *, requested_fen: int = 10**7,
                title: str = "基于机器视觉的坯布瑕疵在线检测系统研发", headers: dict[str, str] | None = None,
                key: str | None = None, **extra: Any) -> httpx.Response:
    body = {"round_id": round_id, "project_title": title, "requested_fen": requested_fen, **extra}
    return await client.post("/v1/applications", json=body, headers={
        **(headers or firm["token"]), "Idempotency-Key": key or str(uuid.uuid4())})


async def step(client: httpx.AsyncClient, application: dict[str, Any], action: str, headers: dict[str, str],
               key: str | None = None, **body: Any) -> httpx.Response:
    return await client.post(f"/v1/applications/{application['id']}/transitions", json={"action": action, **body},
                             headers={**headers, "If-Match": f'"{application["version"]}"',
                                      "Idempotency-Key": key or str(uuid.uuid4())})


async def moved(client: httpx.AsyncClient, application: dict[str, Any], action: str, headers: dict[str, str],
                **body: Any) -> dict[str, Any]:
    return ok(await step(client, application, action, headers, **body), 200)


async def approved(client: httpx.AsyncClient, firm: dict[str, Any], round_id: str, amount_fen: int,
                   title: str = "基于机器视觉的坯布瑕疵在线检测系统研发", officer: dict[str, str] = CITY_OFFICER) -> dict[str, Any]:
    """An application taken from draft to approved with ``amount_fen``."""
    app = ok(await apply(client, firm, round_id, requested_fen=amount_fen, title=title))
    app = await moved(client, app, "submit", firm["token"])
    assert app["status"] == "eligibility_checked", app
    app = await moved(client, app, "start_review", officer)
    return await moved(client, app, "approve", officer, amount_fen=amount_fen)


def reviewer(subject: str = "reviewer-1") -> dict[str, str]:
    return token(Role.REVIEWER, subject=subject)


async def declare(client: httpx.AsyncClient, subject: str = "reviewer-1", **declaration: Any) -> dict[str, Any]:
    """The reviewer's declaration of interests, written or replaced (``ties=[{"uscc", "kind"}]``,
    ``organisation_uscc``)."""
    headers = reviewer(subject)
    current = await client.get("/v1/reviewers/me/declaration", headers=headers)
    if current.status_code == 200:
        headers = {**headers, "If-Match": current.headers["ETag"]}
    return ok(await client.put("/v1/reviewers/me/declaration", json=declaration, headers=headers), 200)


async def assign(client: httpx.AsyncClient, application: dict[str, Any], subject: str = "reviewer-1",
                 officer: dict[str, str] = CITY_OFFICER) -> httpx.Response:
    return await client.post(f"/v1/applications/{application['id']}/reviewers", json={"reviewer_id": subject},
                             headers=officer)


async def assigned(client: httpx.AsyncClient, application: dict[str, Any], subject: str = "reviewer-1") -> dict[str, Any]:
    """``subject`` declared (without ties, unless declared before) and assigned to the application."""
    if (await client.get("/v1/reviewers/me/declaration", headers=reviewer(subject))).status_code == 404:
        await declare(client, subject)
    return ok(await assign(client, application, subject))
