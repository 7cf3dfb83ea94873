"""What the invitation tests share: a match.recommended as matching sends it, and its delivery to the scenarios
service's real handler (in the unit of work its worker gives it)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.scenarios import consumers
from shared.auth import Role
from shared.db import create_engine, session_factory
from shared.events.envelope import CloudEvent
from shared.events.matching import MatchRecommended, RecommendedFirm
from tests.support import make_uscc, service_work, token

A_USCC, B_USCC, C_USCC, D_USCC = (make_uscc(n) for n in (4501, 4502, 4503, 4504))
FIRM_A, FIRM_B, FIRM_C = (token(Role.ENTERPRISE, uscc=u) for u in (A_USCC, B_USCC, C_USCC))


def recommendation(kind: str, demand: dict[str, Any], firms: list[tuple[str, float]],
                   terms: tuple[str, ...] = ("机器视觉", "验布")) -> CloudEvent:
    """match.recommended for ``demand`` naming ``firms`` (USCC, score), as matching's worker emits it."""
    payload = MatchRecommended(
        demand_kind=kind, demand_id=uuid.UUID(demand["id"]), title=demand["title"],
        district_code=demand.get("district_code"), candidates=[
            RecommendedFirm(uscc=uscc, name=f"企业{uscc[-4:]}", score=score, matched_terms=list(terms),
                            matched_tags=["机器视觉"], contributions={"text": round(score * 0.7, 3),
                                                                       "tags": round(score * 0.3, 3)})
            for uscc, score in firms])
    return CloudEvent.of(payload, service="matching", subject=demand["id"])


async def deliver(url: str, *events: CloudEvent) -> None:
    """Each event to the recommendations consumer's handler, each in its own unit of work (as the worker does,
    without the inbox: a republication under another event id is what these deliveries stand for)."""
    (subscription,) = [s for s in consumers.subscriptions() if s.name == "recommendations"]
    engine = create_engine(url)
    work = service_work("scenarios", session_factory(engine))
    try:
        for event in events:
            async with work(None, system_actor="scenarios.recommendations", caused_by=event,
                            audited=subscription.audited) as uow:
                await subscription.handlers[event.type](uow, event)
    finally:
        await engine.dispose()


async def invitations(client: httpx.AsyncClient, headers: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/invitations", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]
