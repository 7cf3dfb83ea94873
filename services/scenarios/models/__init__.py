"""Scenarios ORM rows, one module per aggregate. Tables are linked by foreign keys only; no relationship() is
mapped. Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table."""

from services.scenarios.models import (  # noqa: F401
    applications,
    challenges,
    editions,
    enterprises,
    interests,
    invitations,
    platforms,
    reviews,
    scenarios,
)
from services.scenarios.models.applications import ChallengeApplication, Milestone
from services.scenarios.models.base import Base, bus
from services.scenarios.models.challenges import Challenge
from services.scenarios.models.editions import ListEdition
from services.scenarios.models.enterprises import EnterpriseProfile
from services.scenarios.models.interests import ScenarioInterest
from services.scenarios.models.invitations import Invitation
from services.scenarios.models.platforms import PlatformProfile
from services.scenarios.models.reviews import ReviewerAssignment, ReviewerDeclaration, ScoreSheet
from services.scenarios.models.scenarios import Scenario

__all__ = ["Base", "Challenge", "ChallengeApplication", "EnterpriseProfile", "Invitation", "ListEdition", "Milestone",
           "PlatformProfile", "ReviewerAssignment", "ReviewerDeclaration", "Scenario", "ScenarioInterest",
           "ScoreSheet", "bus"]
