"""Registry ORM rows, one module per aggregate. Relations are ``lazy="raise"``: every query states what it loads.

Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table.
"""

from services.registry.models import enterprises, evaluations, figures, platforms, pools, visits  # noqa: F401
from services.registry.models.base import Base, bus
from services.registry.models.enterprises import Enterprise

__all__ = ["Base", "Enterprise", "bus"]
