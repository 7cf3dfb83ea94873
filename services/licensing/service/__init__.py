"""Licensing use cases, one module per aggregate. Each use case is a unit of work: it owns the transaction in which
the state change, its integration event (outbox) and its audit entry commit together."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.licensing.models import Base, bus
from shared.settings import ServiceSettings
from shared.uow import Work


def work_of(sessions: async_sessionmaker[AsyncSession], settings: ServiceSettings) -> Work:
    """Units of work on the licensing database, for jobs and tests (the API's comes from ``shared.app.WorkOf``)."""
    return Work(sessions, settings, bus, Base.metadata)
