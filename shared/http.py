"""HTTP conventions shared by every service (DESIGN §6).

RFC 9457 problem+json for every error, a request id on every request, cursor pagination, and the operational
endpoints /healthz, /readyz and /metrics.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
    error_summary,
)
from shared.types import INT64_MAX, INT64_MIN, control_character_in

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "x-request-id"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Every /v1 route needs a bearer token, except the public reads under this prefix (shared.auth.public_access): what is
# published, as anyone may see it. Only reads: a public route takes no body and changes nothing.
PUBLIC_PREFIX = "/v1/public/"
PUBLIC_METHODS = frozenset({"GET", "HEAD"})


def is_public_request(method: str, path: str) -> bool:
    """Whether a request may come without a token: a read under :data:`PUBLIC_PREFIX`."""
    return method in PUBLIC_METHODS and path.startswith(PUBLIC_PREFIX)

_STATUS_OF: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    PreconditionRequired: 428,
    PermissionDenied: 403,
}

# Responses every route may give, for the OpenAPI document.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated (problem+json)"},
    403: {"description": "Role or scope not admitted (problem+json)"},
    422: {"description": "Invalid input: problem+json naming each field at fault"},
}


class Problem(BaseModel):
    """RFC 9457 problem details, with ``errors`` naming each field at fault."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if (rid := request_id_var.get()) is not None:
        body["request_id"] = rid
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    # ("body", "uscc") -> "uscc"; ("query", "limit") -> "limit"; nested -> "contacts.0.phone"
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


