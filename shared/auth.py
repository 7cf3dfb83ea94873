"""Authentication and roles (DESIGN §6).

A bearer JWT names the caller and its role, with the scope that role carries: an officer's districts, an
enterprise's USCC, a park operator's platforms, an institute's id. Every route states the roles it admits with
:func:`require_actor`; a missing or bad token is 401, a role not admitted is 403.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.http import request_id_var
from shared.settings import LOCAL_JWT_SECRET, ServiceSettings


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
    districts: tuple[str, ...] = ()
    platform_ids: tuple[str, ...] = ()
    institute_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def can_see_district(self, district_code: str) -> bool:
        """Officers are scoped to districts; an officer with no district listed works for the whole city."""
        if self.role in (Role.ADMIN, Role.SERVICE):
            return True
        if self.role == Role.OFFICER:
            return not self.districts or district_code in self.districts
        return False


class TokenVerifier:
    # Apps and other systems send the same token with every request until it expires: verifying its signature
    # once and remembering the result (until its own expiry) takes a good share of the CPU off hot reads.
    CACHE_SIZE = 4096

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_algorithm == "RS256" else None
        self._verified: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires_at = cached
            if time.time() < expires_at:
                return principal
            del self._verified[token]
        principal = self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # the oldest entry
        self._verified[token] = (principal, float(principal.claims["exp"]))
        return principal

    def _verify(self, token: str) -> Principal:
        key: Any
        if self._jwks is not None:
            key = self._jwks.get_signing_key_from_jwt(token).key
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
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            uscc=claims.get("uscc"),
            districts=tuple(claims.get("districts") or ()),
            platform_ids=tuple(claims.get("platform_ids") or ()),
            institute_id=claims.get("institute_id"),
            claims=claims,
        )


# The bearer scheme every dependency that authenticates reads (it also gives OpenAPI its security scheme).
bearer_scheme = HTTPBearer(auto_error=False)


def _unauthenticated(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthenticated("A bearer token is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return verifier.verify(credentials.credentials)
    except jwt.PyJWTError as exc:
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
        return Actor(admit(authenticate(request, credentials), admitted), request_id_var.get())

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
    platform_ids: list[str] | None = None,
    institute_id: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    audience: str = "seedbed",
    issuer: str = "seedbed",
) -> str:
    """A signed HS256 token, for local use and tests (production tokens come from the identity provider)."""
    role = Role(role)
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
    if districts:
        claims["districts"] = districts
    if platform_ids:
        claims["platform_ids"] = platform_ids
    if institute_id:
        claims["institute_id"] = institute_id
    return jwt.encode(claims, secret, algorithm="HS256")


def main(argv: list[str] | None = None) -> int:
    """``make token ROLE=officer DISTRICT=330502`` prints a local token signed with the local secret."""
    parser = argparse.ArgumentParser(prog="seedbed token", description="Print a local development token")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--subject")
    parser.add_argument("--uscc")
    parser.add_argument("--district", action="append", default=[], help="repeat for several districts")
    parser.add_argument("--platform", action="append", default=[])
    parser.add_argument("--institute")
    parser.add_argument("--secret", default=LOCAL_JWT_SECRET)
    args = parser.parse_args(argv)
    print(
        issue_token(
            secret=args.secret,
            role=args.role,
            subject=args.subject,
            uscc=args.uscc or None,
            districts=[d for d in args.district if d],
            platform_ids=[p for p in args.platform if p],
            institute_id=args.institute or None,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
