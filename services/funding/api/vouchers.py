"""/v1/vouchers, /v1/rounds/{id}/voucher-terms and /v1/bookings/{id}/redemptions: innovation vouchers (创新券) —
a voucher round's terms, vouchers issued to firms, redeemed by providers for delivered bookings, revoked, expired."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from services.funding.schemas import vouchers as schemas
from services.funding.service import vouchers as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import IfMatch, Page, etag
from shared.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyRequired
from shared.types import USCC

router = APIRouter(prefix="/v1", tags=["vouchers"])

Everyone = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.REVIEWER, Role.ENTERPRISE,
                                          Role.PARK_OPERATOR, Role.INSTITUTE, Role.SERVICE)]
# The round's issuer (service.programmes.ROUND_SCOPE): admins, officers of the pool's district (city money: city-wide).
Issuer = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER)]
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.SERVICE)]
# The provider of the booking (its institute or platform); for a resource listed without a provider account, the
# officers of its district and admins (service.bookings.acts_as_provider).
Provider = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.INSTITUTE, Role.PARK_OPERATOR)]
Scheduler = Annotated[Actor, require_actor(Role.ADMIN, Role.SERVICE)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.put("/rounds/{round_id}/voucher-terms", response_model=schemas.VoucherTermsRead,
            summary="Set a voucher round's terms (face value, yearly cap, validity, kinds, coverage)",
            responses={201: {"description": "created"},
                       409: {"description": "the round is not of an innovation voucher programme"},
                       412: {"description": "If-Match does not name the current version"},
                       428: {"description": "If-Match is missing on a replacement"}})
async def set_terms(round_id: uuid.UUID, body: schemas.VoucherTermsIn, actor: Issuer, work: WorkOf,
                    response: Response, if_match: IfMatch = None) -> schemas.VoucherTermsRead:
    terms, created = await service.set_terms(work, actor, round_id, body, if_match)
    response.status_code = 201 if created else 200
    response.headers["ETag"] = etag(terms.version)
    return terms


@router.get("/rounds/{round_id}/voucher-terms", response_model=schemas.VoucherTermsRead,
            summary="A voucher round's terms")
async def get_terms(round_id: uuid.UUID, actor: Everyone, sessions: Sessions,
                    response: Response) -> schemas.VoucherTermsRead:
    terms = await service.get_terms(sessions, actor, round_id)
    response.headers["ETag"] = etag(terms.version)
    return terms


@router.post("/vouchers", status_code=201, response_model=schemas.VoucherRead,
             summary="Issue a voucher to a firm from an open voucher round (reserves its value in the ledger)",
             responses={**IDEMPOTENCY_RESPONSES,
                        409: {"description": "budget exhausted, the firm's yearly cap reached, the round not open"}})
async def issue_voucher(body: schemas.VoucherIssue, actor: Issuer, work: WorkOf,
                        idempotency: IdempotencyRequired) -> Response:
    return (await service.issue_voucher(work, actor, body, idempotency)).http()


@router.get("/vouchers", response_model=Page[schemas.VoucherRead], summary="The vouchers the caller may read")
async def list_vouchers(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    round_id: uuid.UUID | None = None,
    enterprise_uscc: Annotated[USCC | None, Query()] = None,
    status: Annotated[schemas.Status | None, Query()] = None,
) -> Page[schemas.VoucherRead]:
    items, next_cursor = await service.list_vouchers(sessions, actor, limit=limit, cursor=cursor, round_id=round_id,
                                                     enterprise_uscc=enterprise_uscc, status=status)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/vouchers/{voucher_id}", response_model=schemas.VoucherRead,
            summary="Read one voucher with its redemptions")
async def get_voucher(voucher_id: uuid.UUID, actor: Reader, sessions: Sessions,
                      response: Response) -> schemas.VoucherRead:
    voucher = await service.get_voucher(sessions, actor, voucher_id)
    response.headers["ETag"] = etag(voucher.version)
    return voucher


@router.post("/vouchers/{voucher_id}/revocation", response_model=schemas.VoucherRead,
             summary="Revoke a voucher (作废): its unspent value returns to the round",
             responses={409: {"description": "the voucher is already expired or revoked"},
                        412: {"description": "If-Match, when sent, does not name the current version"}})
async def revoke_voucher(voucher_id: uuid.UUID, body: schemas.VoucherRevocation, actor: Issuer, work: WorkOf,
                         response: Response, if_match: IfMatch = None) -> schemas.VoucherRead:
    voucher = await service.revoke_voucher(work, actor, voucher_id, body, if_match)
    response.headers["ETag"] = etag(voucher.version)
    return voucher


class ExpiryRun(BaseModel):
    expired: int


@router.post("/vouchers/expiry", response_model=ExpiryRun,
             summary="Expire the vouchers whose last day has passed (their unspent value returns to the round)")
async def expire_vouchers(actor: Scheduler, work: WorkOf) -> ExpiryRun:
    return ExpiryRun(expired=await service.expire_vouchers(work, actor))


@router.post("/bookings/{booking_id}/redemptions", status_code=201, response_model=schemas.RedemptionRead,
             summary="The provider is paid from a voucher the firm named for this delivered booking (兑付)",
             responses={**IDEMPOTENCY_RESPONSES,
                        409: {"description": "not delivered; voucher not named, spent, expired, revoked, or already "
                                             "used for this booking; the share of the fee already paid"}})
async def redeem(booking_id: uuid.UUID, body: schemas.RedemptionCreate, actor: Provider, work: WorkOf,
                 idempotency: IdempotencyRequired) -> Response:
    return (await service.redeem(work, actor, booking_id, body, idempotency)).http()
