from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from services.matching.api import candidates, enterprises, feedback, search
from services.matching.models import bus
from services.matching.service.indexing import LiveIndex, followed
from services.matching.settings import Settings
from shared.app import build_service_app


class RememberedLists:
    """/metrics: how candidate lists of indexed demands were answered (remembered or ranked: the hit rate), how
    many remembered lists changes forgot, and how many are held."""

    def __init__(self, live: LiveIndex) -> None:
        self.live = live

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        engine = self.live.engine
        served = CounterMetricFamily("matching_candidate_lists", "Candidate lists of indexed demands answered",
                                     labels=["how"])
        for how in ("remembered", "ranked"):
            served.add_metric([how], engine.counts[how])
        yield served
        yield CounterMetricFamily("matching_remembered_lists_forgotten", "Remembered lists forgotten by changes",
                                  value=engine.counts["forgotten"])
        yield GaugeMetricFamily("matching_remembered_lists", "Candidate lists remembered", value=len(engine.remembered))


@asynccontextmanager
async def live_index(app: FastAPI) -> AsyncIterator[None]:
    """The process's search index: loaded from the database before the first request, then kept fresh by polling
    it (service/indexing.py; docs/operations.md says why each replica keeps its own)."""
    settings: Settings = app.state.settings
    async with followed(app.state.sessions, every=settings.index_poll_seconds) as live:
        live.engine.remember = settings.remembered_lists
        live.search_semantic = settings.search_semantic
        app.state.live = live
        app.state.metrics.register(RememberedLists(live))
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
