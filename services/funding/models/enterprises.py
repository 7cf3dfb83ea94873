"""What funding knows of the registry's enterprises."""

from __future__ import annotations

from services.funding.models.base import Base
from shared.read_models.enterprises import EnterpriseReadModel


class EnterpriseProfile(Base, EnterpriseReadModel):
    """What funding knows of an enterprise, from ``seedbed.registry.enterprise`` events: the eligibility it checks
    (tiers held, pool, size class, district) reads these rows."""
