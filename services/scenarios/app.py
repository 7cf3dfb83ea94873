from __future__ import annotations

from fastapi import FastAPI

from services.scenarios.api import applications, challenges, scenarios
from services.scenarios.models import bus
from services.scenarios.settings import Settings
from shared.app import build_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service_app(
        settings or Settings(),
        title="Seedbed scenarios",
        description="Scenario lists, open challenges (揭榜挂帅), applications, reviews and awards.",
        tables=bus,
        routers=[scenarios.router, scenarios.public_router, challenges.router, applications.router],
    )
