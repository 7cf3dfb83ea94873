"""Licensing ORM rows, one module per aggregate. Tables are linked by foreign keys only; no relationship() is
mapped. Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table."""

from services.licensing.models import enterprises, equity, licences, patents  # noqa: F401
from services.licensing.models.base import Base, bus
from services.licensing.models.enterprises import EnterpriseProfile
from services.licensing.models.equity import EquityContribution
from services.licensing.models.licences import Licence, Payment
from services.licensing.models.patents import OpenLicenceDeclaration, Patent

__all__ = ["Base", "EnterpriseProfile", "EquityContribution", "Licence", "OpenLicenceDeclaration", "Patent",
           "Payment", "bus"]
