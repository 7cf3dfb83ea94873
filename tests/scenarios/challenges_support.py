"""A valid challenge to start from, and the steps the challenge tests take through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.auth import Role
from tests.support import make_uscc, token

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
ISSUER_USCC, OTHER_USCC = make_uscc(4201), make_uscc(4202)
ADMIN = token(Role.ADMIN)
OFFICER = token(Role.OFFICER, districts=["330502"], subject="officer-wuxing")
OTHER_OFFICER = token(Role.OFFICER, districts=["330521"], subject="officer-deqing")
ISSUER = token(Role.ENTERPRISE, uscc=ISSUER_USCC)
OTHER_FIRM = token(Role.ENTERPRISE, uscc=OTHER_USCC)
WAN = 1_000_000  # fen per 万元

CHALLENGE: dict[str, Any] = {
    "issuer": {"kind": "enterprise", "uscc": ISSUER_USCC},
    "title": "高性能碳纤维复合材料电池包壳体",
    "background": "新能源汽车零部件企业需要轻量化、阻燃的电池包壳体，现有铝合金方案过重。",
    "sector": "strategic_emerging",
    "cluster": "nev_parts",
    "industry_chain": "新能源汽车及关键零部件",
    "capability_tags": ["复合材料", "模压成型", "ＣＡＥ仿真"],
    "district_code": "330502",
    "indicators": [
        {"name": "减重", "target": "30", "unit": "%", "verification": "third_party_test"},
        {"name": "拉伸强度", "target": "600", "unit": "MPa", "verification": "third_party_test",
         "method": "GB/T 3354"},
    ],
    "bounty": {"total_fen": 500 * WAN, "issuer_fen": 400 * WAN, "public_fen": 100 * WAN},
    "duration_months": 24,
    "application_deadline": (TODAY + timedelta(days=45)).isoformat(),
    "ip_terms": {"ownership": "joint", "note": "发榜方与揭榜方按 6:4 共有，发榜方享有免费实施权"},
    "eligibility": {"min_tier": "tech_sme", "areas": ["330502", "330503"]},
    "max_teams": 1,
}


async def create(client: httpx.AsyncClient, headers: dict[str, str] = ISSUER, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/challenges", json={**CHALLENGE, **overrides}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def step(client: httpx.AsyncClient, challenge: dict[str, Any], command: str, headers: dict[str, str],
               **body: Any) -> httpx.Response:
    return await client.post(f"/v1/challenges/{challenge['id']}/transitions", json={"command": command, **body},
                             headers={**headers, "If-Match": f'"{challenge["version"]}"'})


async def moved(client: httpx.AsyncClient, challenge: dict[str, Any], command: str, headers: dict[str, str] = OFFICER,
                **body: Any) -> dict[str, Any]:
    response = await step(client, challenge, command, headers, **body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def published(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    challenge = await create(client, **overrides)
    challenge = await moved(client, challenge, "submit_for_review", ISSUER)
    return await moved(client, challenge, "publish")


async def open_for_applications(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await moved(client, await published(client, **overrides), "open_applications")
