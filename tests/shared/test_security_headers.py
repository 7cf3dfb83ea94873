"""Every response of every service carries the usual security headers (shared.http.SecurityHeadersMiddleware):
answers and refusals alike, the 500 of an unexpected error included; /v1 answers are not stored by caches unless the
route says otherwise; the docs pages get the one policy that lets them load."""

from __future__ import annotations

import importlib
import logging

import httpx
import pytest
from fastapi import Response

from shared.auth import Role
from shared.http import API_CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY
from tests.support import SERVICES, settings_for, token

COMMON = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY"}


def _app(service: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"services.{service}.app").create_app(settings_for(service))


def _client(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    # raise_app_exceptions=False: the 500 is the response under test, not an exception in the test.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://test")


def _assert_headers(response: httpx.Response, policy: str = API_CONTENT_SECURITY_POLICY) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert response.headers["content-security-policy"] == policy, response.request.url
    assert "strict-transport-security" not in response.headers  # the ingress's, over TLS (docs/operations.md)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_kind_of_response_carries_the_security_headers(service: str) -> None:
    app = _app(service)

    async def fail() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/test-unexpected-error", fail)
    async with _client(app) as client:
        answers = {
            "operational": await client.get("/healthz"),
            "metrics": await client.get("/metrics"),
            "openapi": await client.get("/openapi.json"),
            "no token": await client.get("/v1/anything"),
            "bad token": await client.get("/v1/anything", headers={"Authorization": "Bearer x"}),
            "no route": await client.get("/nowhere"),
            "body too large": await client.post("/v1/anything", content=b" " * (30 * 1024 * 1024),
                                                headers=token(Role.ADMIN)),
            "unexpected error": await client.get("/v1/test-unexpected-error", headers=token(Role.ADMIN)),
        }
    assert {k: r.status_code for k, r in answers.items()} == {
        "operational": 200, "metrics": 200, "openapi": 200, "no token": 401, "bad token": 404, "no route": 404,
        "body too large": 413, "unexpected error": 500}
    for response in answers.values():
        _assert_headers(response)
    # The 500 names the request id the log line was written under, in its header and in its body.
    failed = answers["unexpected error"]
    assert failed.headers["x-request-id"] and failed.json()["request_id"] == failed.headers["x-request-id"]
    # Every /v1 answer is kept out of caches; others are left to the route.
    for key in ("no token", "bad token", "body too large", "unexpected error"):
        assert answers[key].headers["cache-control"] == "no-store", key
    assert "cache-control" not in answers["operational"].headers


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_docs_pages_get_a_policy_that_lets_them_load_their_scripts(path: str) -> None:
    async with _client(_app("registry")) as client:
        page = await client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    _assert_headers(page, DOCS_CONTENT_SECURITY_POLICY)
    # What FastAPI's pages load comes from where the policy allows (the machine has no internet: only checked).
    for source in ("https://cdn.jsdelivr.net", "https://fastapi.tiangolo.com", "https://fonts.googleapis.com"):
        if source in page.text:
            assert source in DOCS_CONTENT_SECURITY_POLICY
    if "<script>" in page.text:  # an inline script (Swagger UI starts with one)
        assert "script-src 'self' 'unsafe-inline'" in DOCS_CONTENT_SECURITY_POLICY


async def test_a_header_the_route_set_itself_is_kept() -> None:
    app = _app("registry")

    async def own() -> Response:
        return Response(b"{}", media_type="application/json", headers={
            "Cache-Control": "private, max-age=60", "Content-Security-Policy": "sandbox"})

    app.add_api_route("/v1/test-own-headers", own)
    async with _client(app) as client:
        response = await client.get("/v1/test-own-headers", headers=token(Role.ADMIN))
    assert response.headers["cache-control"] == "private, max-age=60"
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get_list("cache-control") == ["private, max-age=60"]


async def test_the_registry_read_keeps_its_etag_and_304_under_no_store(registry_client: httpx.AsyncClient) -> None:
    admin = token(Role.ADMIN)
    from tests.support import make_uscc

    created = await registry_client.post("/v1/enterprises", headers=admin, json={
        "uscc": make_uscc(1), "name": "湖州示例科技有限公司", "district_code": "330502"})
    assert created.status_code == 201, created.text
    url = f"/v1/enterprises/{created.json()['id']}"
    first = await registry_client.get(url, headers=admin)
    assert first.status_code == 200 and first.headers["etag"] == '"1"'
    assert first.headers["cache-control"] == "no-store"
    _assert_headers(first)
    again = await registry_client.get(url, headers={**admin, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == '"1"' and again.content == b""
    _assert_headers(again)


async def test_an_unexpected_error_is_answered_and_logged_without_its_words(caplog: pytest.LogCaptureFixture) -> None:
    """An error's message may quote the input (a validation error does): the log names its kind and where it was
    raised, and the error goes no further than the 500 (the server would log it again, words and all)."""
    app = _app("registry")

    async def fail(phone: str) -> None:
        raise ValueError(f"phone {phone} is not valid")

    app.add_api_route("/v1/test-unexpected-error", fail)
    caplog.set_level(logging.DEBUG)
    # raise_app_exceptions=True: an error that escaped the app would fail this test.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/v1/test-unexpected-error", params={"phone": "13857212345"},
                                    headers=token(Role.ADMIN))
    assert response.status_code == 500 and response.json()["request_id"] == response.headers["x-request-id"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx")  # httpx logs the test's URL
    assert "13857212345" not in logged and "13857212345" not in response.text
    assert "builtins.ValueError" in logged and "in fail" in logged
