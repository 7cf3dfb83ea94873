from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.matching.api import candidates, enterprises, feedback, search
from services.matching.models import bus
from services.matching.service.indexing import followed
from services.matching.settings import Settings
from shared.app import build_service_app


@asynccontextmanager
async def live_index(app: FastAPI) -> AsyncIterator[None]:
    """The process's search index: loaded from the database before the first request, then kept fresh by polling
    it (service/indexing.py; docs/operations.md says why each replica keeps its own)."""
    settings: Settings = app.state.settings
    async with followed(app.state.sessions, every=settings.index_poll_seconds) as live:
        live.engine.remember = settings.remembered_lists
        app.state.live = live
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service_app(
        settings or Settings(),
        title="Seedbed matching",
        description="Read models of enterprises, scenarios, challenges and patents; candidates, opportunities, "
                    "search and feedback on matches.",
        tables=bus,
        routers=[candidates.router, enterprises.router, search.router, feedback.router],
        resources=live_index,
        # The index is ~600k long-lived objects at 100,000 firms: a full collection of them took 415 ms (measured),
        # a pause every request in flight would wait out. Frozen after the load, they are never scanned again.
        freeze_heap=True,
    )
