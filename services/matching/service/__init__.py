"""Matching use cases, one module per aggregate, and the in-memory search indexes they query."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.matching.models import Base, bus
from shared.settings import ServiceSettings
from shared.uow import Work


def work_of(sessions: async_sessionmaker[AsyncSession], settings: ServiceSettings) -> Work:
    """Units of work on matching's database, for jobs and tests (the API's comes from ``shared.app.WorkOf``)."""
    return Work(sessions, settings, bus, Base.metadata)
