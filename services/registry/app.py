from __future__ import annotations

from fastapi import FastAPI

from services.registry.api import (
    enterprises,
    evaluations,
    figures,
    imports,
    platforms,
    pools,
    statistics,
    support,
    visits,
)
from services.registry.models import bus
from services.registry.settings import Settings
from shared.app import build_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service_app(
        settings or Settings(),
        title="Seedbed registry",
        description="The programme's book of record: enterprises, annual figures, evaluations, tiers, pools, platforms.",
        tables=bus,
        # GET /v1/enterprises/{id} is the suite's hottest read (migration 0006 adds the change trigger).
        cached_table="enterprises",
        # Its p99 under load was set by full collections of the start-up heap (bench/bench_registry_api.py).
        freeze_heap=True,
        routers=[
            enterprises.router,
            figures.router,
            evaluations.router,
            pools.router,
            platforms.router,
            visits.router,
            imports.router,
            statistics.router,
            support.router,
        ],
    )
