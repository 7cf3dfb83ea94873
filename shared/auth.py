"""Authentication and roles (DESIGN §6).

A bearer JWT names the caller and its role, with the scope that role carries: an officer's districts, an
enterprise's USCC, a park operator's platforms, an institute's id. Every route states the roles it admits with
:func:`require_actor`; a missing or bad token is 401, a role not admitted is 403.

An officer's token must say where the officer works: ``"districts": ["330502", ...]``, or ``"districts": ["*"]``
for a city-wide (programme) officer. A token with neither is refused at verification (401): a claim the identity
provider forgot to map must not read as "the whole city" (fail closed).

Locally tokens are HS256 with a shared secret; in production RS256, checked against the identity provider's JWKS
(:class:`SigningKeys`: fetched without blocking the event loop, kept, refetched at most once per interval).

Clients that keep presenting bad tokens are answered 429 for a while (:class:`AuthFailures`), before their tokens
are even checked.

The one kind of route without a token is a public read (:func:`public_access`): a GET under ``/v1/public/``
answering what is published, as anyone may see it. It never reads the token, so a caller that sends one sees the
same as everybody; what a caller may see in its own scope it reads from the authenticated routes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.http import PUBLIC_METHODS, PUBLIC_PREFIX, request_id_var
from shared.settings import LOCAL_JWT_SECRET, ServiceSettings

log = logging.getLogger(__name__)

# The ``districts`` claim of a city-wide officer: ``"districts": ["*"]`` (alone; never mixed with district codes).
CITY_WIDE = "*"


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    REVIEWER = "reviewer"
    ENTERPRISE = "enterprise"
    PARK_OPERATOR = "park_operator"
    INSTITUTE = "institute"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    uscc: str | None = None
    # An officer reaches the districts listed, or every district when ``city_wide`` (the token's ``["*"]``); an
    # officer with neither reaches none: nothing here reads an empty list as "everywhere".
    districts: tuple[str, ...] = ()
    city_wide: bool = False
    platform_ids: tuple[str, ...] = ()
    institute_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def can_see_district(self, district_code: str) -> bool:
        """Officers are scoped to the districts their token lists, or to the whole city when it says so."""
        if self.role in (Role.ADMIN, Role.SERVICE):
            return True
        if self.role == Role.OFFICER:
            return self.city_wide or district_code in self.districts
        return False


def _district_scope(role: Role, claim: Any) -> tuple[tuple[str, ...], bool]:
    """The ``districts`` claim as (districts, city_wide); refuses an officer token that names no scope."""
    if claim is None and role != Role.OFFICER:
        return (), False
    if not isinstance(claim, list) or not all(isinstance(d, str) and d for d in claim):
        # A bare string would otherwise become a tuple of its characters.
        if role == Role.OFFICER:
            raise jwt.InvalidTokenError(
                'an officer token must list its districts ("districts": ["330502", ...]) or say it is city-wide '
                f'("districts": ["{CITY_WIDE}"]); an officer without districts is not taken to be city-wide')
        raise jwt.InvalidTokenError("the districts claim must be a list of district codes")
    if CITY_WIDE in claim:
        if claim != [CITY_WIDE]:
            raise jwt.InvalidTokenError(f'"{CITY_WIDE}" in the districts claim must stand alone')
        return (), role == Role.OFFICER
    if not claim and role == Role.OFFICER:
        raise jwt.InvalidTokenError(
            f'an officer token lists no district; a city-wide officer says so with "districts": ["{CITY_WIDE}"]')
    return tuple(claim), False


class SigningKeysUnavailable(Exception):
    """The identity provider's keys could not be fetched: the caller is not at fault (503, not 401)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("the identity provider's signing keys are unavailable; try again shortly")
        self.retry_after = retry_after


