"""``Idempotency-Key`` on the POSTs that create an application, move money or grant a licence (DESIGN §6).

A client that retries after a timeout must not pay twice. It sends ``Idempotency-Key: <unique value>``; the first
request with that key runs and its response is stored; a retry gets the stored response again, with
``Idempotent-Replayed: true``, and nothing runs twice (as Stripe does, and draft-ietf-httpapi-idempotency-key-header
describes). The same key with another body is 422; keys expire after a TTL, and are then new again.

The stored response commits in the same transaction as the effect, so that a crash cannot leave one without the
other. The use case therefore writes it, in its own transaction, like an event or an audit entry:

    async with sessions.begin() as session:          # or: async with work(actor) as uow: (uow.session)
        if (earlier := await idempotency.claim(session)) is not None:
            return earlier                              # a retry: the first answer, nothing done again
        ...the effect...
        return await idempotency.respond(session, 201, read_model, headers={"Location": url})

and the route returns ``(await use_case(..., idempotency)).http()``. ``claim`` inserts the key's row first: on
PostgreSQL a concurrent request with the same key waits on the unique key until the first commits, then replays
its response (or, after ``wait``, answers 409); if the first fails, its row rolls back with it and the key is free.
Refusals are not stored: a retry after one runs again.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import String, Table, and_, bindparam, delete, func, null, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import authenticate, bearer_scheme
from shared.bus.tables import BusTables
from shared.db import is_postgres, utcnow
from shared.errors import Conflict, InvalidInput, PreconditionRequired

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# How long a request waits for another one with the same key to finish before answering 409 (PostgreSQL).
DEFAULT_WAIT = timedelta(seconds=5)
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's lock_timeout error

# For the ``responses=`` of a route that takes an Idempotency-Key (the OpenAPI document).
IDEMPOTENCY_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "A request with this Idempotency-Key is still in progress; retry later"},
    422: {"description": "Idempotency-Key malformed, or already used with another request body"},
    428: {"description": "Idempotency-Key is required on this route"},
}


@dataclass(frozen=True)
class IdempotentResponse:
    """A response as it was (or will be) sent for a key: what a retry gets again."""

    status: int
    body: bytes
    headers: Mapping[str, str]
    replayed: bool = False

    def http(self) -> Response:
        headers = dict(self.headers)
        if self.replayed:
            headers[REPLAYED_HEADER] = "true"
        return Response(self.body, status_code=self.status, headers=headers)


@dataclass(frozen=True)
class Idempotency:
    """One request's Idempotency-Key, scoped to its caller and operation; ``key`` None when the caller sent none
    on a route that does not require one (then claim and respond store nothing)."""

    table: Table
    key: str | None
    caller: str  # "<role>:<subject>": one caller cannot replay another's response
    operation: str  # "<METHOD> <path>"
    request_hash: str
    ttl: timedelta
    wait: timedelta = DEFAULT_WAIT

    def _this_key(self) -> Any:
        t = self.table
        return and_(t.c.caller == self.caller, t.c.operation == self.operation, t.c.key == self.key)

    async def claim(self, session: AsyncSession) -> IdempotentResponse | None:
        """The first thing in the use case's transaction. None: this request now holds the key (do the work, then
        :meth:`respond`). A response: the key's earlier answer, to return as it is.

        Raises InvalidInput (422) when the key came before with another body, Conflict (409) when the key's first
        request is still running after ``wait``."""
        if self.key is None:
            return None
        t = self.table
        now = utcnow()
        on_postgres = is_postgres(session)
        values = {"caller": self.caller, "operation": self.operation, "key": self.key,
                  "request_hash": self.request_hash, "created_at": now, "expires_at": now + self.ttl}
        try:
            claimed = await (self._claim_on_postgres(session, values) if on_postgres
                             else self._claim_on_sqlite(session, values))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise _in_progress() from None
            raise
        if claimed:
            return None
        earlier = (await session.execute(
            select(t.c.request_hash, t.c.status, t.c.headers, t.c.body).where(self._this_key()))).one()
        if earlier.request_hash != self.request_hash:
            raise InvalidInput(f"this {IDEMPOTENCY_KEY} was used with another request body; send a new key for a "
                               "new request", field=IDEMPOTENCY_KEY)
        if earlier.status is None:
            raise _in_progress()
        return IdempotentResponse(earlier.status, earlier.body, earlier.headers, replayed=True)

    async def _claim_on_sqlite(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        claim = _claiming(self.table, sqlite.insert(self.table).values(values), values["created_at"])
        return (await session.execute(claim)).first() is not None

    async def _claim_on_postgres(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        statement = _claim_on_postgres(self.table)
        found = await session.execute(statement, {**values, "now": values["created_at"],
                                                  "wait_ms": str(int(self.wait.total_seconds() * 1000))})
        return found.one().key is not None

    async def respond(
        self, session: AsyncSession, status: int, body: Any, *, headers: Mapping[str, str] | None = None
    ) -> IdempotentResponse:
        """The response of this request (``body``: a response model or anything JSON can hold, with the headers a
        retry needs too, such as Location and ETag), stored for the key in the caller's transaction."""
        response = IdempotentResponse(status, orjson.dumps(jsonable_encoder(body)),
                                      {"Content-Type": "application/json", **(headers or {})})
        if self.key is not None:
            stored = await session.execute(_store_response(self.table), {
                "this_caller": self.caller, "this_operation": self.operation, "this_key": self.key,
                "stored_status": response.status, "stored_headers": dict(response.headers),
                "stored_body": response.body})
            if stored.rowcount != 1:  # type: ignore[attr-defined]
                # Without claim() a retry would run the effect again: a bug in the use case, not the caller's fault.
                raise RuntimeError("respond() without claim() in the same transaction")
        return response


