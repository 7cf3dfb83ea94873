"""Each process's search index, kept from matching's own database (not from Kafka).

Why from the database: the worker's consumers already turn the topics into rows idempotently (inbox, versions,
dead letters); an index fed from those rows is exactly what every replica would rebuild, needs no Kafka client
per API replica, and catches up after a restart from the rows alone. Freshness costs one poll interval: every
:data:`POLL_SECONDS` an API process reads the rows changed since its last look (an index on ``updated_at`` makes
that a short range scan) and applies them; docs/operations.md has the measured figures.

The poll also re-reads the rows stamped in the last :data:`OVERLAP` of wall-clock time: a transaction stamps
``updated_at`` when it flushes, a little before it commits, so a row may become visible with a stamp older than the
newest one already seen. A row whose stamp the index already holds is skipped. (Stamps come from the writing
process's clock: clocks of the worker's and the API's hosts must agree within the overlap, as NTP keeps them.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching import semantic
from services.matching.domain.feedback import FeedbackBook, Mark, Relation
from services.matching.index import KIND_CHALLENGE, KIND_PATENT, KIND_SCENARIO, Collection, Engine, put_demand, put_firm
from services.matching.models import (
    ChallengeRecord,
    EnterpriseProfile,
    MatchFeedback,
    PatentRecord,
    ScenarioRecord,
    TextEmbedding,
)
from shared.db import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
OVERLAP = timedelta(seconds=5)
# Rows read per round trip when loading or catching up.
CHUNK = 5_000

OPEN_SCENARIO = OPEN_CHALLENGE = "published"
# The marker under which a challenge's appointed teams count as deals (the programme's own outcome).
APPOINTMENT_MARKER = "appointment"
# The marker under which a closed scenario's supplier counts as a deal, when the trial succeeded (scenarios'
# ScenarioOutcome: rolled out, or validated). A failed pilot counts nothing either way: the firm was chosen, and
# why the trial failed is not said.
OUTCOME_MARKER = "outcome"
SUCCESSFUL_OUTCOMES = frozenset({"scaled_up", "validated"})

FIRM_FIELDS = ("enterprise_id", "uscc", "name", "short_name", "district_code", "functional_zone", "industry_code",
               "sector", "cluster", "main_products", "product_tags", "technical_capabilities", "capability_tags", "size_class", "pool",
               "held_tiers", "updated_at")


# The watermark of a table read while it was empty: every row it will ever hold is newer.
NOTHING_YET = datetime(1970, 1, 1, tzinfo=UTC)
# What the index follows, by the name of its watermark.
TABLES: dict[str, Any] = {"embeddings": TextEmbedding, "firms": EnterpriseProfile, "scenarios": ScenarioRecord, "challenges": ChallengeRecord,
                          "patents": PatentRecord, "feedback": MatchFeedback}


def demand_key(kind: str, demand_id: Any) -> str:
    return f"{kind}:{demand_id}"


def firm_of(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIRM_FIELDS}


def scenario_demand(row: Any) -> dict[str, Any]:
    """A scenario (a row or an event payload) as a demand of the formula."""
    return {"id": row.scenario_id, "title": row.title, "description": row.description, "sector": row.sector,
            "cluster": row.cluster, "industry_chain": row.industry_chain, "capability_tags": row.capability_tags,
            "district_code": row.district_code, "publisher_uscc": row.publisher_uscc}


def challenge_demand(row: Any, *, issuer_uscc: str | None, indicators: list[dict[str, Any]]) -> dict[str, Any]:
    """A challenge (a row or an event payload) as a demand: the problem is its background and its indicators."""
    wording = "；".join(f"{i.get('name', '')}{i.get('target', '')}{i.get('unit', '')}" for i in indicators)
    return {"id": row.challenge_id, "title": row.title, "description": f"{row.background}\n{wording}",
            "sector": row.sector, "cluster": row.cluster, "industry_chain": row.industry_chain,
            "capability_tags": row.capability_tags, "district_code": row.district_code, "publisher_uscc": issuer_uscc}


def patent_demand(row: PatentRecord) -> dict[str, Any]:
    """A patent offered for licensing, as what a firm would take it up for: its title and abstract."""
    return {"id": row.patent_id, "title": row.title, "description": row.abstract, "capability_tags": []}


class LiveIndex:
    """An :class:`~services.matching.index.Engine` and the watermarks of the rows it reflects."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or Engine()
        self.book = FeedbackBook()
        self.engine.feedback = self.book.signal
        self.feedback_stamps: dict[Any, datetime] = {}
        self.watermarks: dict[str, datetime | None] = {name: None for name in TABLES}
        # The stored vectors by text key (semantic.text_key), and the entries whose text has none yet (the worker
        # embeds a text a moment after its row lands): (collection name, entry key) by the text key awaited.
        self.vectors: dict[str, np.ndarray] = {}
        self.awaited: dict[str, set[tuple[str, str]]] = {}
        self.search_semantic = True  # settings.search_semantic: whether free-text search embeds its query
        self.last_caught_up = 0.0
        self.lock = asyncio.Lock()

    async def catch_up(self, session: AsyncSession) -> int:
        """Apply every row changed since the last call (everything, the first time); the number applied.

        One round trip first asks which tables have rows to look at (an index range probe each); only those are
        read. Reading all five every poll cost ~6 ms of the event loop ten times a second even when nothing had
        changed (measured at 100,000 firms), time every request in flight waited out."""
        async with self.lock:
            due = await self._due(session)
            # Vectors first: a row read in the same round finds its text's vector.
            readers = {"embeddings": self._embeddings, "firms": self._firms, "scenarios": self._scenarios, "challenges": self._challenges,
                       "patents": self._patents, "feedback": self._feedback}
            applied = 0
            for name, read in readers.items():
                if name in due:
                    applied += await read(session)
                    # An empty table, once read, is probed like the others (not read whole on every poll).
                    self.watermarks[name] = self.watermarks[name] or NOTHING_YET
            if applied:
                # Each applied row has forgotten the remembered lists it can alter (index.Engine).
                await self.engine.refresh_off_loop()
            self.last_caught_up = time.monotonic()
            return applied

    def _cutoff(self, name: str) -> datetime | None:
        """The stamp after which a table's rows are still to be looked at (None: all of them, the first time)."""
        since = self.watermarks[name]
        # Newer than anything seen, and anything stamped in the last OVERLAP (a transaction that stamped its rows
        # before a newer one but committed after it). Not "since − OVERLAP": after a quiet spell that would re-read
        # the last burst of changes (a bulk import: all of it) on every poll, forever.
        return None if since is None else min(since, utcnow() - OVERLAP)

    async def _due(self, session: AsyncSession) -> set[str]:
        """The tables with rows after their cutoff, from one statement of each table's newest stamp: an index's
        end, and no parameter (``updated_at > $1`` as a prepared statement turns to PostgreSQL's generic plan after
        five runs, a sequential scan: measured 30 ms a poll at 100,000 firms)."""
        newest = (await session.execute(select(*(
            select(func.max(model.updated_at)).scalar_subquery().label(name) for name, model in TABLES.items())))).one()
        due = set()
        for name in TABLES:
            cutoff, stamp = self._cutoff(name), newest._mapping[name]
            if cutoff is None or (stamp is not None and stamp > cutoff):
                due.add(name)
        return due

    async def _changed(self, session: AsyncSession, model: Any, name: str, columns: Any = None) -> AsyncIterator[Any]:
        query = select(*(columns or (model,))).order_by(model.updated_at)
        cutoff = self._cutoff(name)
        if cutoff is not None:
            query = query.where(model.updated_at > cutoff)
        result = await session.stream(query.execution_options(yield_per=CHUNK))
        # A chunk at a time: an async step per row cost ~60 µs (measured: 6.4 s for 100,000 vectors).
        async for chunk in result.partitions(CHUNK):
            for row in chunk:
                item = row if columns else row[0]
                stamp = item.updated_at
                if self.watermarks[name] is None or stamp > self.watermarks[name]:  # type: ignore[operator]
                    self.watermarks[name] = stamp
                yield item

    @property
    def semantic(self) -> bool:
        """Whether vectors are stored at all (the worker embeds; an installation with the signal off has none)."""
        return bool(self.vectors)

    def vector_of(self, role: str, text: str) -> np.ndarray | None:
        return self.vectors.get(semantic.text_key(role, text))

    def _vector(self, collection: str, key: str, role: str, text: str) -> tuple[np.ndarray | None, str]:
        """The stored vector of an entry's text (None, and the entry awaits it, if the worker has not stored it)."""
        text_key = semantic.text_key(role, text)
        vector = self.vectors.get(text_key)
        if vector is None:
            self.awaited.setdefault(text_key, set()).add((collection, key))
        return vector, text_key

    async def _embeddings(self, session: AsyncSession) -> int:
        """New vectors: kept, and given to the entries that await them (their lists are ranked again)."""
        applied = 0
        columns = (TextEmbedding.text_key, TextEmbedding.vector, TextEmbedding.updated_at)
        async for row in self._changed(session, TextEmbedding, "embeddings", columns):
            vector = semantic.from_bytes(row.vector)
            if vector is None or row.text_key in self.vectors:
                continue
            self.vectors[row.text_key] = vector
            for name, key in self.awaited.pop(row.text_key, ()):
                collection: Collection = getattr(self.engine, name)
                applied += collection.give_vector(key, row.text_key, vector)
        return applied

    async def _firms(self, session: AsyncSession) -> int:
        applied = 0
        columns = [getattr(EnterpriseProfile, n) for n in FIRM_FIELDS]
        async for row in self._changed(session, EnterpriseProfile, "firms", columns):
            if self.engine.firms.stamp(row.uscc) != row.updated_at:
                firm = firm_of(row)
                vector, text_key = self._vector("firms", row.uscc, semantic.PASSAGE, semantic.firm_text(firm))
                put_firm(self.engine, firm, stamp=row.updated_at, vector=vector, text_key=text_key)
                applied += 1
        return applied

    def _put_or_drop(self, kind: str, row_id: Any, stamp: datetime, open_: bool, demand: Any,
                     info: dict[str, Any]) -> int:
        key = demand_key(kind, row_id)
        if not open_:
            if self.engine.demands.get(key) is None:
                return 0
            self.engine.demands.remove(key)
            return 1
        if self.engine.demands.stamp(key) == stamp:
            return 0
        fields = demand()
        vector, text_key = self._vector("demands", key, semantic.QUERY, semantic.demand_text(fields))
        put_demand(self.engine, kind, fields, stamp=stamp, info=info, vector=vector, text_key=text_key)
        return 1

    def _mark(self, demand: str, firm: str, marker: str, relation: Relation, mark: Mark) -> int:
        """A mark put in the feedback book; 1 if it is new (the lists its firm's new scores alter are forgotten)."""
        if self.book.marks.get((demand, firm), {}).get(marker) == (relation, mark):
            return 0
        self.book.put(demand, firm, marker, relation, mark)
        self.engine.rescored(firm)
        return 1

    def _deal(self, demand: str, firm: str, marker: str) -> int:
        """A programme outcome counted like an officer's deal; 1 if it is new."""
        return self._mark(demand, firm, marker, Relation.OFFICER, Mark.DEAL)

    async def _scenarios(self, session: AsyncSession) -> int:
        applied = 0
        async for row in self._changed(session, ScenarioRecord, "scenarios"):
            if row.supplier_uscc and row.outcome in SUCCESSFUL_OUTCOMES:
                applied += self._deal(demand_key(KIND_SCENARIO, row.scenario_id), row.supplier_uscc, OUTCOME_MARKER)
            applied += self._put_or_drop(KIND_SCENARIO, row.scenario_id, row.updated_at, row.status == OPEN_SCENARIO,
                                         lambda r=row: scenario_demand(r),
                                         {"district_code": row.district_code, "publisher_uscc": row.publisher_uscc})
        return applied

    async def _challenges(self, session: AsyncSession) -> int:
        applied = 0
        async for row in self._changed(session, ChallengeRecord, "challenges"):
            key = demand_key(KIND_CHALLENGE, row.challenge_id)
            for uscc in row.appointed_usccs or ():
                # Appointed (挂帅): the strongest outcome a match can have, counted like an officer's deal.
                applied += self._deal(key, uscc, APPOINTMENT_MARKER)
            applied += self._put_or_drop(
                KIND_CHALLENGE, row.challenge_id, row.updated_at, row.status == OPEN_CHALLENGE,
                lambda r=row: challenge_demand(r, issuer_uscc=r.issuer_uscc, indicators=r.indicators),
                {"district_code": row.district_code, "publisher_uscc": row.issuer_uscc,
                 "eligibility": row.eligibility})  # the candidates route filters by it without a row read
        return applied

    async def _patents(self, session: AsyncSession) -> int:
        applied = 0
        async for row in self._changed(session, PatentRecord, "patents"):
            applied += self._put_or_drop(KIND_PATENT, row.patent_id, row.updated_at, row.listed or row.open_licence,
                                         lambda r=row: patent_demand(r),
                                         {"holder_name": row.holder_name, "open_licence": row.open_licence})
        return applied

    async def _feedback(self, session: AsyncSession) -> int:
        applied = 0
        async for row in self._changed(session, MatchFeedback, "feedback"):
            if self.feedback_stamps.get(row.id) == row.updated_at:
                continue
            self.feedback_stamps[row.id] = row.updated_at
            applied += self._mark(demand_key(row.demand_kind, row.demand_id), row.uscc, row.marker,
                                  Relation(row.relation), Mark(row.mark))
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
    until the block ends; an index made here is closed then (its writer threads stop)."""
    owned = live is None
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
        if owned:
            live.engine.close()
