"""Each process's search index, kept from matching's own database (not from Kafka).

Why from the database: the worker's consumers already turn the topics into rows idempotently (inbox, versions,
dead letters); an index fed from those rows is exactly what every replica would rebuild, needs no Kafka client
per API replica, and catches up after a restart from the rows alone. Freshness costs one poll interval: every
:data:`POLL_SECONDS` an API process reads the rows changed since its last look (an index on ``updated_at`` makes
that a short range scan) and applies them; docs/operations.md has the measured figures.

The poll re-reads the last :data:`OVERLAP` of changes: a transaction stamps ``updated_at`` when it flushes, a
little before it commits, so a row may become visible with a stamp older than the newest one already seen. A row
whose stamp the index already holds is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching.domain.feedback import FeedbackBook, Mark, Relation
from services.matching.index import KIND_SCENARIO, Engine, put_demand, put_firm
from services.matching.models import EnterpriseProfile, MatchFeedback, ScenarioRecord

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
OVERLAP = timedelta(seconds=5)
# Rows read per round trip when loading or catching up.
CHUNK = 5_000

OPEN_SCENARIO = "published"

FIRM_FIELDS = ("enterprise_id", "uscc", "name", "short_name", "district_code", "industry_code", "sector", "cluster",
               "main_products", "product_tags", "technical_capabilities", "capability_tags", "size_class", "pool",
               "held_tiers", "updated_at")


def demand_key(kind: str, demand_id: Any) -> str:
    return f"{kind}:{demand_id}"


def firm_of(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIRM_FIELDS}


def scenario_demand(row: ScenarioRecord) -> dict[str, Any]:
    return {"id": row.scenario_id, "title": row.title, "description": row.description, "sector": row.sector,
            "cluster": row.cluster, "industry_chain": row.industry_chain, "capability_tags": row.capability_tags,
            "district_code": row.district_code, "publisher_uscc": row.publisher_uscc}


class LiveIndex:
    """An :class:`~services.matching.index.Engine` and the watermarks of the rows it reflects."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or Engine()
        self.book = FeedbackBook()
        self.engine.feedback = self.book.signal
        self.feedback_stamps: dict[Any, datetime] = {}
        self.watermarks: dict[str, datetime | None] = {"firms": None, "scenarios": None, "feedback": None}
        self.last_caught_up = 0.0
        self.lock = asyncio.Lock()

    async def catch_up(self, session: AsyncSession) -> int:
        """Apply every row changed since the last call (everything, the first time); the number applied."""
        async with self.lock:
            applied = await self._firms(session) + await self._scenarios(session) + await self._feedback(session)
            if applied:
                self.engine.refresh()
            self.last_caught_up = time.monotonic()
            return applied

    async def _changed(self, session: AsyncSession, model: Any, name: str, columns: Any = None) -> AsyncIterator[Any]:
        since = self.watermarks[name]
        query = select(*(columns or (model,))).order_by(model.updated_at)
        if since is not None:
            query = query.where(model.updated_at >= since - OVERLAP)
        result = await session.stream(query.execution_options(yield_per=CHUNK))
        async for row in result:
            item = row if columns else row[0]
            stamp = item.updated_at
            if self.watermarks[name] is None or stamp > self.watermarks[name]:  # type: ignore[operator]
                self.watermarks[name] = stamp
            yield item

    async def _firms(self, session: AsyncSession) -> int:
        applied = 0
        columns = [getattr(EnterpriseProfile, n) for n in FIRM_FIELDS]
        async for row in self._changed(session, EnterpriseProfile, "firms", columns):
            if self.engine.firms.stamp(row.uscc) != row.updated_at:
                put_firm(self.engine, firm_of(row), stamp=row.updated_at)
                applied += 1
        return applied

    async def _scenarios(self, session: AsyncSession) -> int:
        applied = 0
        async for row in self._changed(session, ScenarioRecord, "scenarios"):
            key = demand_key(KIND_SCENARIO, row.scenario_id)
            if row.status != OPEN_SCENARIO:
                if self.engine.demands.get(key) is not None:
                    self.engine.demands.remove(key)
                    applied += 1
                continue
            if self.engine.demands.stamp(key) != row.updated_at:
                put_demand(self.engine, KIND_SCENARIO, scenario_demand(row), stamp=row.updated_at,
                           info={"district_code": row.district_code, "publisher_uscc": row.publisher_uscc})
                applied += 1
        return applied

    async def _feedback(self, session: AsyncSession) -> int:
        applied = 0
        async for row in self._changed(session, MatchFeedback, "feedback"):
            if self.feedback_stamps.get(row.id) == row.updated_at:
                continue
            self.feedback_stamps[row.id] = row.updated_at
            self.book.put(demand_key(row.demand_kind, row.demand_id), row.uscc, row.marker, Relation(row.relation),
                          Mark(row.mark))
            applied += 1
        return applied

    async def follow(self, sessions: async_sessionmaker[AsyncSession], stop: asyncio.Event,
                     every: float = POLL_SECONDS) -> None:
        """Catch up every ``every`` seconds until ``stop``; a failed poll is logged and tried again."""
        while not stop.is_set():
            try:
                async with sessions() as session:
                    await self.catch_up(session)
            except Exception:  # noqa: BLE001 - a lost connection must not stop the index for good
                log.exception("matching index: catching up failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


@contextlib.asynccontextmanager
async def followed(sessions: async_sessionmaker[AsyncSession], live: LiveIndex | None = None,
                   every: float = POLL_SECONDS) -> AsyncIterator[LiveIndex]:
    """A live index, loaded before it is yielded (a replica answers only once it holds every row), and followed
    until the block ends."""
    live = live or LiveIndex()
    async with sessions() as session:
        started = time.perf_counter()
        loaded = await live.catch_up(session)
        log.info("matching index: %d rows loaded in %.1f s", loaded, time.perf_counter() - started)
    stop = asyncio.Event()
    task = asyncio.create_task(live.follow(sessions, stop, every), name="matching-index")
    try:
        yield live
    finally:
        stop.set()
        await task
