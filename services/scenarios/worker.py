from __future__ import annotations

import asyncio

from services.scenarios.consumers import subscriptions
from services.scenarios.models import bus
from services.scenarios.settings import Settings
from shared.worker import run_worker


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    await run_worker(settings, bus, subscriptions(), stop)
