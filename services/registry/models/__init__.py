"""Registry ORM rows, one module per aggregate. Tables are linked by foreign keys only: no ``relationship()`` is
mapped, so no related row is ever loaded behind a query's back; a use case reads another table's rows by their
``*_id`` or an explicit join.

Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table.
"""

from services.registry.models import (  # noqa: F401
    enterprises,
    evaluations,
    figures,
    imports,
    platforms,
    pools,
    support,
    visits,
)
from services.registry.models.base import Base, bus
from services.registry.models.enterprises import Enterprise

__all__ = ["Base", "Enterprise", "bus"]
