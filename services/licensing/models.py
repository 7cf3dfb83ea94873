"""Licensing ORM rows. Tables are linked by foreign keys only; no relationship() is mapped."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.bus.tables import bus_tables
from shared.db import new_metadata
from shared.read_models.enterprises import EnterpriseReadModel


class Base(DeclarativeBase):
    metadata = new_metadata()


bus = bus_tables(Base.metadata)


class EnterpriseProfile(Base, EnterpriseReadModel):
    """What licensing knows of an enterprise, from ``seedbed.registry.enterprise`` events: the eligibility it checks
    (tiers held, pool, size class, district) reads these rows."""
