"""Payloads of the events the funding service publishes (``seedbed.funding.*``).

Event-carried state: what a consumer needs without calling back (the catalogue's entries for matching; a firm's
vouchers for the registry's record of the support it received). Money in fen (分); no personal data.
"""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.catalog import FUNDING_RESOURCE, FUNDING_VOUCHER
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
