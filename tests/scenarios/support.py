"""What the scenarios API tests share: tokens, a valid scenario, and the steps that move one along its lifecycle."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert

from shared.auth import Role
from shared.db import create_engine, utcnow
from tests.support import make_uscc, token

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
FIRM_USCC, OTHER_USCC = make_uscc(4101), make_uscc(4102)
ADMIN = token(Role.ADMIN)
OFFICER = token(Role.OFFICER, districts=["330502"])
OTHER_OFFICER = token(Role.OFFICER, districts=["330521"])
FIRM = token(Role.ENTERPRISE, uscc=FIRM_USCC)
OTHER_FIRM = token(Role.ENTERPRISE, uscc=OTHER_USCC)
PUBLISHED = "seedbed.scenarios.scenario.published.v1"
CLOSED = "seedbed.scenarios.scenario.closed.v1"

SCENARIO: dict[str, Any] = {
    "publisher": {"kind": "enterprise", "uscc": FIRM_USCC},
    "title": "印染车间智能验布场景",
    "description": "需要基于机器视觉的坯布瑕疵在线检测方案，替代人工验布。",
    "industry_chain": "现代纺织",
    "sector": "advanced_manufacturing",
    "cluster": "modern_textile",
    "capability_tags": ["机器视觉", "ＡＩ质检", "ai质检"],
    "deliverable": "一条产线的在线验布系统，漏检率低于 1%",
    "budget": {"min_fen": 50_000_000, "max_fen": 200_000_000},
    "district_code": "330502",
    "deadline": (TODAY + timedelta(days=60)).isoformat(),
    "contact_name": "张三丰",
    "contact_phone": "13857212345",
}


async def create(client: httpx.AsyncClient, headers: dict[str, str] = FIRM, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/scenarios", json={**SCENARIO, **overrides}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def step(client: httpx.AsyncClient, scenario: dict[str, Any], command: str, headers: dict[str, str],
                **body: Any) -> httpx.Response:
    return await client.post(f"/v1/scenarios/{scenario['id']}/transitions", json={"command": command, **body},
                             headers={**headers, "If-Match": f'"{scenario["version"]}"'})


async def moved(client: httpx.AsyncClient, scenario: dict[str, Any], command: str, headers: dict[str, str],
                 **body: Any) -> dict[str, Any]:
    response = await step(client, scenario, command, headers, **body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def publish_new(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    scenario = await create(client, **overrides)
    scenario = await moved(client, scenario, "submit", FIRM)
    scenario = await moved(client, scenario, "approve", OFFICER)
    return await moved(client, scenario, "publish", OFFICER)


async def known_firm(url: str, uscc: str, name: str, district: str = "330502") -> None:
    """A firm as the enterprise consumer keeps it from the registry's events (the read model's row)."""
    import uuid

    from services.scenarios.models import EnterpriseProfile

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(EnterpriseProfile.__table__).values(
                enterprise_id=uuid.uuid4(), uscc=uscc, name=name, district_code=district, product_tags=[],
                capability_tags=[], held_tiers=[], registry_version=1, source_event_time=utcnow(),
                updated_at=utcnow()))
    finally:
        await engine.dispose()
