"""/v1/bookings (and /v1/resources/{id}/bookings): firms book innovation resources; providers deliver; bookings are
cancelled to free their slot."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.funding.schemas import bookings as schemas
from services.funding.service import bookings as service
from shared.app import Sessions, WorkOf
from shared.auth import Actor, Role, require_actor
from shared.http import Page, etag

router = APIRouter(prefix="/v1", tags=["bookings"])

# A firm books for itself; an admin for a firm (e.g. entering a booking taken by phone).
Booker = Annotated[Actor, require_actor(Role.ADMIN, Role.ENTERPRISE)]
# The parties of a booking (service.BOOKING_SCOPE): the firm, the provider, officers of the resource's district.
Party = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.INSTITUTE, Role.PARK_OPERATOR)]
Reader = Annotated[Actor, require_actor(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.INSTITUTE, Role.PARK_OPERATOR,
                                        Role.SERVICE)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/resources/{resource_id}/bookings", status_code=201, response_model=schemas.BookingRead,
             summary="Book a resource for [starts_at, ends_at)",
             responses={409: {"description": "the slot overlaps a live booking (named, with the slot it holds), or "
                                             "the resource is withdrawn"},
                        422: {"description": "outside the resource's availability, or an invalid interval"}})
async def book(resource_id: uuid.UUID, body: schemas.BookingCreate, actor: Booker, work: WorkOf,
               response: Response) -> schemas.BookingRead:
    booking = await service.book(work, actor, resource_id, body)
    response.headers["Location"] = f"/v1/bookings/{booking.id}"
    response.headers["ETag"] = etag(booking.version)
    return booking


@router.get("/bookings", response_model=Page[schemas.BookingRead], summary="The bookings the caller is party to")
async def list_bookings(
    actor: Reader,
    sessions: Sessions,
    limit: Limit = 50,
    cursor: str | None = None,
    resource_id: uuid.UUID | None = None,
    status: Annotated[schemas.Status | None, Query()] = None,
    enterprise_uscc: Annotated[schemas.USCC | None, Query()] = None,
) -> Page[schemas.BookingRead]:
    items, next_cursor = await service.list_bookings(sessions, actor, limit=limit, cursor=cursor,
                                                     resource_id=resource_id, status=status,
                                                     enterprise_uscc=enterprise_uscc)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/bookings/{booking_id}", response_model=schemas.BookingRead, summary="Read one booking")
async def get_booking(booking_id: uuid.UUID, actor: Reader, sessions: Sessions,
                      response: Response) -> schemas.BookingRead:
    booking = await service.get_booking(sessions, actor, booking_id)
    response.headers["ETag"] = etag(booking.version)
    return booking


@router.post("/bookings/{booking_id}/transitions", response_model=schemas.BookingRead,
             summary="Deliver (the provider) or cancel (the firm, the provider, an officer) a booking",
             responses={409: {"description": "the booking's state has no such action; `allowed` lists those it has"},
                        412: {"description": "If-Match, when sent, does not name the current version"}})
async def transition_booking(booking_id: uuid.UUID, body: schemas.BookingTransition, actor: Party, work: WorkOf,
                             response: Response,
                             if_match: Annotated[str | None, Header(description="optional: the ETag you read")] = None,
                             ) -> schemas.BookingRead:
    booking = await service.transition_booking(work, actor, booking_id, body, if_match)
    response.headers["ETag"] = etag(booking.version)
    return booking
