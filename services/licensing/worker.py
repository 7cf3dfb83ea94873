from __future__ import annotations

import asyncio

from services.licensing.consumers import subscriptions
from services.licensing.models import bus
from services.licensing.settings import Settings
from shared.worker import run_worker


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    await run_worker(settings, bus, subscriptions(), stop)