@cache
def _claim_on_postgres(table: Table) -> Any:
    """The claim on PostgreSQL, built once per table (building a statement costs more than sending it).

    The insert waits while another transaction holds the same key: that wait is bounded by ``wait``
    (``lock_timeout``), and the use case's own waits afterwards are not. Setting the bound and putting the setting
    back are done inside the one statement (statements of their own would cost two round trips on every keyed
    request): ``prior`` reads the setting in force, ``bounded`` sets the bound, the insert (which selects from
    ``bounded``, so runs after it) waits within it, and the outer select, whose row needs the insert's outcome,
    puts the prior setting back (``is_local``: to the end of the transaction at most, as SET LOCAL)."""
    prior = select(func.current_setting("lock_timeout").label("setting")).cte("prior")
    bounded = select(func.set_config("lock_timeout", bindparam("wait_ms", type_=String()), True).label("setting")
                     ).select_from(prior).cte("bounded")
    rows = select(*(bindparam(name, type_=table.c[name].type).label(name) for name in _CLAIM_COLUMNS)
                  ).select_from(bounded)
    insert = postgresql.insert(table).from_select(list(_CLAIM_COLUMNS), rows)
    claimed = _claiming(table, insert, bindparam("now", type_=table.c.expires_at.type)).cte("claimed")
    return select(claimed.c.key, func.set_config("lock_timeout", prior.c.setting, True)).select_from(
        prior.outerjoin(claimed, true()))


@cache
def _store_response(table: Table) -> Any:
    """The UPDATE that stores a key's response, built once per table (as the claim)."""
    return update(table).where(
        table.c.caller == bindparam("this_caller"), table.c.operation == bindparam("this_operation"),
        table.c.key == bindparam("this_key"),
    ).values(status=bindparam("stored_status"), headers=bindparam("stored_headers"), body=bindparam("stored_body"))


