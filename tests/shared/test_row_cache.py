"""The notified row cache (shared/row_cache.py): the rules in memory, then the trigger and the listener on the real
PostgreSQL server, with a second engine standing in for another API replica."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine
from shared.row_cache import RowCache, create_change_trigger_v1, start_row_cache
from tests.support import pg_url, wait_for

TABLE = "test_row_cache_rows"


# --- the rules, in memory ----------------------------------------------------------------------------------------


def live_cache(max_entries: int = 10) -> RowCache:
    cache = RowCache("t", max_entries)
    cache.set_live(True)
    return cache


def test_a_read_overtaken_by_a_change_is_not_stored() -> None:
    cache = live_cache()
    before = cache.generation
    cache.evict("7")  # a change arrives while the read of row 7 is under way
    cache.put("7", "old row", before)
    assert cache.get("7") is None
    cache.put("7", "new row", cache.generation)
    assert cache.get("7") == "new row"


def test_eviction_by_ids_and_by_star() -> None:
    cache = live_cache()
    for key in ("1", "2", "3"):
        cache.put(key, f"row {key}", cache.generation)
    cache.evict("1,3")
    assert (cache.get("1"), cache.get("2"), cache.get("3")) == (None, "row 2", None)
    cache.evict("*")
    assert len(cache) == 0


def test_bounded_least_recently_used_first() -> None:
    cache = live_cache(max_entries=2)
    cache.put("a", 1, cache.generation)
    cache.put("b", 2, cache.generation)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3, cache.generation)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_not_live_means_bypassed() -> None:
    cache = RowCache("t", 10)
    cache.put("1", "row", cache.generation)
    assert cache.get("1") is None and len(cache) == 0
    live = live_cache()
    live.put("1", "row", live.generation)
    live.set_live(False)  # the listener went away: what it held may be stale
    assert live.get("1") is None and len(live) == 0


# --- with PostgreSQL ---------------------------------------------------------------------------------------------


@pytest.fixture
async def rows(postgres: None) -> AsyncIterator[None]:
    """A scratch table with the change trigger and 200 rows, in the registry's test database."""
    engine = create_engine(pg_url("registry"))
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        await conn.execute(text(f"CREATE TABLE {TABLE} (id int PRIMARY KEY, name text NOT NULL)"))
        for statement in create_change_trigger_v1(TABLE):
            await conn.execute(text(statement))
        await conn.execute(text(f"INSERT INTO {TABLE} SELECT n, 'row ' || n FROM generate_series(1, 200) n"))
    yield
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {TABLE}"))
        await conn.execute(text(f"DROP FUNCTION notify_{TABLE}_changed()"))
    await engine.dispose()


@pytest.fixture
async def cached(rows: None) -> AsyncIterator[tuple[RowCache, AsyncEngine, AsyncEngine]]:
    """A live cache of the scratch table as one API process holds it with its engine, and a second engine (another
    replica)."""
    engine, other = create_engine(pg_url("registry")), create_engine(pg_url("registry"))
    started = await start_row_cache(engine, TABLE, 1000, CollectorRegistry(), int)
    assert started is not None
    cache, listener = started
    await asyncio.wait_for(listener.listening.wait(), 10)
    try:
        yield cache, engine, other
    finally:
        await listener.stop()
        await engine.dispose()
        await other.dispose()


async def eventually(condition: Callable[[], bool], timeout: float) -> None:
    async def check() -> bool:
        return condition()

    await wait_for(check, timeout=timeout, interval=0.02)


def fill(cache: RowCache, keys: range) -> None:
    for key in keys:
        cache.put(key, f"row {key}", cache.generation)


async def run(engine: AsyncEngine, sql: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(sql))


async def test_another_replicas_commits_evict_exactly_their_rows(cached) -> None:  # type: ignore[no-untyped-def]
    cache, _, other = cached
    fill(cache, range(1, 11))
    await run(other, f"UPDATE {TABLE} SET name = 'renamed' WHERE id IN (2, 3)")
    await eventually(lambda: cache.get(2) is None and cache.get(3) is None, timeout=5)
    assert [cache.get(k) for k in (1, 4, 10)] == ["row 1", "row 4", "row 10"]
    await run(other, f"DELETE FROM {TABLE} WHERE id = 4")
    await eventually(lambda: cache.get(4) is None, timeout=5)
    assert cache.get(5) == "row 5"


async def test_a_rolled_back_change_evicts_nothing(cached) -> None:  # type: ignore[no-untyped-def]
    cache, _, other = cached
    fill(cache, range(1, 4))
    async with other.connect() as conn:
        await conn.execute(text(f"UPDATE {TABLE} SET name = 'never' WHERE id = 1"))
        await conn.rollback()
    await run(other, f"UPDATE {TABLE} SET name = 'renamed' WHERE id = 3")  # a later change, to know we heard
    await eventually(lambda: cache.get(3) is None, timeout=5)
    assert cache.get(1) == "row 1"


async def test_bulk_changes_and_truncate_flush_everything(cached) -> None:  # type: ignore[no-untyped-def]
    cache, _, other = cached
    fill(cache, range(150, 161))
    await run(other, f"UPDATE {TABLE} SET name = name || '!' WHERE id <= 101")  # more ids than a notification holds
    await eventually(lambda: len(cache) == 0, timeout=5)
    fill(cache, range(1, 5))
    await run(other, f"TRUNCATE {TABLE}")
    await eventually(lambda: len(cache) == 0, timeout=5)


async def test_this_process_evicts_its_own_writes_without_the_notification(cached) -> None:  # type: ignore[no-untyped-def]
    cache, engine, other = cached
    # Without the trigger only the local eviction can act.
    await run(other, f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    fill(cache, range(1, 4))
    await run(other, f"UPDATE {TABLE} SET name = 'theirs' WHERE id = 2")
    await run(engine, f"UPDATE {TABLE} SET name = 'mine' WHERE id = 1")
    # Evicted when the writing connection went back to the pool, after its COMMIT: before run() returned.
    assert len(cache) == 0
    await asyncio.sleep(0.2)
    fill(cache, range(1, 4))
    await run(other, f"UPDATE {TABLE} SET name = 'theirs again' WHERE id = 2")
    await asyncio.sleep(0.2)
    assert cache.get(2) == "row 2"  # unheard: the trigger is what tells other processes


async def test_losing_the_listener_bypasses_the_cache_until_it_listens_again(cached) -> None:  # type: ignore[no-untyped-def]
    cache, _, other = cached
    fill(cache, range(1, 4))
    await run(other, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{cache.channel}'"
                     " AND datname = current_database()")
    await eventually(lambda: not cache.live, timeout=5)
    assert cache.get(1) is None and len(cache) == 0
    # Nothing is stored while not listening: a change now would go unheard.
    cache.put(1, "row 1", cache.generation)
    assert len(cache) == 0
    await eventually(lambda: cache.live, timeout=10)
    fill(cache, range(1, 2))
    await run(other, f"UPDATE {TABLE} SET name = 'renamed' WHERE id = 1")
    await eventually(lambda: cache.get(1) is None, timeout=5)
