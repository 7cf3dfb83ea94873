"""Payloads of the events the funding service publishes (``seedbed.funding.*``).

Event-carried state: what a consumer needs without calling back (the catalogue's entries for matching; a firm's
vouchers and the money it was paid, for the registry's record of the support it received; applications for those
who follow them). Money in fen (分); no personal data: firms are named by their id and USCC, people not at all.
"""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.catalog import FUNDING_APPLICATION, FUNDING_FUND, FUNDING_RESOURCE, FUNDING_VOUCHER
from shared.events.envelope import EventPayload, register_event

# --- the innovation-resource catalogue (创新要素供给池) ---------------------------------------------------------------


class ResourceState(EventPayload):
    """A resource of the catalogue as of the event."""

    resource_id: uuid.UUID
    kind: str  # instrument, facility, testing_service, data_set, compute
    name: str
    description: str = ""
    provider_name: str
    provider_class: str
    district_code: str
    location: str
    unit: str  # hour, day, item, booking
    unit_price_fen: int
    terms: str = ""
    status: str
    version: int


@register_event
class ResourceListed(ResourceState):
    """A resource was opened to firms (listed on the catalogue)."""

    event_type = "seedbed.funding.resource.listed.v1"
    topic = FUNDING_RESOURCE.name


@register_event
class ResourceWithdrawn(ResourceState):
    """A resource was taken off the catalogue: no new bookings (existing ones stand until cancelled)."""

    event_type = "seedbed.funding.resource.withdrawn.v1"
    topic = FUNDING_RESOURCE.name

    reason: str


# --- innovation vouchers (创新券) ----------------------------------------------------------------------------------


class VoucherState(EventPayload):
    voucher_id: uuid.UUID
    programme_id: uuid.UUID
    round_id: uuid.UUID
    enterprise_id: uuid.UUID
    enterprise_uscc: str
    face_value_fen: int
    redeemed_fen: int
    remaining_fen: int
    issued_on: date
    expires_on: date
    status: str


@register_event
class VoucherIssued(VoucherState):
    """A voucher was issued to a firm; its face value is reserved in the round's ledger (voucher_issued)."""

    event_type = "seedbed.funding.voucher.issued.v1"
    topic = FUNDING_VOUCHER.name

    allowed_kinds: list[str]


@register_event
class VoucherRedeemed(VoucherState):
    """A provider was paid from a voucher for a delivered booking (兑付; ledger voucher_redeemed)."""

    event_type = "seedbed.funding.voucher.redeemed.v1"
    topic = FUNDING_VOUCHER.name

    redemption_id: uuid.UUID
    booking_id: uuid.UUID
    resource_id: uuid.UUID
    resource_kind: str
    provider_name: str
    amount_fen: int
    fee_fen: int
    service_date: date


# --- applications and awards (配套基金池) --------------------------------------------------------------------------


class ApplicationState(EventPayload):
    """An application (or an award without one) as of the event."""

    application_id: uuid.UUID
    enterprise_id: uuid.UUID
    uscc: str
    programme_id: uuid.UUID
    round_id: uuid.UUID
    programme_name: str
    instrument: str  # grant, subsidy, loan_interest_subsidy, innovation_voucher, equity_co_investment, challenge_bounty
    project_title: str
    origin: str  # application (申报) or automatic (免申即享, challenge bounty)
    status: str
    requested_fen: int


@register_event
class ApplicationSubmitted(ApplicationState):
    """The firm submitted its application (申报): it goes to the eligibility check."""

    event_type = "seedbed.funding.application.submitted.v1"
    topic = FUNDING_APPLICATION.name


@register_event
class ApplicationApproved(ApplicationState):
    """An amount was approved and committed in the round's ledger (拟资助); automatic awards start here."""

    event_type = "seedbed.funding.application.approved.v1"
    topic = FUNDING_APPLICATION.name

    approved_fen: int
    approved_on: date


@register_event
class ApplicationRejected(ApplicationState):
    """The application was refused, with a structured reason (``reason_code``: ineligible, review_score,
    budget_exhausted, double_support, incomplete, other; ``rules``: the eligibility rules that failed)."""

    event_type = "seedbed.funding.application.rejected.v1"
    topic = FUNDING_APPLICATION.name

    reason_code: str
    reason: str
    rules: list[str] = []


class FundMovement(EventPayload):
    """Money of one award moving, as the ledger recorded it (``entry_key`` is the ledger entry's unique key: a
    consumer may use it to record the movement once)."""

    application_id: uuid.UUID
    enterprise_id: uuid.UUID
    uscc: str
    programme_id: uuid.UUID
    round_id: uuid.UUID
    programme_name: str
    instrument: str
    issuer: str  # who pays: "湖州市", "吴兴区" …
    project_title: str
    amount_fen: int
    on: date  # the civil date of the movement (Asia/Shanghai)
    entry_key: str


@register_event
class FundDisbursed(FundMovement):
    """A tranche of an award was paid to the firm (拨付)."""

    event_type = "seedbed.funding.fund.disbursed.v1"
    topic = FUNDING_FUND.name

    tranche_index: int
    milestone: str
    disbursed_total_fen: int  # paid for this award so far, this tranche included


@register_event
class FundClawedBack(FundMovement):
    """Money paid for an award was recovered from the firm (追回), with the ground."""

    event_type = "seedbed.funding.fund.clawed_back.v1"
    topic = FUNDING_FUND.name

    clawed_back_total_fen: int
    reason: str
