"""An in-process cache of hot rows that PostgreSQL keeps true.

Why: the registry's ``GET /v1/enterprises/{id}`` is polled by mobile apps and other systems far more often than
any firm changes. Reading the row, checking it and serialising it on every request costs most of the route's time;
serving the answer made for the same version costs little.

How it stays true, with any number of API replicas and whatever writes the table (our code, a migration, an
operator's SQL):

* A trigger on the table (:func:`create_change_trigger_v1`, added by a migration) sends ``NOTIFY <table>_changed``
  with the ids that a committed statement updated or deleted, or ``*`` for large statements and TRUNCATE.
  PostgreSQL delivers notifications only on commit, so a rolled-back change evicts nothing.
* Every API process holds one dedicated connection that ``LISTEN``\\s and evicts what it is told. The cache is
  *live* only while that connection is: when it drops or stops answering its heartbeat, the cache is emptied and
  bypassed until the connection is back and listening again (changes made meanwhile were not heard).
* A read that a change overtook must not store what it read: readers take the generation before reading and
  :meth:`RowCache.put` stores only if no eviction happened since.
* Writes made by this very process evict locally as well, when the writing connection returns to the pool (after
  its COMMIT), so a client that writes and then reads through the same process always sees its write, without
  waiting for the notification's round trip.

What is left: another replica may answer from its cache for the moment between a commit and the arrival of its
notification (well under a millisecond on one cluster). Callers who must read the database send
``Cache-Control: no-cache``. Writes are not affected: they check If-Match against the row itself.

SQLite (local development, one process) has no NOTIFY: :func:`start_row_cache` returns no cache there.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import is_postgres

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
RECONNECT_SECONDS = 1.0  # doubled after each failure, up to MAX_RECONNECT_SECONDS
MAX_RECONNECT_SECONDS = 30.0
# What create_change_trigger_v1 sends for statements of more than 100 rows and for TRUNCATE: flush everything
# (NOTIFY payloads are limited to 8,000 bytes, and a bulk change makes most of the cache stale anyway).
EVERYTHING = "*"


class RowCache:
    """Rows (or anything made from them) of one table by id, bounded, least recently used evicted first."""

    def __init__(
        self, table: str, max_entries: int, metrics: CollectorRegistry | None = None, key_from_text: Any = str
    ) -> None:
        self.table = table
        # Keys are the ids as the application holds them (a UUID, say); notifications carry their text.
        self.key_from_text = key_from_text
        self.channel = f"{table}_changed"  # as create_change_trigger_v1 names it
        self.max_entries = max_entries
        self.live = False
        # Bumped by every eviction: a read that began under an older generation may have read a stale row.
        self.generation = 0
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        labels = {"table": table}
        registry = metrics if metrics is not None else CollectorRegistry()
        self._hits = Counter("row_cache_hits_total", "Reads answered from the row cache", ["table"],
                             registry=registry).labels(**labels)
        self._misses = Counter("row_cache_misses_total", "Reads that went to the database", ["table"],
                               registry=registry).labels(**labels)
        self._evictions = Counter("row_cache_evictions_total", "Evictions by notification or local write",
                                  ["table", "scope"], registry=registry)
        self._live = Gauge("row_cache_live", "1 while the cache listens for changes (else it is bypassed)",
                           ["table"], registry=registry).labels(**labels)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> Any | None:
        entry = self._entries.get(key) if self.live else None
        if entry is None:
            self._misses.inc()
            return None
        self._entries.move_to_end(key)
        self._hits.inc()
        return entry

    def put(self, key: Any, value: Any, generation: int) -> None:
        """Store ``value`` read under ``generation`` (taken *before* the read), unless something changed since."""
        if not self.live or generation != self.generation:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def evict(self, payload: str) -> None:
        """Apply a notification: comma-separated ids, or ``*`` for everything."""
        self.generation += 1
        if payload == EVERYTHING:
            self._evictions.labels(self.table, "all").inc()
            self._entries.clear()
            return
        ids = payload.split(",")
        self._evictions.labels(self.table, "row").inc(len(ids))
        for text in ids:
            self._entries.pop(self.key_from_text(text), None)

    def evict_all(self) -> None:
        self.evict(EVERYTHING)

    def set_live(self, live: bool) -> None:
        """Whether changes are being heard. Either way the entries go: they may have missed a change."""
        self.evict_all()
        self.live = live
        self._live.set(1 if live else 0)


class ChangeListener:
    """The dedicated LISTEN connection of one process: reconnects, heartbeats, and turns the cache off without it."""

    def __init__(self, cache: RowCache, connect_args: dict[str, Any]) -> None:
        self.cache = cache
        self._connect_args = connect_args
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"listen-{self.cache.channel}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self.cache.set_live(False)

    async def _run(self) -> None:
        delay = RECONNECT_SECONDS
        while True:
            connection = None
            lost = asyncio.Event()
            try:
                connection = await asyncpg.connect(**{"timeout": 2 * HEARTBEAT_SECONDS, **self._connect_args})
                connection.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await connection.add_listener(self.cache.channel, self._notified)
                # Listening from here on: anything cached before this point may have missed a change.
                self.cache.set_live(True)
                self.listening.set()
                delay = RECONNECT_SECONDS
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), HEARTBEAT_SECONDS)
                    except TimeoutError:
                        # A silent network failure raises nothing: ask the server, within the heartbeat.
                        await asyncio.wait_for(connection.fetchval("SELECT 1"), HEARTBEAT_SECONDS)
                log.warning("row cache %s: listener connection lost; bypassing the cache", self.cache.table)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure: bypass the cache and try again
                log.warning("row cache %s: not listening (%s); bypassing the cache", self.cache.table, error)
            finally:
                self.listening.clear()
                self.cache.set_live(False)
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RECONNECT_SECONDS)

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.cache.evict(payload)


def _evict_after_local_writes(engine: AsyncEngine, cache: RowCache) -> None:
    """This process's own writes to the table evict when their connection goes back to the pool (after COMMIT)."""
    sync_engine = engine.sync_engine

    # Any statement that starts by changing the table, whoever built it (ORM flush, Core, text). A change hidden in
    # a CTE is not seen here; the notification still evicts it, a moment later.
    changes_table = re.compile(rf'\s*(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?"?{cache.table}\b',
                               re.IGNORECASE).match

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _mark(conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool) -> None:
        if changes_table(statement):
            conn.info["row_cache_dirty"] = True
            # Reads already under way must not store what they read before this change commits.
            cache.generation += 1

    @event.listens_for(sync_engine, "checkin")
    def _evict(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop("row_cache_dirty", False):
            cache.evict_all()


async def start_row_cache(
    engine: AsyncEngine, table: str, max_entries: int, metrics: CollectorRegistry, key_from_text: Any = str
) -> tuple[RowCache, ChangeListener] | None:
    """A live cache of ``table`` for this process, or None where it cannot be kept true (SQLite) or is turned off.

    One cache per process and metrics registry (the metric names are not per table)."""
    if not is_postgres(engine) or max_entries <= 0:
        return None
    cache = RowCache(table, max_entries, metrics, key_from_text)
    _, connect_args = engine.dialect.create_connect_args(engine.url)
    # The SQLAlchemy adapter's own options, not asyncpg.connect's.
    for option in ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn"):
        connect_args.pop(option, None)
    # Named, so that operators can tell it apart in pg_stat_activity.
    connect_args["server_settings"] = {**connect_args.get("server_settings", {}), "application_name": cache.channel}
    listener = ChangeListener(cache, connect_args)
    _evict_after_local_writes(engine, cache)
    listener.start()
    return cache, listener


def create_change_trigger_v1(table: str, id_column: str = "id") -> list[str]:
    """The SQL (PostgreSQL) a migration runs so that committed changes to ``table`` notify its row caches.

    Migrations run it, so it is frozen like ``create_bus_tables_v1``: its values are written out here rather than
    read from the module's constants, and a different trigger is a new function."""
    function = f"notify_{table}_changed"
    channel = f"{table}_changed"
    return [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            changed text;
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                PERFORM pg_notify('{channel}', '*');
                RETURN NULL;
            END IF;
            SELECT CASE WHEN count(*) > 100 THEN '*' ELSE string_agg({id_column}::text, ',') END
              INTO changed FROM old_rows;
            IF changed IS NOT NULL THEN
                PERFORM pg_notify('{channel}', changed);
            END IF;
            RETURN NULL;
        END
        $$
        """,
        f"CREATE TRIGGER {table}_notify_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_notify_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_notify_truncate AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def drop_change_trigger_v1(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_notify_truncate ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_notify_delete ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_notify_update ON {table}",
        f"DROP FUNCTION IF EXISTS notify_{table}_changed()",
    ]