def _claiming(table: Table, insert: Any, now: Any) -> Any:
    """``insert`` (of a key's row) made a claim: an expired key is taken over as if it were new, a live one is left
    as it is (no row returned)."""
    return insert.on_conflict_do_update(
        index_elements=[table.c.caller, table.c.operation, table.c.key],
        set_={"request_hash": insert.excluded.request_hash, "status": null(), "headers": null(), "body": null(),
              "created_at": insert.excluded.created_at, "expires_at": insert.excluded.expires_at},
        where=table.c.expires_at <= now,
    ).returning(table.c.key)


_CLAIM_COLUMNS = ("caller", "operation", "key", "request_hash", "created_at", "expires_at")


def _in_progress() -> Conflict:
    return Conflict(f"a request with this {IDEMPOTENCY_KEY} is in progress; retry it later", field=IDEMPOTENCY_KEY)


async def purge_expired(session: AsyncSession, tables: BusTables, *, now: datetime | None = None) -> int:
    """Delete the keys that have expired (they are ignored already; this only frees the space). Returns how many."""
    t = tables.idempotency_keys
    result = await session.execute(delete(t).where(t.c.expires_at <= (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the FastAPI side ---------------------------------------------------------------------------------------------

def parse_key(value: str) -> str:
    """The key as sent: bare, or as the draft's quoted string; 1-255 characters, no control characters."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > MAX_KEY_LENGTH:
        raise InvalidInput(f"{IDEMPOTENCY_KEY} must have 1 to {MAX_KEY_LENGTH} characters", field=IDEMPOTENCY_KEY)
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput(f"{IDEMPOTENCY_KEY} must not contain control characters", field=IDEMPOTENCY_KEY)
    return value


def request_hash(body: bytes) -> str:
    """The body's fingerprint: JSON compared as canonical JSON (key order and spacing do not matter), anything
    else byte for byte."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def idempotency_key(*, required: bool, wait: timedelta = DEFAULT_WAIT) -> Any:
    """A dependency giving the route's :class:`Idempotency`; without a key it answers 428 when ``required``. Keys
    are kept for the service's ``idempotency_ttl_hours`` setting."""
    description = ("Makes the request safe to retry: a retry with the same key gets the first response again "
                   f"(with {REPLAYED_HEADER}: true). Unique per request, at most {MAX_KEY_LENGTH} characters, kept "
                   "for a day by default." + (" Required: 428 without it." if required else ""))

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        # A default, not Annotated: this module's annotations are strings, and ``description`` is a local.
        key: str | None = Header(None, alias=IDEMPOTENCY_KEY, description=description),
    ) -> Idempotency:
        # Who asks comes first: a caller without a token hears 401, never 428, whatever the route's parameter order.
        principal = await authenticate(request, credentials)
        table = request.app.state.tables.idempotency_keys
        ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
        caller, operation = f"{principal.role.value}:{principal.subject}", f"{request.method} {request.url.path}"
        if key is None:
            if required:
                raise PreconditionRequired(f"{IDEMPOTENCY_KEY} is required on this route: send a new unique value "
                                           "with each request, and the same one when you retry it",
                                           field=IDEMPOTENCY_KEY)
            return Idempotency(table, None, caller, operation, "", ttl, wait)
        return Idempotency(table, parse_key(key), caller, operation, request_hash(await request.body()), ttl, wait)

    return Depends(dependency)


# Annotated aliases for routes (declare them after the actor, so that a role not admitted hears 403 first).
IdempotencyRequired = Annotated[Idempotency, idempotency_key(required=True)]
IdempotencyOptional = Annotated[Idempotency, idempotency_key(required=False)]


def create_idempotency_keys_v1() -> None:
    """The idempotency_keys table as a migration creates it; frozen like create_bus_tables_v1 (a later change is a
    new function and a new revision)."""
    import sqlalchemy as sa
    from alembic import op

    from shared.db import UTCDateTime

    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(length=250), nullable=False),
        sa.Column("operation", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("caller", "operation", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