class SigningKeys:
    """The identity provider's signing keys (its JWKS), by key id.

    Fetched with an async HTTP client, so that a slow identity provider holds up only the requests that need a key
    it has not yet served, never the event loop (PyJWKClient fetches with blocking urllib). The keys are kept for
    ``lifetime`` seconds; a key id not among them causes a refetch at most once per ``refetch_interval`` (a forged
    kid in every request must not turn each request into a fetch), and meanwhile such tokens are refused. One fetch
    at a time: concurrent requests wait for it rather than fetching again. When a refresh fails the keys held are
    kept, so that an identity provider outage does not sign everybody out.
    """

    def __init__(self, url: str, *, lifetime: float, refetch_interval: float, timeout: float) -> None:
        self.url = url
        self.lifetime = lifetime
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -math.inf  # monotonic time of the last successful fetch
        self._attempted_at = -math.inf  # ... and of the last attempt, successful or not
        self._fetching = asyncio.Lock()
        self.fetches = 0  # attempts so far (read by tests and worth a glance when debugging)

    async def key(self, kid: str) -> jwt.PyJWK:
        now = time.monotonic()
        known = self._keys.get(kid)
        if known is not None and (now - self._fetched_at < self.lifetime or self._fetching.locked()):
            return known  # fresh, or stale while a refresh is under way: no need to wait for it
        async with self._fetching:
            # Whoever held the lock may have fetched what this request needs.
            now = time.monotonic()
            if kid not in self._keys or now - self._fetched_at >= self.lifetime:
                if now - self._attempted_at >= self.refetch_interval:
                    await self._fetch()
        if (found := self._keys.get(kid)) is not None:
            return found
        if not self._keys:
            raise SigningKeysUnavailable(self._attempted_at + self.refetch_interval - time.monotonic())
        raise jwt.InvalidTokenError(f"no signing key with kid {kid!r}")

    async def _fetch(self) -> None:
        self._attempted_at = time.monotonic()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.url)
                response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json()).keys
        # Whatever the provider answered (an outage, a proxy's error page, a malformed set), the keys held stay:
        # a bad answer must neither sign everybody out nor turn into a 500 on each request.
        except Exception as exc:  # noqa: BLE001
            log.warning("fetching the signing keys from %s failed: %r", self.url, exc)
            return
        self._keys = {k.key_id: k for k in keys if k.key_id and k.public_key_use in (None, "sig")}
        self._fetched_at = time.monotonic()


