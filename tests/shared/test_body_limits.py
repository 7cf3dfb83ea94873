"""Request bodies are limited before anything parses them, in every service (shared.http.BodyLimitMiddleware):
a /v1 request without a token is refused before its body is read, a compressed body is refused, and a body past
its limit is refused from its Content-Length or as soon as the bytes streamed in pass it."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Role
from tests.support import SERVICES, running_app, settings_for, sqlite_url, token

MiB = 1024 * 1024


def _app(service: str, **settings: Any):  # type: ignore[no-untyped-def]
    # No lifespan: every refusal here comes before a route's dependencies (which need the database).
    return importlib.import_module(f"services.{service}.app").create_app(settings_for(service, **settings))


def _json_post_route(app) -> str | None:  # type: ignore[no-untyped-def]
    """A POST route of the service that takes a JSON body, with its path parameters filled in (None: it has none
    yet, and only the refusals that come before routing apply)."""
    for template, operations in app.openapi()["paths"].items():
        post = operations.get("post", {})
        if template.startswith("/v1") and "application/json" in post.get("requestBody", {}).get("content", {}):
            return template.replace("{", "").replace("}", "")  # never routed that far: any value does
    return None


class CountingBody:
    """A streamed request body (no Content-Length) that counts the bytes the server pulled from it."""

    def __init__(self, total: int, chunk: int = 64 * 1024, start: bytes = b"") -> None:
        self.total, self.chunk, self.start, self.sent = total, chunk, start, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            piece = (self.start + b" " * self.chunk)[:self.chunk] if self.sent == 0 else b" " * self.chunk
            self.sent += len(piece)
            yield piece


async def _call_asgi(app, path: str, headers: dict[str, str], body_chunks: int) -> tuple[int, dict[str, str], int]:  # type: ignore[no-untyped-def]
    """One POST through the ASGI interface itself, so that a Content-Length can claim what no client would send;
    returns the status, the headers, and how many times the app asked for body bytes."""
    asked = 0
    status, response_headers = 0, {}

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": b" " * MiB, "more_body": asked < body_chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, response_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers = {k.decode(): v.decode() for k, v in message["headers"]}

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "server": ("test", 80)}
    await app(scope, receive, send)
    return status, response_headers, asked


@pytest.mark.parametrize("service", SERVICES)
async def test_a_huge_body_without_a_token_is_refused_before_a_byte_of_it_is_read(service: str) -> None:
    app = _app(service)
    path = _json_post_route(app) or "/v1/anything"
    body = CountingBody(1024 * MiB)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert body.sent == 0
    # Not even asked for: a declared gigabyte is refused just the same.
    status, _, asked = await _call_asgi(app, path, {"Content-Length": str(1024 * MiB)}, 1024)
    assert (status, asked) == (401, 0)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_body_past_the_limit_is_413_from_its_length_or_as_soon_as_it_streams_past(service: str) -> None:
    app = _app(service)
    headers = {**token(Role.ADMIN), "Content-Type": "application/json"}
    # Longer than any route takes: refused before the request is even routed.
    status, response_headers, asked = await _call_asgi(app, "/v1/anything",
                                                       {**headers, "Content-Length": str(1024 * MiB)}, 1024)
    assert (status, asked) == (413, 0)
    assert response_headers["content-type"] == "application/problem+json"
    path = _json_post_route(app)
    if path is None:  # no route of this service takes a body yet
        return
    # Longer than this route takes: refused at its first read, before a byte is received.
    status, _, asked = await _call_asgi(app, path, {**headers, "Content-Length": str(2 * MiB)}, 2)
    assert (status, asked) == (413, 0)
    # Streamed without a length: counted as it comes, and refused one chunk past the limit.
    body = CountingBody(1024 * MiB)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 413, response.text
    problem = response.json()
    assert problem["title"] == "Content too large" and problem["max_bytes"] == MiB
    assert problem["errors"] == [{"field": "body", "reason": f"larger than {MiB} bytes"}]
    assert MiB < body.sent <= MiB + body.chunk


async def test_the_limit_is_a_setting_and_a_body_within_it_goes_through() -> None:
    app = _app("registry", max_body_bytes=2000)
    headers = {**token(Role.ADMIN), "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        refused = await client.post("/v1/enterprises", content=b" " * 2001, headers=headers)
        assert refused.status_code == 413 and refused.json()["max_bytes"] == 2000
        # Within the limit the body reaches FastAPI's parser, which refuses it for what it is (unfinished JSON).
        passed = await client.post("/v1/enterprises", content=b"{" + b" " * 1999, headers=headers)
        assert passed.status_code == 422 and passed.json()["errors"][0]["reason"] == "JSON decode error", passed.text


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "gzip, identity"])
async def test_a_compressed_body_is_415_before_it_is_read(encoding: str) -> None:
    app = _app("registry")
    headers = {**token(Role.ADMIN), "Content-Type": "application/json", "Content-Encoding": encoding}
    status, response_headers, asked = await _call_asgi(app, "/v1/enterprises", {**headers, "Content-Length": "10"}, 1)
    assert (status, asked) == (415, 0)
    assert response_headers["content-type"] == "application/problem+json"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.post("/v1/enterprises", content=b"{}", headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["field"] == "Content-Encoding"
    # identity is no compression at all.
    plain = {**headers, "Content-Encoding": "identity"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.post("/v1/enterprises", content=b"{", headers=plain)).status_code == 422


async def test_routes_outside_v1_answer_without_a_token() -> None:
    app = _app("registry")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200
        # A scheme other than Bearer, or a bearer without credentials, is no token.
        for authorization in ("Basic dXNlcjpwYXNz", "Bearer ", "Bearer"):
            response = await client.get("/v1/enterprises", headers={"Authorization": authorization})
            assert response.status_code == 401, authorization


async def test_an_upload_route_takes_files_larger_than_a_json_body_but_not_past_its_own_limit(
        tmp_path: Path, registry_sqlite_template: Path) -> None:
    # The upload limit applies only where a route declares it (shared.app.UploadBody), after authentication.
    shutil.copyfile(registry_sqlite_template, tmp_path / "registry.db")
    settings = settings_for("registry", sqlite_url(tmp_path, "registry"), max_body_bytes=1000, max_upload_bytes=100_000)
    csv = ("uscc,name,district_code\n" + "".join(f"x{n},名称,330502\n" for n in range(200))).encode()
    assert 1000 < len(csv) < 100_000
    async with running_app("registry", settings) as client:
        elsewhere = await client.post("/v1/enterprises", content=csv, headers=token(Role.ADMIN))
        assert elsewhere.status_code == 413
        imported = await client.post("/v1/imports/enterprises", files={"file": ("firms.csv", csv, "text/csv")},
                                     headers=token(Role.ADMIN))
        assert imported.status_code == 200 and imported.json()["rows"] == 200, imported.text
        # Past the upload limit, streamed without a length: refused by the count, within a chunk of the limit.
        part = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        body = CountingBody(50 * MiB, start=part)
        response = await client.post("/v1/imports/enterprises", content=body, headers={
            **token(Role.ADMIN), "Content-Type": "multipart/form-data; boundary=x"})
        assert response.status_code == 413, response.text
        assert response.json()["max_bytes"] == 100_000 + 64 * 1024
        assert body.sent <= 100_000 + 64 * 1024 + body.chunk
        # Without a token, nothing is read at all.
        body = CountingBody(50 * MiB)
        response = await client.post("/v1/imports/enterprises", content=body,
                                     headers={"Content-Type": "multipart/form-data; boundary=x"})
        assert response.status_code == 401 and body.sent == 0
