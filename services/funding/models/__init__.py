"""Funding ORM rows, one module per aggregate. Tables are linked by foreign keys only; no relationship() is mapped.
Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table."""

from services.funding.models import applications, enterprises, ledger, programmes  # noqa: F401
from services.funding.models.applications import Application, DoubleSupportFlag, ReviewDeclaration
from services.funding.models.base import Base, bus
from services.funding.models.enterprises import EnterpriseProfile
from services.funding.models.ledger import LedgerEntry
from services.funding.models.programmes import DatedAmount, FundingRound, FundPool, Programme

__all__ = ["Application", "Base", "DatedAmount", "DoubleSupportFlag", "EnterpriseProfile", "FundPool",
           "FundingRound", "LedgerEntry", "Programme", "ReviewDeclaration", "bus"]
