"""DESIGN §6: every /v1 route of every service states the roles it admits, so none answers without a token; the one
exception is a public read (shared.auth.public_access: a GET under /v1/public/), which answers anyone."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest

from shared.http import PUBLIC_PREFIX
from tests.support import SERVICES, running_app, settings_for

# Path parameters get well-formed values, so that a 401 cannot be a 404 or 422 in disguise.
SAMPLE = {"year": "2025", "tier": "srdi_sme", "kind": "enterprises"}
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
# A path parameter's value that names an existing kind of list in the services that have one.
KIND_OF = {"scenarios": "scenarios"}


def routes(app, service: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every operation the app documents (the OpenAPI document is how callers learn of routes)."""
    sample = {**SAMPLE, **({"kind": KIND_OF[service]} if service in KIND_OF else {})}
    found = []
    for template, operations in app.openapi()["paths"].items():
        if template.startswith("/v1"):
            path = re.sub(r"\{(\w+)\}", lambda m: sample.get(m.group(1), ZERO_UUID), template)
            found.extend((method.upper(), path) for method in sorted(operations))
    return found


@pytest.mark.parametrize("service", SERVICES)
async def test_no_v1_route_answers_without_a_token(service: str) -> None:
    app = importlib.import_module(f"services.{service}.app").create_app(settings_for(service))
    checked = [(m, p) for m, p in routes(app, service) if not p.startswith(PUBLIC_PREFIX)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answers = {(m, p): (await client.request(m, p, json={} if m in ("POST", "PUT", "PATCH") else None)).status_code
                   for m, p in checked}
    assert {k: v for k, v in answers.items() if v != 401} == {}
    if service in ("registry", "matching"):
        assert checked, f"{service} has /v1 routes"


@pytest.mark.parametrize("service", SERVICES)
async def test_public_reads_answer_without_a_token_and_nothing_else_under_their_prefix_does(
    service: str, postgres: None
) -> None:
    """A public route (a GET under /v1/public/; build_service_app refuses any other) answers without a token: a page,
    or a 404/422 for the sample ids, never 401 nor a 5xx. Any other method on the same paths is refused with 401
    before its body is read, as everywhere under /v1."""
    async with running_app(service, settings_for(service)) as client:
        public = [(m, p) for m, p in routes(client._transport.app, service)  # type: ignore[attr-defined]
                  if p.startswith(PUBLIC_PREFIX)]
        assert all(m == "GET" for m, _ in public), public
        for _, path in public:
            answer = await client.get(path)
            assert answer.status_code in (200, 404, 422), (path, answer.status_code, answer.text)
            if "{" not in path and ZERO_UUID not in path:
                assert answer.status_code == 200, (path, answer.text)
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                refused = await client.request(method, path, content=b"x" * 100)
                assert refused.status_code == 401, (method, path, refused.status_code)
    if service == "scenarios":
        assert public, "scenarios has public reads"
