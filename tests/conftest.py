"""Fixtures shared by the whole suite.

Integration tests talk to the real PostgreSQL and Kafka that ``make test`` starts (deploy/local). They fail, not
skip, when those are missing: a suite that silently skipped them would prove nothing.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from shared.migrations import upgrade
from tests.support import (
    KAFKA,
    PG_SERVER,
    SERVICES,
    TOPIC_PREFIX,
    empty_schema,
    ensure_database,
    pg_url,
    running_app,
    settings_for,
    sqlite_url,
    truncate,
)


async def _reset_schema(service: str) -> None:
    await ensure_database(PG_SERVER, pg_url(service).rsplit("/", 1)[1])
    await empty_schema(pg_url(service))


@pytest.fixture(scope="session")
async def postgres() -> AsyncIterator[None]:
    """Every service's test database, dropped and migrated afresh once per run: tests use the migrated schema."""
    for service in SERVICES:
        try:
            await _reset_schema(service)
        except OSError as exc:
            pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER} ({exc}); run the suite with `make test`")
        await asyncio.to_thread(upgrade, service, pg_url(service))
    yield


@pytest.fixture(scope="session")
async def kafka() -> AsyncIterator[str]:
    """This run's topics, created explicitly as in production (no auto-creation), removed at the end."""
    from aiokafka.admin import AIOKafkaAdminClient

    from shared.bus.kafka import create_topics
    from shared.events.catalog import ALL_TOPICS

    try:
        await asyncio.wait_for(create_topics(KAFKA, ALL_TOPICS, TOPIC_PREFIX), 60)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Kafka is not reachable at {KAFKA} ({exc!r}); run the suite with `make test`")
    yield KAFKA
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        await admin.delete_topics([TOPIC_PREFIX + t.name for t in ALL_TOPICS])
    finally:
        await admin.close()


def _sqlite_template(tmp_path_factory: pytest.TempPathFactory, service: str) -> Path:
    """A service's SQLite file migrated from nothing once per run; each test works on a copy of its own.

    Synchronous, so that a client fixture can ask for it by name (``getfixturevalue``) from inside the event loop;
    the migrations run on a thread of their own because they drive an event loop themselves."""
    directory = tmp_path_factory.mktemp(f"{service}-template")
    with ThreadPoolExecutor(1) as thread:
        thread.submit(upgrade, service, sqlite_url(directory, service)).result()
    # Migrations close their connections, which checkpoints the write-ahead log: the file alone is the database.
    assert [p.name for p in directory.iterdir()] == [f"{service}.db"], list(directory.iterdir())
    return directory / f"{service}.db"


@asynccontextmanager
async def _service_client(service: str, backend: str, tmp_path: Path, template: Path | None
                          ) -> AsyncIterator[httpx.AsyncClient]:
    """The service's API on PostgreSQL or on SQLite (the embedded default of `make run`), on a fresh, fully migrated
    database."""
    if backend == "postgres":
        await truncate(service)
        url = pg_url(service)
    else:
        assert template is not None
        url = sqlite_url(tmp_path, service)
        shutil.copyfile(template, tmp_path / f"{service}.db")
    async with running_app(service, settings_for(service, url)) as client:
        client.database_url = url  # type: ignore[attr-defined]
        client.backend = backend  # type: ignore[attr-defined]
        yield client


def _service_fixtures(service: str) -> None:
    """``<service>_sqlite_template`` (once per run) and ``<service>_client`` (each test, on PostgreSQL and on SQLite)
    for one service: every service's API is tested on both back ends the same way."""

    @pytest.fixture(scope="session", name=f"{service}_sqlite_template")
    def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return _sqlite_template(tmp_path_factory, service)

    @pytest.fixture(params=["postgres", "sqlite"], name=f"{service}_client")
    async def client(request: pytest.FixtureRequest, tmp_path: Path, postgres: None) -> AsyncIterator[httpx.AsyncClient]:
        template = request.getfixturevalue(f"{service}_sqlite_template") if request.param == "sqlite" else None
        async with _service_client(service, request.param, tmp_path, template) as api:
            yield api

    # pytest finds fixtures among the module's names.
    globals()[f"_{service}_sqlite_template"] = sqlite_template
    globals()[f"_{service}_client"] = client


for _service in SERVICES:
    _service_fixtures(_service)
