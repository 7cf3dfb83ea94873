from __future__ import annotations

import asyncio

from services.matching.consumers import subscriptions
from services.matching.models import bus
from services.matching.settings import Settings
from shared.worker import run_worker


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    await run_worker(settings, bus, subscriptions(), stop)
