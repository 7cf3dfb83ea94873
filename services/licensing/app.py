from __future__ import annotations

from fastapi import FastAPI

from services.licensing.api import equity, licences, patents, reports
from services.licensing.models import bus
from services.licensing.settings import Settings
from shared.app import build_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service_app(
        settings or Settings(),
        title="Seedbed licensing",
        description="Patents and other results, listings, agreements and royalties.",
        tables=bus,
        routers=[patents.router, licences.router, equity.router, reports.router],
    )
