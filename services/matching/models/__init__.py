"""Matching ORM rows, one module per aggregate: read models kept from other services' events, and match feedback.

Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table.
"""

from services.matching.models import enterprises, feedback, scenarios  # noqa: F401
from services.matching.models.base import Base, bus
from services.matching.models.enterprises import EnterpriseProfile
from services.matching.models.feedback import MatchFeedback
from services.matching.models.scenarios import ScenarioRecord

__all__ = ["Base", "EnterpriseProfile", "MatchFeedback", "ScenarioRecord", "bus"]
