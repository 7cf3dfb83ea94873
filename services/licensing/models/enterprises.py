"""What licensing knows of the registry's enterprises."""

from __future__ import annotations

from services.licensing.models.base import Base
from shared.read_models.enterprises import EnterpriseReadModel


class EnterpriseProfile(Base, EnterpriseReadModel):
    """What licensing knows of an enterprise, from ``seedbed.registry.enterprise`` events: a licensee or the target
    company of an equity contribution must be one of these firms."""
