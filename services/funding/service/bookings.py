"""Booking use cases: a firm books a resource for a half-open interval; the provider delivers the service; the firm,
the provider or an officer cancels a booking that was not delivered, which frees its slot.

No two live bookings of one resource overlap: :func:`book` runs under the resource's row lock and refuses an
overlap with a 409 naming the slot asked for and the booking that holds it; on PostgreSQL an exclusion constraint
holds the same rule in the database (``models/bookings.py`` says why both).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain import resources as domain
from services.funding.domain.actors import Actor as Part
from services.funding.models import Booking, EnterpriseProfile, InnovationResource, Voucher, VoucherRedemption
from services.funding.models.bookings import LIVE_STATUSES
from services.funding.schemas import bookings as schemas
from services.funding.service.refusals import refusals
from services.funding.service.resources import LISTED, RESOURCE_SCOPE, domain_resource
from shared.auth import Actor, Role
from shared.clock import PROGRAMME_ZONE
from shared.db import hold_write_lock, utcnow
from shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, InDistrict, OnPlatform, OwnInstitute, OwnUscc, ScopeRule
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]

# --- who may do what ----------------------------------------------------------------------------------------------

# The firm that booked, the resource's provider (its institute or platform), officers of the resource's district.
_PARTIES = {
    Role.ADMIN: EVERYWHERE,
    Role.OFFICER: InDistrict(Booking.district_code),
    Role.ENTERPRISE: OwnUscc(Booking.enterprise_uscc),
    Role.INSTITUTE: OwnInstitute(Booking.owner_institute_id),
    Role.PARK_OPERATOR: OnPlatform(Booking.owner_platform_id),
}
BOOKING_SCOPE = ScopeRule(noun="booking", readers={**_PARTIES, Role.SERVICE: EVERYWHERE}, managers=_PARTIES)
BOOKINGS = Records(Booking, BOOKING_SCOPE)

# The part a caller plays in a booking's transitions (domain.actors): admins act as officers.
PART_OF = {Role.ENTERPRISE: Part.ENTERPRISE, Role.INSTITUTE: Part.PROVIDER, Role.PARK_OPERATOR: Part.PROVIDER,
           Role.OFFICER: Part.OFFICER, Role.ADMIN: Part.OFFICER}


def acts_as_provider(actor: Actor, booking: Booking) -> bool:
    """Whether the caller acts for the booking's provider: its institute or platform account; for a resource listed
    by an officer (no provider account, e.g. a public-data operator), the officers of its district and admins."""
    role = actor.principal.role
    if role in (Role.INSTITUTE, Role.PARK_OPERATOR):
        return True  # within the booking's scope already: its own resource
    ownerless = booking.owner_institute_id is None and booking.owner_platform_id is None
    return ownerless and role in (Role.OFFICER, Role.ADMIN)


def part_of(actor: Actor, booking: Booking, action: str) -> Part:
    if action == domain.BookingAction.DELIVER and acts_as_provider(actor, booking):
        return Part.PROVIDER
    return PART_OF[actor.principal.role]


def lead_time_of(resource: InnovationResource, settings: Any) -> int:
    """The hours ahead a booking of ``resource`` must start: its own, or the service's default."""
    if resource.lead_time_hours is not None:
        return resource.lead_time_hours
    return int(settings.booking_lead_time_hours)


def _shown(moment: datetime) -> str:
    """A time as a person in Huzhou reads it (DESIGN §4.6: stored in UTC, shown in Asia/Shanghai)."""
    return moment.astimezone(PROGRAMME_ZONE).strftime("%Y-%m-%d %H:%M")


def domain_booking(booking: Booking) -> domain.Booking:
    return domain.Booking(str(booking.id), str(booking.resource_id), booking.enterprise_uscc,
                          domain.Interval(booking.starts_at, booking.ends_at), booking.quantity, booking.status)