_PROBLEM_MEMBERS = frozenset({*Problem.model_fields, "headers"})


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_path(tuple(e.get("loc", ()))), "reason": e.get("msg", "invalid"), "in": (e.get("loc") or ["body"])[0]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem_response(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        status = next((s for cls, s in _STATUS_OF.items() if isinstance(exc, cls)), 400)
        errors = [{"field": exc.field, "reason": exc.detail}] if exc.field else None
        # An extension member must not displace a member RFC 9457 defines (a "status" of the record is not ours).
        extra = {k: v for k, v in exc.extra.items() if k not in _PROBLEM_MEMBERS}
        return problem_response(status, exc.title, exc.detail, errors=errors, **extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {401: "Not authenticated", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
                 429: "Too many requests", 503: "Service unavailable"}.get(
            exc.status_code, "Error"
        )
        return problem_response(exc.status_code, title, str(exc.detail) if exc.detail else None, headers=getattr(exc, "headers", None))

    # Registered for its own class, so that it is answered here and not passed on to the server, whose log would
    # print the error's words (the catch-all below re-raises to it).
    @app.exception_handler(StatementError)
    async def _database(_: Request, exc: StatementError) -> JSONResponse:
        if database_busy(exc):
            # SQLite (the embedded default) has one writer: under a burst of writes one may wait past its busy
            # timeout; PostgreSQL may pick this transaction as a deadlock's victim. Nothing was written; the
            # caller may retry. A busy answer, not a fault of the request.
            log.warning("database busy: %s", error_summary(exc))
            return problem_response(503, "Service unavailable", "the database is busy with other writes; retry "
                                    "shortly", headers={"Retry-After": "1"})
        log.error("unhandled database error: %s\n%s", error_summary(exc),
                  "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        return problem_response(500, "Internal error", _UNEXPECTED)

    # The kind of error and where it was raised, not its words: a validation error's message quotes the input,
    # which may be personal data (the same reason as the database errors above).
    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s\n%s", error_summary(exc),
                  "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        return problem_response(500, "Internal error", _UNEXPECTED)


_UNEXPECTED = "An unexpected error occurred; quote the request id when reporting it."


# PostgreSQL's answers that mean "another transaction was in the way", not "this request is wrong": the transaction
# was rolled back whole (nothing written), and the same request sent again normally succeeds. A deadlock names a
# lock-order fault worth fixing, so it is logged with its statement; the caller still gets a clean answer.
_PG_BUSY = frozenset({
    "40P01",  # deadlock_detected: PostgreSQL chose this transaction as the victim of a lock cycle
    "40001",  # serialization_failure
    "55P03",  # lock_not_available: a lock_timeout elapsed
})


def database_busy(exc: StatementError) -> bool:
    """Another writer was in the way and nothing was written: SQLite's "database is locked" (its write lock was not
    free within the busy timeout), or PostgreSQL's deadlock victim, serialization failure or lock timeout."""
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(getattr(original, "__cause__", None), "sqlstate", None)
    if sqlstate in _PG_BUSY:
        return True
    return type(original).__name__ == "OperationalError" and "database is locked" in str(original)


class RequestContextMiddleware:
    """Request id (taken from ``X-Request-ID`` or made) and Prometheus request metrics.

    Plain ASGI rather than BaseHTTPMiddleware: it adds no task or buffering on the hot path.
    """

    def __init__(self, app: ASGIApp, registry: CollectorRegistry, service: str) -> None:
        self.app = app
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["service", "method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for k, v in scope.get("headers", ()):
            if k == b"x-request-id":
                rid = v.decode("latin-1")[:100]
                break
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)
        status = 500
        answered = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette's error middleware answers 500 through the problem handler (which logs the error's kind and
            # place) and then re-raises, so that servers log it; the server's line would quote the error's words,
            # which may be input (personal data). Once the 500 is sent, the error has been answered and logged.
            if not (answered and status == 500):
                raise
        finally:
            request_id_var.reset(token)
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.requests.labels(self.service, scope["method"], template, str(status)).inc()
            self.latency.labels(self.service, scope["method"], template).observe(time.perf_counter() - started)


# --- what must be refused before a body is parsed ----------------------------------------------------------------

# Multipart framing (boundaries, part headers) allowed on top of an upload's own limit.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class BodyAllowance:
    """How many body bytes the current request may send. BodyLimitMiddleware puts one in the ASGI scope with the
    service's ``max_body_bytes``; a route that takes a file upload raises it (shared.app.UploadBody) before it reads
    its body. A mutable object, so that every copy of the scope sees the route's change."""

    SCOPE_KEY = "seedbed.body_allowance"
    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def of(cls, scope: Scope) -> BodyAllowance | None:
        return scope.get(cls.SCOPE_KEY)


class _BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a body passes its limit. An HTTPException because FastAPI's body parsing lets
    those through (any other exception becomes a 400); BodyLimitMiddleware answers the 413 itself."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body may hold at most {limit} bytes")


class BodyLimitMiddleware:
    """Refuses, for every service, what must not reach a parser:

    * a request under ``/v1/`` that carries no bearer token: 401 before a byte of its body is read. Every /v1 route
      requires one (tests/shared/test_every_route_needs_a_token.py), but FastAPI reads and parses a JSON body before
      it runs the route's dependencies, authentication included. The route still verifies the token; a forged one is
      refused there, after at most ``max_body_bytes`` were read. The one exception is a read (GET/HEAD) under
      :data:`PUBLIC_PREFIX`: public routes take no body, and build_service_app refuses any other route there;
    * a compressed body (a Content-Encoding other than identity): 415. Nothing here inflates bodies, and nothing
      should: a few kilobytes of gzip can unpack to gigabytes;
    * a body past its limit (:class:`BodyAllowance`): 413, from its Content-Length before anything is read, or, when
      it sent none (chunked), as soon as the bytes received pass the limit: what streamed in is counted, never kept.

    Plain ASGI, like RequestContextMiddleware (inside it, so that its answers carry a request id and are counted)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int,
                 authenticated_prefix: str = "/v1/") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # No route takes more: a larger Content-Length is refused before the request is even routed.
        self.ceiling = max(max_body_bytes, max_upload_bytes + MULTIPART_OVERHEAD_BYTES)
        self.authenticated_prefix = authenticated_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        encoding = b""
        bearer = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
            elif name == b"content-encoding":
                encoding = value.strip().lower()
            elif name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                bearer = scheme.lower() == b"bearer" and bool(credentials.strip())
        refusal: Response | None = None
        if (not bearer and scope["path"].startswith(self.authenticated_prefix)
                and not is_public_request(scope["method"], scope["path"])):
            # The words and header of shared.auth's own refusal.
            refusal = problem_response(401, "Not authenticated", "A bearer token is required",
                                       headers={"WWW-Authenticate": "Bearer"})
        elif encoding not in (b"", b"identity"):
            refusal = problem_response(
                415, "Unsupported media type",
                f"Content-Encoding {encoding.decode('latin-1')!r} is not accepted: send the body uncompressed",
                errors=[{"field": "Content-Encoding", "reason": "only identity (no compression) is accepted"}])
        elif declared is not None and declared > self.ceiling:
            refusal = _body_too_large(self.ceiling)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        allowance = BodyAllowance(self.max_body_bytes)
        scope[BodyAllowance.SCOPE_KEY] = allowance
        received = 0
        refused_at: int | None = None
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused_at
            # Read at each call: the route may have raised the allowance since the request began.
            limit = allowance.limit
            if refused_at is None and declared is not None and declared > limit:
                refused_at = limit
            if refused_at is not None:
                raise _BodyTooLarge(refused_at)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused_at = limit
                    raise _BodyTooLarge(limit)
            return message

        async def send_unless_refused(message: Message) -> None:
            nonlocal started
            # Whatever the app made of the refusal (its handlers render the exception, or a route caught it) is
            # replaced by the one answer below.
            if refused_at is not None and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, send_unless_refused)
        except Exception:
            if refused_at is None or started:
                raise
        if refused_at is not None and not started:
            await _body_too_large(refused_at)(scope, receive, send)


def _body_too_large(limit: int) -> Response:
    return problem_response(413, "Content too large", f"the request body may hold at most {limit} bytes",
                            errors=[{"field": "body", "reason": f"larger than {limit} bytes"}], max_bytes=limit)


# --- what every response carries ---------------------------------------------------------------------------------

# An API answers JSON, never a page: it may load nothing, be framed by nothing, and submit nothing.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# FastAPI's /docs (Swagger UI) and /redoc pages load their scripts and styles from a CDN, start them with an inline
# script, and fetch the OpenAPI document from the service; ReDoc also loads Google Fonts and runs a worker from a
# blob. This allows exactly that, on those pages only.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://cdn.jsdelivr.net https://fastapi.tiangolo.com; "
    "connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    """The usual security headers on every response, error answers included: ``X-Content-Type-Options: nosniff``,
    ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY`` and a Content-Security-Policy (the API's, or the docs
    pages' on ``docs_paths``); and ``Cache-Control: no-store`` on the answers under ``/v1/`` (authenticated, many
    with personal data), unless the route chose its own (the public reads under ``/v1/public/`` do). A header the route set itself is left as it is.

    No Strict-Transport-Security: TLS ends at the ingress controller, which sends it (docs/operations.md); the
    pods speak plain HTTP, over which browsers ignore the header (RFC 6797 §8.1)."""

    def __init__(self, app: ASGIApp, *, docs_paths: Collection[str] = (), no_store_prefix: str = "/v1/") -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                  (b"x-frame-options", b"DENY")]
        self.api_headers = (*common, (b"content-security-policy", API_CONTENT_SECURITY_POLICY.encode()))
        self.docs_headers = (*common, (b"content-security-policy", DOCS_CONTENT_SECURITY_POLICY.encode()))
        self.no_store_prefix = no_store_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        added = self.docs_headers if path in self.docs_paths else self.api_headers
        if path.startswith(self.no_store_prefix):
            added = (*added, (b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in added if header[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_operational_routes(app: FastAPI, registry: CollectorRegistry, readiness: Callable[[], Awaitable[dict[str, bool]]]) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Readiness: the database is reachable (Kafka reported too)")
    async def readyz() -> JSONResponse:
        # Only the database decides readiness. Requests never talk to Kafka (events wait in the outbox), so a
        # broker outage must not take every API out of service; it is reported, as "degraded", for the operators.
        checks = await readiness()
        if not checks["database"]:
            return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
        status = "ok" if all(checks.values()) else "degraded"
        return JSONResponse({"status": status, "checks": checks}, status_code=200)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


# --- query strings and paths -------------------------------------------------------------------------------------

class ControlCharacterGuard:
    """Refuses a query parameter or a path parameter holding a control character (``%00`` …): 422 naming it.

    Those values reach the database as text, and PostgreSQL refuses NUL outright (the driver's error was a 500); the
    other controls are never meant. Body fields are checked by their schemas' types (shared.types). Plain ASGI: a
    clean request costs two scans (under a microsecond); only a refusal parses the query string or looks up the
    route, to name the parameter at fault."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            faults = _control_characters(scope)
            if faults:
                detail = "; ".join(f"{f['field']}: {f['reason']}" for f in faults)
                await problem_response(422, "Invalid input", detail, errors=faults)(scope, receive, send)
                return
        await self.app(scope, receive, send)


# %00–%1F, %7F, and %C2%80–%C2%9F (the C1 controls in UTF-8), in either case.
_ENCODED_CONTROL = re.compile(rb"%(?:[01][0-9a-f]|7f|c2%[89][0-9a-f])", re.IGNORECASE)


def _control_characters(scope: Scope) -> list[dict[str, str]]:
    faults = []
    query = scope.get("query_string", b"")
    if _ENCODED_CONTROL.search(query):  # a control character can only arrive percent-encoded; parsing costs more
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if found := control_character_in(name) or control_character_in(value):
                faults.append({"field": name, "reason": f"must not contain a control character ({found})",
                               "in": "query"})
    if found := control_character_in(scope.get("path", "")):
        faults.append({"field": _path_parameter_holding(scope, found), "in": "path",
                       "reason": f"must not contain a control character ({found})"})
    return faults


def _path_parameter_holding(scope: Scope, found: str) -> str:
    """The name of the path parameter that holds the character, read off the documented route templates (routing
    has not run yet), or "path" when no documented route matches."""
    openapi = getattr(scope.get("app"), "openapi", None)
    for template in (openapi()["paths"] if callable(openapi) else ()):
        matched = compile_path(template)[0].match(scope.get("path", ""))
        if matched:
            return next((name for name, value in matched.groupdict().items()
                         if control_character_in(value) == found), "path")
    return "path"


# --- optimistic concurrency --------------------------------------------------------------------------------------

# The If-Match header of a conditional change, as sent; check_if_match (or Records.get_for_change) judges it.
IfMatch = Annotated[str | None, Header(description="the ETag you read")]


def check_if_match(if_match: str | None, current_version: int) -> None:
    """ETag/If-Match on updates of shared records (DESIGN §6): the caller names the version it read.

    ETags are the record's version number in quotes. Missing If-Match is 428; a stale one is 412.
    """
    if if_match is None:
        raise PreconditionRequired("If-Match is required: send the ETag of the version you read")
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if "*" not in wanted and str(current_version) not in wanted:
        raise PreconditionFailed(
            f"the record changed since you read it (now version {current_version})", current_version=current_version
        )


def etag(version: int) -> str:
    return f'"{version}"'


# --- cursor pagination -------------------------------------------------------------------------------------------

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one (absent on the last page)."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str, separators=(",", ":")).encode()).decode().rstrip("=")


# The longest cursor a list issues is two keys, one of them a 200-character name written as \u escapes (about
# 1,700 characters): anything longer was not issued here, and is refused before it is decoded.
MAX_CURSOR_LENGTH = 4096


def decode_cursor(cursor: str, *parsers: Callable[[Any], Any]) -> list[Any]:
    """The values of a cursor from encode_cursor. With ``parsers``, it must hold one value per parser, each turned
    into what the parser makes (``cursor_uuid``, ``cursor_datetime``, ``cursor_date``, ``cursor_int``, ``str``);
    anything else is a cursor this API did not issue: 422, never a 500."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("longer than any cursor this API issues")
        padded = cursor + "=" * (-len(cursor) % 4)
        # Deeply nested arrays exhaust the decoder's recursion (RecursionError) before the shape check sees them.
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or (parsers and len(values) != len(parsers)):
            raise ValueError("not a cursor of this list")
        for value in values:
            _check_cursor_value(value)
        if parsers:
            values = [parse(value) for parse, value in zip(parsers, values, strict=True)]
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise InvalidInput("cursor is not one this API issued", field="cursor") from exc
    return values


def _check_cursor_value(value: Any) -> None:
    """A cursor holds keys: numbers and text the database can take. Text reaches the database as it is (a ``str``
    key), and PostgreSQL refuses NUL; a lone surrogate cannot even be encoded."""
    if isinstance(value, list | dict):
        raise ValueError("a cursor holds no nested values")
    if isinstance(value, str):
        if control_character_in(value):
            raise ValueError("a control character in a cursor")
        value.encode()  # UnicodeEncodeError (a ValueError) on a lone surrogate


def cursor_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def cursor_datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:  # this API writes UTC times with their offset; a time without one is forged
        raise ValueError(f"{value!r} has no time zone")
    # In UTC now, as the column binds it: a time whose UTC falls outside years 1–9999 fails here (OverflowError),
    # not in the driver.
    return parsed.astimezone(UTC)


def cursor_date(value: Any) -> date:
    return date.fromisoformat(str(value))


def cursor_int(value: Any) -> int:
    """An integer within BIGINT, the widest integer column (shared.pagination refuses one beyond a narrower
    column's range)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{value} is beyond a 64-bit integer")
    return value
