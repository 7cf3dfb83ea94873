from __future__ import annotations

import asyncio

from services.funding.consumers import subscriptions
from services.funding.models import bus
from services.funding.settings import Settings
from shared.worker import run_worker


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    await run_worker(settings, bus, subscriptions(), stop)