async def _paid_by_vouchers(session: AsyncSession, booking_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not booking_ids:
        return {}
    rows = await session.execute(select(VoucherRedemption.booking_id, func.sum(VoucherRedemption.amount_fen))
                                 .where(VoucherRedemption.booking_id.in_(booking_ids))
                                 .group_by(VoucherRedemption.booking_id))
    return {booking_id: int(total) for booking_id, total in rows}


def read_model(booking: Booking, paid_fen: int = 0) -> schemas.BookingRead:
    return schemas.BookingRead(
        voucher_ids=[uuid.UUID(v) for v in booking.voucher_ids], vouchers_paid_fen=paid_fen,
        **{f: getattr(booking, f) for f in (
            "id", "resource_id", "resource_kind", "provider_name", "district_code", "enterprise_uscc", "starts_at",
            "ends_at", "quantity", "fee_fen", "status", "purpose", "cancellation_reason", "delivered_at",
            "cancelled_at", "created_by", "created_at", "updated_at", "version")})


# --- use cases ----------------------------------------------------------------------------------------------------

def _booking_firm(actor: Actor, data: schemas.BookingCreate) -> str:
    principal = actor.principal
    if principal.role == Role.ENTERPRISE:
        if data.enterprise_uscc not in (None, principal.uscc) or not principal.uscc:
            raise PermissionDenied("an enterprise books only for itself", field="enterprise_uscc")
        return principal.uscc
    if data.enterprise_uscc is None:
        raise InvalidInput("name the firm the booking is for", field="enterprise_uscc")
    return data.enterprise_uscc


async def lock_resource(session: AsyncSession, actor: Actor, resource_id: uuid.UUID) -> InnovationResource:
    """The resource's row, locked to the end of the transaction: every booking of it takes this lock first, so
    that bookings of one resource are decided one after the other (SQLite: its one write lock)."""
    await hold_write_lock(session, InnovationResource.__table__)
    resource = await session.get(InnovationResource, resource_id, with_for_update=True, populate_existing=True)
    if resource is None:
        raise NotFound(f"no resource {resource_id}")
    RESOURCE_SCOPE.ensure_readable(actor, resource, resource_id)
    return resource


async def _check_vouchers(session: AsyncSession, uscc: str, resource: InnovationResource,
                          interval: domain.Interval, voucher_ids: list[uuid.UUID]) -> None:
    """The vouchers a firm names for a booking are its own, active, valid on the booking's day and good for the
    resource's kind (the provider's redemption checks the rest: value left, the share of the fee)."""
    if not voucher_ids:
        return
    found = {v.id: v for v in (await session.scalars(select(Voucher).where(Voucher.id.in_(voucher_ids)))).all()}
    service_day = interval.start.astimezone(PROGRAMME_ZONE).date()
    for i, voucher_id in enumerate(voucher_ids):
        field = f"voucher_ids.{i}"
        voucher = found.get(voucher_id)
        if voucher is None:
            raise NotFound(f"no voucher {voucher_id}", field=field)
        if voucher.enterprise_uscc != uscc:
            raise PermissionDenied(f"voucher {voucher_id} belongs to another enterprise", field=field,
                                   code="other_enterprise")
        if voucher.status != "active":
            raise Conflict(f"voucher {voucher_id} is {voucher.status}", field=field, code=voucher.status)
        if not voucher.issued_on <= service_day <= voucher.expires_on:
            raise Conflict(f"voucher {voucher_id} is valid from {voucher.issued_on} to {voucher.expires_on}, not on "
                           f"{service_day}", field=field, code="expired")
        if resource.kind not in voucher.allowed_kinds:
            raise InvalidInput(f"voucher {voucher_id} does not pay for {resource.kind} (it pays for "
                               f"{', '.join(sorted(voucher.allowed_kinds))})", field=field,
                               code="resource_not_covered")


async def book(work: Work, actor: Actor, resource_id: uuid.UUID, data: schemas.BookingCreate) -> schemas.BookingRead:
    uscc = _booking_firm(actor, data)
    with refusals():
        interval = domain.Interval(data.starts_at, data.ends_at)
    async with work(actor) as uow:
        session = uow.session
        resource = await lock_resource(session, actor, resource_id)
        if resource.status != LISTED:
            raise Conflict(f"{resource.name} is withdrawn from the catalogue", field="resource_id")
        with refusals():
            domain.check_lead_time(interval.start, utcnow(), lead_time_of(resource, uow.settings))
        clashing = (await session.scalars(select(Booking).where(
            Booking.resource_id == resource.id, Booking.status.in_(LIVE_STATUSES),
            Booking.starts_at < interval.end, Booking.ends_at > interval.start).order_by(Booking.starts_at))).all()
        if clashing:
            held = ", ".join(f"{_shown(b.starts_at)}–{_shown(b.ends_at)}" for b in clashing)
            raise Conflict(f"{resource.name} is already booked for part of {_shown(interval.start)}–"
                           f"{_shown(interval.end)} (Asia/Shanghai): held {held}", field="starts_at",
                           code="overlaps", slot={"starts_at": interval.start.astimezone(UTC).isoformat(),
                                                  "ends_at": interval.end.astimezone(UTC).isoformat()},
                           conflicting=[{"booking_id": str(b.id), "starts_at": b.starts_at.isoformat(),
                                         "ends_at": b.ends_at.isoformat()} for b in clashing])
        bookable = domain_resource(resource)
        with refusals():
            planned = domain.book(bookable, [], id="new", enterprise_id=uscc, interval=interval,
                                  quantity=data.quantity)
        await _check_vouchers(session, uscc, resource, interval, data.voucher_ids)
        profile = await session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.uscc == uscc))
        booking = Booking(
            resource_id=resource.id, enterprise_uscc=uscc,
            enterprise_district_code=profile.district_code if profile else None,
            enterprise_sector=profile.sector if profile else None, resource_kind=resource.kind,
            provider_name=resource.provider_name, owner_institute_id=resource.owner_institute_id,
            owner_platform_id=resource.owner_platform_id, district_code=resource.district_code,
            starts_at=interval.start.astimezone(UTC), ends_at=interval.end.astimezone(UTC), quantity=data.quantity,
            fee_fen=domain.fee(bookable, planned), voucher_ids=[str(v) for v in data.voucher_ids],
            status=domain.BookingStatus.BOOKED.value, purpose=data.purpose, created_by=actor.principal.subject)
        session.add(booking)
        await uow.flush()
        uow.audit("booking.create", "booking", str(booking.id), {**data.model_dump(mode="json"),
                                                                 "enterprise_uscc": uscc, "fee_fen": booking.fee_fen})
        read = read_model(booking)
    return read


