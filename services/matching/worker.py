from __future__ import annotations

import asyncio

from services.matching.consumers import subscriptions
from services.matching.models import bus
from services.matching.service.indexing import LiveIndex
from services.matching.settings import Settings
from shared.app import freeze_startup_heap
from shared.db import create_engine, session_factory
from shared.worker import run_worker


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    # The worker's own index, for match.recommended: loaded before the consumers start (a load of 100,000 firms
    # inside the first recommendation would hold that consumer past the worker's stall limit), then caught up
    # before each recommendation.
    live = LiveIndex()
    engine = create_engine(settings.database_url, 1)
    try:
        async with session_factory(engine)() as session:
            await live.catch_up(session)
    finally:
        await engine.dispose()
    # As the API does (app.py): the index's ~600,000 objects at 100,000 firms would otherwise be scanned by every
    # full collection (415 ms measured), a pause of every consumer.
    freeze_startup_heap()
    await run_worker(settings, bus, subscriptions(live, semantic=settings.semantic), stop)
