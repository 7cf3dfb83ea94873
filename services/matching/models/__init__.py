"""Matching ORM rows, one module per aggregate: read models kept from other services' events, and match feedback.

Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table.
"""

from services.matching.models import challenges, embeddings, enterprises, feedback, patents, scenarios  # noqa: F401
from services.matching.models.base import Base, bus
from services.matching.models.challenges import ChallengeRecord
from services.matching.models.embeddings import TextEmbedding
from services.matching.models.enterprises import EnterpriseProfile
from services.matching.models.feedback import MatchFeedback
from services.matching.models.patents import PatentRecord
from services.matching.models.scenarios import ScenarioRecord

__all__ = ["Base", "ChallengeRecord", "EnterpriseProfile", "MatchFeedback", "PatentRecord", "ScenarioRecord", "TextEmbedding",
           "bus"]
