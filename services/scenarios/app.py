from __future__ import annotations

from fastapi import FastAPI

from services.scenarios.api import (
    applications,
    challenges,
    editions,
    interests,
    invitations,
    reviews,
    scenarios,
    teams,
)
from services.scenarios.models import bus
from services.scenarios.settings import Settings
from shared.app import build_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service_app(
        settings or Settings(),
        title="Seedbed scenarios",
        description="Scenario lists, open challenges (揭榜挂帅), applications, reviews and awards; yearly list "
                    "editions. Reads under /v1/public/ need no token: what is published, personal data masked.",
        tables=bus,
        routers=[scenarios.router, interests.router, invitations.router, challenges.router, applications.router, reviews.router,
                 teams.router, editions.router, scenarios.public_router, challenges.public_router,
                 editions.public_router],
    )
