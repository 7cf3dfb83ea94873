"""Funding ORM rows, one module per aggregate. Tables are linked by foreign keys only; no relationship() is mapped.
Importing this package imports every module, so that ``Base.metadata`` (Alembic's target) has every table."""

from services.funding.models import (  # noqa: F401
    applications,
    bookings,
    enterprises,
    ledger,
    programmes,
    resources,
    vouchers,
)
from services.funding.models.applications import (
    Application,
    DoubleSupportFlag,
    ReviewDeclaration,
    ReviewerAssignment,
    ReviewerDeclaration,
)
from services.funding.models.base import Base, bus
from services.funding.models.bookings import Booking
from services.funding.models.enterprises import EnterpriseProfile
from services.funding.models.ledger import LedgerEntry
from services.funding.models.programmes import DatedAmount, FundingRound, FundPool, Programme
from services.funding.models.resources import InnovationResource
from services.funding.models.vouchers import Voucher, VoucherRedemption, VoucherTerms

__all__ = ["Application", "Base", "Booking", "DatedAmount", "DoubleSupportFlag", "EnterpriseProfile", "FundPool",
           "FundingRound", "InnovationResource", "LedgerEntry", "Programme", "ReviewDeclaration", "ReviewerAssignment",
           "ReviewerDeclaration", "Voucher",
           "VoucherRedemption", "VoucherTerms", "bus"]
