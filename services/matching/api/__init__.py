"""Matching HTTP routers, one module per resource, and the dependency that hands them the process's live index."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.matching.service.indexing import LiveIndex


async def _live(request: Request) -> LiveIndex:
    return request.app.state.live  # type: ignore[no-any-return]


# The process's search index (kept by app.py's resources from the database).
Live = Annotated[LiveIndex, Depends(_live)]
