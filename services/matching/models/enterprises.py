"""Matching's copy of the registry's firms (never the registry's tables)."""

from __future__ import annotations

from sqlalchemy import Index

from services.matching.models.base import Base
from shared.read_models.enterprises import EnterpriseReadModel


class EnterpriseProfile(Base, EnterpriseReadModel):
    """What matching knows of an enterprise, from ``seedbed.registry.enterprise`` events."""

    # Each API process polls the rows changed since it last looked, to keep its search index fresh (index.py).
    __table_args__ = (Index("ix_enterprise_profiles_updated_at", "updated_at"),)
