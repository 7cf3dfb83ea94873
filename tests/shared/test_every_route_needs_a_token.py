"""DESIGN §6: every /v1 route of every service states the roles it admits, so none answers without a token."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest

from tests.support import SERVICES, settings_for

# Path parameters get well-formed values, so that a 401 cannot be a 404 or 422 in disguise.
SAMPLE = {"year": "2025", "tier": "srdi_sme", "kind": "enterprises"}
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every operation the app documents (the OpenAPI document is how callers learn of routes)."""
    found = []
    for template, operations in app.openapi()["paths"].items():
        if template.startswith("/v1"):
            path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), ZERO_UUID), template)
            found.extend((method.upper(), path) for method in sorted(operations))
    return found


@pytest.mark.parametrize("service", SERVICES)
async def test_no_v1_route_answers_without_a_token(service: str) -> None:
    app = importlib.import_module(f"services.{service}.app").create_app(settings_for(service))
    checked = routes(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answers = {(m, p): (await client.request(m, p, json={} if m in ("POST", "PUT", "PATCH") else None)).status_code
                   for m, p in checked}
    assert {k: v for k, v in answers.items() if v != 401} == {}
    if service in ("registry", "matching"):
        assert checked, f"{service} has /v1 routes"
