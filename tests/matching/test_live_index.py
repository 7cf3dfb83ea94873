"""Each API process's index follows matching's tables by polling them: an idle poll must cost one statement, not
a read of every table (it runs ten times a second in the event loop that answers requests), and what changes
after a quiet spell, including in a table that was empty, must still arrive."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from services.matching.service import indexing
from services.matching.service.indexing import LiveIndex, demand_key
from shared.db import create_engine, session_factory
from tests.matching.matching_builders import LOOM_FIRM, SIC_FIRM, SIC_SCENARIO, Matching
from tests.support import pg_url, running_app, settings_for


@pytest.fixture
async def followed(matching_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
                   ) -> AsyncIterator[dict[str, Any]]:
    # No overlap: rows stamped a moment ago count as old, so "nothing changed" is what the test says it is.
    monkeypatch.setattr(indexing, "OVERLAP", timedelta(0))
    engine = create_engine(matching_client.database_url)  # type: ignore[attr-defined]
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_args: statements.append(statement))
    m = Matching(matching_client)
    try:
        yield {"m": m, "live": LiveIndex(), "sessions": session_factory(engine), "statements": statements}
    finally:
        await m.close()
        await engine.dispose()


async def poll(world: dict[str, Any]) -> tuple[int, int]:
    """One catch-up: rows applied, statements run."""
    world["statements"].clear()
    async with world["sessions"]() as session:
        applied = await world["live"].catch_up(session)
    return applied, len(world["statements"])


async def test_an_idle_poll_is_one_statement_and_later_changes_still_arrive(followed: dict[str, Any]) -> None:
    m, live = followed["m"], followed["live"]
    sic = await m.firm(1, "330502", **SIC_FIRM)
    applied, _ = await poll(followed)  # the load: every table read, the empty ones included
    assert applied == 1 and live.engine.firms.get(sic["uscc"]) is not None

    assert await poll(followed) == (0, 1), "nothing changed: one statement (each table's newest stamp)"
    assert await poll(followed) == (0, 1)

    loom = await m.firm(2, "330503", **LOOM_FIRM)
    applied, statements = await poll(followed)
    assert applied == 1 and live.engine.firms.get(loom["uscc"]) is not None
    assert statements == 2, "the probe, then the one table that changed"

    # scenarios was empty at the load: a scenario published now still arrives.
    scenario = await m.scenario(publisher_uscc=None, **SIC_SCENARIO)
    applied, _ = await poll(followed)
    assert applied == 1 and live.engine.demands.get(demand_key("scenario", scenario)) is not None
    assert await poll(followed) == (0, 1)


def _index_writer_threads() -> int:
    # tantivy names its writer's threads (segment_updater, merge_thread_N, thrd-tantivy-in…); Linux shows them.
    count = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            count += Path(task, "comm").read_text().strip() == "segment_updater"
        except FileNotFoundError:  # a thread that ended between the listing and the read
            continue
    return count


async def _index_writer_threads_settled(expected: int, seconds: float = 5.0) -> int:
    """The count once it reaches ``expected`` or ``seconds`` pass: a consumed writer's thread ends a moment after
    wait_merging_threads returns, so an instant count can still see the previous app's."""
    deadline = time.monotonic() + seconds
    while (count := _index_writer_threads()) != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return count


async def test_an_app_that_ends_leaves_no_index_writer_threads(postgres: None) -> None:
    # Engines other tests dropped (and their writers) go now, not in the middle of the count: those an app's heap
    # freeze (shared.app) moved out of the collector's reach too, which a later unfreeze would free mid-count.
    gc.unfreeze()
    gc.collect()
    before = _index_writer_threads()
    for _ in range(3):
        async with running_app("matching", settings_for("matching", pg_url("matching"))) as client:
            assert (await client.get("/healthz")).status_code == 200
            # the firms' and the demands' writers
            assert await _index_writer_threads_settled(before + 2) == before + 2
    assert await _index_writer_threads_settled(before) == before
