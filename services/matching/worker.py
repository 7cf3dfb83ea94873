from __future__ import annotations

import asyncio

from services.matching.consumers import subscriptions
from services.matching.models import bus
from services.matching.service.indexing import LiveIndex
from services.matching.settings import Settings
from shared.worker import run_worker


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    # The worker's own index, for match.recommended: loaded at the first publication, caught up before each.
    await run_worker(settings, bus, subscriptions(LiveIndex()), stop)
