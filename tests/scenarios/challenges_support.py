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


APPLICANT_USCC, PARTNER_USCC, STRANGER_USCC = make_uscc(4301), make_uscc(4302), make_uscc(4303)
APPLICANT = token(Role.ENTERPRISE, uscc=APPLICANT_USCC)

APPLICATION: dict[str, Any] = {
    "summary": "热塑性碳纤维预浸料模压成型，配合阻燃涂层，目标减重 35%。",
    "technical_route": "热塑性预浸料 + 快速模压 + 阻燃涂层",
    "budget_fen": 600 * WAN,
    "requested_fen": 300 * WAN,
    "partners": [{"uscc": PARTNER_USCC, "name": "浙江某材料研究院", "role": "research_institute",
                  "responsibility": "材料配方与第三方检测对接"}],
    "team": [{"name": "王建国", "role": "lead", "organisation_uscc": APPLICANT_USCC, "title": "高级工程师"},
             {"name": "李晓梅", "role": "core", "organisation_uscc": PARTNER_USCC, "title": "研究员"}],
    "commitment_signed": True,
}


async def known_enterprise(url: str, uscc: str, name: str, *, district: str = "330502",
                           held_tiers: list[str] | None = None, **facts: Any) -> None:
    """An enterprise as the enterprise consumer keeps it from the registry's events (the read model's row)."""
    import uuid

    from sqlalchemy import insert

    from services.scenarios.models import EnterpriseProfile
    from shared.db import create_engine, utcnow

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(EnterpriseProfile.__table__).values(
                enterprise_id=uuid.uuid4(), uscc=uscc, name=name, district_code=district, product_tags=[],
                capability_tags=[], held_tiers=held_tiers or [], registry_version=1, source_event_time=utcnow(),
                updated_at=utcnow(), **facts))
    finally:
        await engine.dispose()


async def apply(client: httpx.AsyncClient, challenge: dict[str, Any], headers: dict[str, str] = APPLICANT,
                key: str | None = None, **overrides: Any) -> httpx.Response:
    import uuid

    return await client.post(f"/v1/challenges/{challenge['id']}/applications", json={**APPLICATION, **overrides},
                             headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def reviewer(name: str) -> dict[str, str]:
    return token(Role.REVIEWER, subject=name)


def firm_uscc(n: int) -> str:
    return make_uscc(4400 + n)


def scores(technical_route: str, team: str, plan: str) -> dict[str, Any]:
    return {"scores": {"technical_route": technical_route, "team": team, "plan": plan}}


def milestones(*shares: str) -> list[dict[str, Any]]:
    """A plan of one milestone per share, due every 90 days from today."""
    return [{"title": f"第{i + 1}阶段考核", "due_on": (TODAY + timedelta(days=90 * (i + 1))).isoformat(),
             "tranche_share": share, "indicators": ["减重"]} for i, share in enumerate(shares)]


async def declare(client: httpx.AsyncClient, name: str, **body: Any) -> dict[str, Any]:
    response = await client.put("/v1/reviewers/me/declaration", json=body, headers=reviewer(name))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def in_expert_review(client: httpx.AsyncClient, url: str, applicants: int,
                           **overrides: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A challenge in expert review with ``applicants`` shortlisted applications (firms 1..n, single ones)."""
    challenge = await open_for_applications(client, **overrides)
    applications = []
    for n in range(1, applicants + 1):
        uscc = firm_uscc(n)
        await known_enterprise(url, uscc, f"湖州揭榜企业{n}有限公司", held_tiers=["tech_sme"])
        response = await apply(client, challenge, token(Role.ENTERPRISE, uscc=uscc), partners=[],
                               team=[{"name": f"负责人{n}", "role": "lead", "organisation_uscc": uscc}])
        assert response.status_code == 201, response.text
        applications.append(response.json())
    challenge = await moved(client, challenge, "close_applications")
    for i, application in enumerate(applications):
        response = await client.post(
            f"/v1/challenges/{challenge['id']}/applications/{application['id']}/transitions",
            json={"command": "shortlist"}, headers={**OFFICER, "If-Match": f'"{application["version"]}"'})
        assert response.status_code == 200, response.text
        applications[i] = response.json()
    challenge = await moved(client, challenge, "start_expert_review")
    return challenge, applications


async def assign(client: httpx.AsyncClient, challenge: dict[str, Any], application: dict[str, Any],
                 name: str) -> httpx.Response:
    return await client.post(f"/v1/challenges/{challenge['id']}/applications/{application['id']}/reviewers",
                             json={"reviewer_id": name}, headers=OFFICER)


async def score(client: httpx.AsyncClient, challenge: dict[str, Any], application: dict[str, Any], name: str,
                sheet: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/v1/challenges/{challenge['id']}/applications/{application['id']}/score-sheets",
                             json=sheet, headers=reviewer(name))


async def scored_by(client: httpx.AsyncClient, challenge: dict[str, Any], application: dict[str, Any], name: str,
                    sheet: dict[str, Any]) -> None:
    """``name`` declared (no ties), assigned to the application, and its sheet submitted."""
    if (await client.get("/v1/reviewers/me/declaration", headers=reviewer(name))).status_code == 404:
        await declare(client, name)
    assert (await assign(client, challenge, application, name)).status_code == 201
    response = await score(client, challenge, application, name, sheet)
    assert response.status_code == 201, response.text
