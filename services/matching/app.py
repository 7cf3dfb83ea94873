from __future__ import annotations

from fastapi import FastAPI

from services.matching.api import enterprises
from services.matching.models import bus
from services.matching.settings import Settings
from shared.app import build_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_service_app(
        settings or Settings(),
        title="Seedbed matching",
        description="Read models of enterprises, scenarios, challenges and patents; search and match recommendations.",
        tables=bus,
        routers=[enterprises.router],
    )
