"""Public reads (shared.auth.public_access): the only /v1 routes without a token. The kit holds them to GETs under
/v1/public/ when an app is built, lets exactly those through without a token before the body is read, and keeps
every other /v1 request to its 401."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter

from shared.app import build_service_app
from shared.auth import Actor, Role, Visitor, public_access, require_actor
from shared.types import Line
from tests.support import settings_for, token

Public = Annotated[Visitor, public_access()]


def _app(*routers: APIRouter):  # type: ignore[no-untyped-def]
    from services.scenarios.models import bus

    return build_service_app(settings_for("scenarios"), title="t", description="t", tables=bus, routers=routers)


def _router(prefix: str) -> APIRouter:
    return APIRouter(prefix=prefix)


def test_a_public_route_outside_the_public_prefix_is_refused_at_build() -> None:
    router = _router("/v1/things")

    @router.get("")
    async def things(_: Public) -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="outside /v1/public/"):
        _app(router)


def test_a_public_route_that_could_change_something_is_refused_at_build() -> None:
    router = _router("/v1/public/things")

    @router.post("")
    async def things(_: Public) -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="reads only"):
        _app(router)


def test_a_route_under_the_public_prefix_must_say_it_is_public() -> None:
    router = _router("/v1/public/things")

    @router.get("")
    async def things(actor: Annotated[Actor, require_actor(Role.ADMIN)]) -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="without public_access"):
        _app(router)


def test_public_and_roles_at_once_is_refused_at_build() -> None:
    router = _router("/v1/public/things")

    @router.get("")
    async def things(_: Public, actor: Annotated[Actor, require_actor(Role.ADMIN)]) -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="both"):
        _app(router)


async def test_without_a_token_only_public_reads_pass_and_a_token_changes_nothing_there() -> None:
    public, private = _router("/v1/public/things"), _router("/v1/things")

    @public.get("")
    async def read(visitor: Public, q: Line | None = None) -> dict[str, str | None]:
        return {"q": q, "request_id": visitor.request_id}

    @private.get("")
    async def secret(actor: Annotated[Actor, require_actor(Role.ADMIN)]) -> dict[str, str]:
        return {"who": actor.principal.subject}

    app = _app(public, private)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        anonymous = await client.get("/v1/public/things", params={"q": "纺织"})
        assert anonymous.status_code == 200 and anonymous.json()["q"] == "纺织"
        assert anonymous.json()["request_id"]  # logged like any other request
        # A token (even a bad one) is not read: the same answer as everybody's.
        assert (await client.get("/v1/public/things", headers={"Authorization": "Bearer forged"})).status_code == 200
        assert (await client.get("/v1/public/things", headers=token(Role.ENTERPRISE, uscc="x"))).status_code == 200
        # Hostile query values are still refused by the shared types, naming the parameter.
        bad = await client.get("/v1/public/things", params={"q": "a\x00b"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "q"
        # Everything else under /v1 still needs the token, before any body is read.
        assert (await client.get("/v1/things")).status_code == 401
        assert (await client.post("/v1/public/things", content=b"{}" * 1000)).status_code == 401
        assert (await client.get("/v1/publicity")).status_code == 401  # the prefix is a path segment, not a stem
        assert (await client.get("/v1/things", headers=token(Role.ADMIN))).status_code == 200
