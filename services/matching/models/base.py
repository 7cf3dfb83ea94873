"""Matching's declarative base and its outbox/inbox/audit tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.bus.tables import bus_tables
from shared.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


bus = bus_tables(Base.metadata)