class AuthFailures:
    """Bad tokens presented per client address, counted in a window that starts at the client's first failure.

    After ``limit`` failures the client is answered 429 until its window ends. Held in process memory: each
    replica counts its own, so a client may try ``limit`` times per replica. At most ``max_clients`` addresses are
    remembered (the least recently failing are forgotten first), so that a flood of addresses cannot exhaust memory.
    """

    def __init__(self, limit: int, window: float, max_clients: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clients: OrderedDict[str, tuple[float, int]] = OrderedDict()  # address -> (window start, failures)

    def __len__(self) -> int:
        """How many addresses are remembered."""
        return len(self._clients)

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may present a token again; None when it may now."""
        entry = self._clients.get(client)
        if entry is None:
            return None
        started, failures = entry
        left = started + self.window - time.monotonic()
        if left <= 0:
            del self._clients[client]
            return None
        return left if failures >= self.limit else None

    def add(self, client: str) -> None:
        now = time.monotonic()
        started, failures = self._clients.pop(client, (now, 0))
        if now - started >= self.window:
            started, failures = now, 0
        self._clients[client] = (started, failures + 1)
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)


class TokenVerifier:
    # Apps and other systems send the same token with every request until it expires: verifying its signature
    # once and remembering the result (until its own expiry) takes a good share of the CPU off hot reads.
    CACHE_SIZE = 4096

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.signing_keys = (
            SigningKeys(settings.jwt_jwks_url, lifetime=settings.jwt_jwks_lifetime_seconds,
                        refetch_interval=settings.jwt_jwks_refetch_seconds, timeout=settings.jwt_jwks_timeout_seconds)
            if settings.jwt_algorithm == "RS256" else None
        )
        self.failures = AuthFailures(settings.auth_failure_limit, settings.auth_failure_window_seconds)
        self._verified: dict[str, tuple[Principal, float]] = {}

    def remembered(self, token: str) -> Principal | None:
        """The principal of a token verified before and not yet expired; None otherwise."""
        cached = self._verified.get(token)
        if cached is None:
            return None
        principal, expires_at = cached
        if time.time() < expires_at:
            return principal
        del self._verified[token]
        return None

    async def verify(self, token: str) -> Principal:
        """The token's principal; raises :class:`jwt.PyJWTError` for a token to refuse (401), and
        :class:`SigningKeysUnavailable` when its signature cannot be checked for now (503)."""
        if (principal := self.remembered(token)) is not None:
            return principal
        principal = await self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # the oldest entry
        self._verified[token] = (principal, float(principal.claims["exp"]))
        return principal

    async def _verify(self, token: str) -> Principal:
        key: Any
        if self.signing_keys is not None:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str) or not kid:
                raise jwt.InvalidTokenError("the token names no signing key (kid)")
            key = (await self.signing_keys.key(kid)).key
        else:
            key = self.settings.jwt_secret.get_secret_value()
        claims = jwt.decode(
            token,
            key,
            algorithms=[self.settings.jwt_algorithm],
            audience=self.settings.jwt_audience,
            issuer=self.settings.jwt_issuer,
            options={"require": ["exp", "sub", "role"]},
        )
        try:
            role = Role(claims["role"])
        except ValueError as exc:
            raise jwt.InvalidTokenError(f"unknown role {claims['role']!r}") from exc
        districts, city_wide = _district_scope(role, claims.get("districts"))
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            uscc=claims.get("uscc"),
            districts=districts,
            city_wide=city_wide,
            platform_ids=tuple(claims.get("platform_ids") or ()),
            institute_id=claims.get("institute_id"),
            claims=claims,
        )


# The bearer scheme every dependency that authenticates reads (it also gives OpenAPI its security scheme).
bearer_scheme = HTTPBearer(auto_error=False)


def _unauthenticated(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    # A request without a token is refused without counting it: it costs nothing to refuse and guesses nothing.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthenticated("A bearer token is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    token = credentials.credentials
    # A token verified before passes even while its address is held back: the address may be a proxy or NAT that
    # other callers share, and such a token costs no verification.
    if (principal := verifier.remembered(token)) is not None:
        return principal
    # The address as the server saw it (uvicorn takes it from X-Forwarded-For only from trusted proxies).
    client = request.client.host if request.client else "unknown"
    if (wait := verifier.failures.retry_after(client)) is not None:
        raise HTTPException(429, f"Too many requests with invalid tokens from this address; retry after "
                                 f"{math.ceil(wait)} s", headers=_retry_after(wait))
    try:
        return await verifier.verify(token)
    except SigningKeysUnavailable as exc:
        raise HTTPException(503, str(exc), headers=_retry_after(exc.retry_after)) from exc
    except jwt.PyJWTError as exc:
        verifier.failures.add(client)
        raise _unauthenticated(f"Invalid token: {exc}") from exc


def admit(principal: Principal, admitted: frozenset[Role]) -> Principal:
    if principal.role not in admitted:
        raise HTTPException(403, f"Role {principal.role.value!r} may not use this route; admitted: "
                            + ", ".join(sorted(r.value for r in admitted)))
    return principal


# The dependency below does all its work in one function over the bearer scheme (which also gives the OpenAPI
# document its security scheme): FastAPI resolves every nested dependency on every request, so chaining
# would cost the hot routes a noticeable share of their time.

@dataclass(frozen=True)
class Actor:
    """Who acts, and from which request: use cases record both with every change (DESIGN §6, audit)."""

    principal: Principal
    request_id: str | None


def require_actor(*roles: Role) -> Any:
    """A dependency admitting only ``roles`` and yielding the :class:`Actor` a use case takes; use as
    ``Annotated[Actor, require_actor(Role.OFFICER, ...)]``."""
    admitted = frozenset(roles)

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
    ) -> Actor:
        return Actor(admit(await authenticate(request, credentials), admitted), request_id_var.get())

    # Read by the test that holds every route to declaring its roles.
    dependency.admitted_roles = admitted  # type: ignore[attr-defined]
    return Depends(dependency)


def issue_token(
    *,
    secret: str,
    role: Role | str,
    subject: str | None = None,
    uscc: str | None = None,
    districts: list[str] | None = None,
    city_wide: bool = False,
    platform_ids: list[str] | None = None,
    institute_id: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    audience: str = "seedbed",
    issuer: str = "seedbed",
) -> str:
    """A signed HS256 token, for local use and tests (production tokens come from the identity provider).

    An officer's token names its ``districts``, or is ``city_wide`` (``"districts": ["*"]``); the services refuse
    an officer token with neither, so none is made."""
    role = Role(role)
    if city_wide and districts:
        raise ValueError("a token is city-wide or lists districts, not both")
    if role == Role.OFFICER and not (city_wide or districts):
        raise ValueError("an officer token needs districts, or city_wide=True for a city-wide officer")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject or f"local-{role.value}",
        "role": role.value,
        "iat": now,
        "exp": now + ttl,
        "aud": audience,
        "iss": issuer,
    }
    if uscc:
        claims["uscc"] = uscc
    if districts or city_wide:
        claims["districts"] = [CITY_WIDE] if city_wide else districts
    if platform_ids:
        claims["platform_ids"] = platform_ids
    if institute_id:
        claims["institute_id"] = institute_id
    return jwt.encode(claims, secret, algorithm="HS256")


def main(argv: list[str] | None = None) -> int:
    """``make token ROLE=officer DISTRICT=330502`` (or ``CITY=1``) prints a local token signed with the local
    secret."""
    parser = argparse.ArgumentParser(prog="seedbed token", description="Print a local development token")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--subject")
    parser.add_argument("--uscc")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--district", action="append", default=[], help="an officer's district; repeat for several")
    scope.add_argument("--city", action="store_true",
                       help=f'a city-wide officer (the token says "districts": ["{CITY_WIDE}"])')
    parser.add_argument("--platform", action="append", default=[])
    parser.add_argument("--institute")
    parser.add_argument("--secret", default=LOCAL_JWT_SECRET)
    args = parser.parse_args(argv)
    districts = [d for d in args.district if d]
    if args.role == Role.OFFICER and not (districts or args.city):
        parser.error("an officer token needs --district CODE (repeatable) or --city for a city-wide officer")
    if args.city and args.role != Role.OFFICER:
        parser.error("--city is for officer tokens")
    print(
        issue_token(
            secret=args.secret,
            role=args.role,
            subject=args.subject,
            uscc=args.uscc or None,
            districts=districts,
            city_wide=args.city,
            platform_ids=[p for p in args.platform if p],
            institute_id=args.institute or None,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --- public reads ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Visitor:
    """Whoever calls a public route: nobody in particular. Public routes only read, so no change is ever made, or
    audited, in a visitor's name; the request id is there for the logs."""

    request_id: str | None


def public_access() -> Any:
    """The dependency of a public read, in place of :func:`require_actor`: a GET under ``/v1/public/`` that answers
    without a token what is published, with personal data masked. ``build_service_app`` refuses a public route
    elsewhere or with another method, and a route under ``/v1/public/`` without this (:func:`check_public_routes`).

    Use as ``Annotated[Visitor, public_access()]``."""

    async def dependency() -> Visitor:
        return Visitor(request_id_var.get())

    # Read by check_public_routes and by the tests that hold every route to its declaration.
    dependency.public = True  # type: ignore[attr-defined]
    return Depends(dependency)


def _declarations(dependant: Any) -> Any:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _declarations(dependency)


def check_public_routes(routes: Any) -> None:
    """Refuses (at build time) a public route that could take a body or change something, a public route outside
    ``/v1/public/``, a route there that is not declared public, and one declared both public and for roles."""
    from fastapi.routing import APIRoute

    wrong = []
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        calls = list(_declarations(route.dependant))
        public = any(getattr(call, "public", False) for call in calls)
        under = route.path.startswith(PUBLIC_PREFIX)
        if public and not under:
            wrong.append(f"{route.path}: public_access() outside {PUBLIC_PREFIX}")
        if under and not public:
            wrong.append(f"{route.path}: under {PUBLIC_PREFIX} without public_access()")
        if under and not route.methods <= PUBLIC_METHODS:
            wrong.append(f"{route.path}: {sorted(route.methods)} under {PUBLIC_PREFIX}, which takes reads only")
        if public and any(hasattr(call, "admitted_roles") for call in calls):
            wrong.append(f"{route.path}: both public_access() and require_actor()")
    if wrong:
        raise RuntimeError("public routes declared wrongly: " + "; ".join(wrong))