async def get_booking(sessions: Sessions, actor: Actor, booking_id: uuid.UUID) -> schemas.BookingRead:
    async with sessions() as session:
        booking = await BOOKINGS.get(session, actor, booking_id)
        paid = await _paid_by_vouchers(session, [booking.id])
    return read_model(booking, paid.get(booking.id, 0))


_ORDER = (Key(Booking.created_at, cursor_datetime), Key(Booking.id, cursor_uuid))


async def list_bookings(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None,
                        resource_id: uuid.UUID | None, status: str | None,
                        enterprise_uscc: str | None) -> tuple[list[schemas.BookingRead], str | None]:
    query = BOOKINGS.select(actor)
    for column, value in ((Booking.resource_id, resource_id), (Booking.status, status),
                          (Booking.enterprise_uscc, enterprise_uscc)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
        paid = await _paid_by_vouchers(session, [b.id for b in page])
    return [read_model(b, paid.get(b.id, 0)) for b in page], next_cursor


async def transition_booking(work: Work, actor: Actor, booking_id: uuid.UUID, data: schemas.BookingTransition,
                             if_match: str | None) -> schemas.BookingRead:
    """Deliver (the provider) or cancel (the firm, the provider, an officer); a cancelled booking frees its slot."""
    async with work(actor) as uow:
        booking = await BOOKINGS.get_for_change(uow.session, actor, booking_id, if_match=if_match,
                                                optional_if_match=True)
        with refusals():
            moved = domain.transition(domain_booking(booking), data.action, part_of(actor, booking, data.action))
        values: dict[str, Any] = {"status": moved.status.value}
        if moved.status is domain.BookingStatus.DELIVERED:
            values["delivered_at"] = utcnow()
        else:
            values.update(cancelled_at=utcnow(), cancellation_reason=data.reason)
        changed = apply_changes(booking, values)
        await uow.flush()
        uow.audit(f"booking.{data.action}", "booking", str(booking.id), changed)
        paid = await _paid_by_vouchers(uow.session, [booking.id])
        read = read_model(booking, paid.get(booking.id, 0))
    return read
