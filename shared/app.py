"""The one way a service's FastAPI application is assembled, so that all five have the same shape."""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp

from shared.auth import TokenVerifier, check_public_routes
from shared.bus.kafka import kafka_reachable
from shared.bus.tables import BusTables
from shared.db import create_engine, session_factory
from shared.http import (
    MULTIPART_OVERHEAD_BYTES,
    PROBLEM_RESPONSES,
    BodyAllowance,
    BodyLimitMiddleware,
    ControlCharacterGuard,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    install_operational_routes,
    install_problem_handlers,
)
from shared.row_cache import RowCache, start_row_cache
from shared.settings import ServiceSettings
from shared.uow import Work

READINESS_CACHE_SECONDS = 5.0


class ServiceApp(FastAPI):
    """A service's FastAPI app, with its security headers outermost.

    Starlette answers an unexpected error's 500 from its own error middleware, which sits outside every middleware
    added with ``add_middleware``: only layers around the whole stack put the headers, the request id (the one the
    log line and the problem's ``request_id`` quote) and the 500's count in the metrics on that answer too."""

    def build_middleware_stack(self) -> ASGIApp:
        docs = (self.docs_url, self.redoc_url, self.swagger_ui_oauth2_redirect_url)
        counted = RequestContextMiddleware(super().build_middleware_stack(), registry=self.state.metrics,
                                           service=self.state.settings.service_name)
        return SecurityHeadersMiddleware(counted, docs_paths=[p for p in docs if p])


def build_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    tables: BusTables,
    routers: Sequence[APIRouter],
    cached_table: str | None = None,
    freeze_heap: bool = False,
    resources: Callable[[FastAPI], AbstractAsyncContextManager[object]] | None = None,
) -> FastAPI:
    """Build the app; the engine is made in the lifespan (nothing connects at import or build time).

    ``cached_table``: the table whose rows hot routes may serve from a notified row cache (``RowCacheOf``); the
    table needs the change trigger of :func:`shared.row_cache.create_change_trigger_v1`.

    ``freeze_heap``: keep the start-up heap out of full collections (:func:`freeze_startup_heap`), for a service
    whose hot reads were measured to stall on them (the registry). Both are opt-in: measured, not assumed.

    ``resources``: what the service keeps in its process besides the engine (matching's search index), entered
    once the database engine exists and before the app answers, left before the engine is disposed. It receives
    the app and may put what routes need on ``app.state``.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, settings.database_pool_size)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        # The tables' metadata is the service's own: the unit of work reads its unique slots from it.
        app.state.work = Work(app.state.sessions, settings, tables, tables.outbox.metadata)
        # Single-statement reads need no transaction: autocommit spares the BEGIN and ROLLBACK round trips that
        # a session would add to every GET. Same pool as the engine.
        app.state.reads = engine.execution_options(isolation_level="AUTOCOMMIT")
        started = None
        if cached_table is not None:
            started = await start_row_cache(engine, cached_table, settings.read_cache_entries, metrics, uuid.UUID)
        app.state.row_cache, listener = started if started is not None else (None, None)
        try:
            async with AsyncExitStack() as stack:
                if resources is not None:
                    await stack.enter_async_context(resources(app))
                if freeze_heap:
                    freeze_startup_heap()
                yield
        finally:
            if listener is not None:
                await listener.stop()
            await engine.dispose()

    app = ServiceApp(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    app.state.settings = settings
    app.state.tables = tables
    app.state.token_verifier = TokenVerifier(settings)
    metrics = app.state.metrics = CollectorRegistry()
    app.add_middleware(ControlCharacterGuard)  # innermost: its 422s carry a request id and are counted
    # Inside RequestContextMiddleware (ServiceApp puts it around the whole stack), so that their refusals carry a
    # request id and are counted.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes)
    install_problem_handlers(app)

    kafka_state = {"ok": False, "checked_at": 0.0}

    async def readiness() -> dict[str, bool]:
        try:
            async with app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            database = True
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            database = False
        # A metadata round trip per probe would load the broker for nothing; a few seconds' staleness is fine.
        if time.monotonic() - kafka_state["checked_at"] > READINESS_CACHE_SECONDS:
            kafka_state["ok"] = await kafka_reachable(settings.kafka_bootstrap)
            kafka_state["checked_at"] = time.monotonic()
        return {"database": database, "kafka": bool(kafka_state["ok"])}

    install_operational_routes(app, metrics, readiness)
    for router in routers:
        app.include_router(router)
    # A route answering without a token is a read under /v1/public/ and nothing else (shared.auth.public_access).
    check_public_routes(route.original_route for route in iter_route_contexts(app.routes))
    return app


# --- the garbage collector ----------------------------------------------------------------------------------------

_heap = {"frozen_at_startup": False, "freezes": 0}


def freeze_startup_heap() -> None:
    """Everything loaded at start-up (modules, routes, schemas) lives as long as the process: keep it out of the
    collector's full passes, which otherwise stall requests for tens of milliseconds (the tail latency). Requests
    make many short-lived objects: collect the young generation less often too (fewer pauses)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    _heap["frozen_at_startup"] = True


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Keep the heap that exists now out of full collections while a long bulk operation runs (its objects live
    across database round trips, reach the oldest generation and trigger full collections of the whole heap).

    Frozen objects are only skipped, never lost: when the last such operation ends they go back to the collector,
    and a process frozen at start-up is frozen again after one full collection, so the start-up freeze outlives
    the operation."""
    if _heap["freezes"] == 0:
        gc.freeze()
    _heap["freezes"] += 1
    try:
        yield
    finally:
        _heap["freezes"] -= 1
        if _heap["freezes"] == 0:
            gc.unfreeze()
            if _heap["frozen_at_startup"]:
                gc.collect()
                gc.freeze()


# Async on purpose: FastAPI runs a plain-function dependency in a worker thread, a hop per request for nothing.
async def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessions


async def _work(request: Request) -> Work:
    return request.app.state.work


async def _reads(request: Request) -> AsyncEngine:
    return request.app.state.reads


async def _row_cache(request: Request) -> RowCache | None:
    return request.app.state.row_cache


async def _settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


async def _tables(request: Request) -> BusTables:
    return request.app.state.tables


async def _upload_body(request: Request) -> None:
    allowance = BodyAllowance.of(request.scope)
    if allowance is not None:
        allowance.limit = request.app.state.settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES


# Annotated dependency aliases for routers.
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]
# Units of work for use cases that change state (``async with work(actor) as uow``).
WorkOf = Annotated[Work, Depends(_work)]
# For hot single-statement reads (``async with reads.connect() as conn``); use Sessions for anything else.
Reads = Annotated[AsyncEngine, Depends(_reads)]
# The app's notified row cache (``cached_table``); None on SQLite or when turned off.
RowCacheOf = Annotated[RowCache | None, Depends(_row_cache)]
Settings = Annotated[ServiceSettings, Depends(_settings)]
Tables = Annotated[BusTables, Depends(_tables)]
# On a route that takes a file upload (``dependencies=[UploadBody]``) and reads its body itself, after its
# dependencies (authentication first): the body may hold ``max_upload_bytes`` (plus multipart framing) instead of
# ``max_body_bytes`` (shared.http.BodyLimitMiddleware).
UploadBody = Depends(_upload_body)
