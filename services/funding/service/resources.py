"""Innovation-resource use cases (创新要素供给池 catalogue): list a resource, read and list the catalogue in the
caller's scope, edit a listing with If-Match, withdraw it. Listing emits ``resource.listed``, withdrawal
``resource.withdrawn``.

Who manages a listing: its owner (an institute account by its institute id, a park operator by its platform), an
officer of its district, an admin. Listed resources are read by every role; withdrawn ones by those who manage them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funding.domain import resources as domain
from services.funding.models import Booking, InnovationResource
from services.funding.models.bookings import LIVE_STATUSES
from services.funding.schemas import resources as schemas
from services.funding.service.refusals import refusals
from shared.auth import Actor, Role
from shared.db import utcnow
from shared.errors import Conflict, InvalidInput, PermissionDenied
from shared.events.funding import ResourceListed, ResourceWithdrawn
from shared.http import cursor_datetime, cursor_uuid
from shared.pagination import Key, paginate
from shared.repository import Records, apply_changes
from shared.scope import EVERYWHERE, AnyOf, InDistrict, InStates, OnPlatform, OwnInstitute, ScopeRule
from shared.uow import Work

Sessions = async_sessionmaker[AsyncSession]

LISTED, WITHDRAWN = "listed", "withdrawn"

# --- who may do what ----------------------------------------------------------------------------------------------

_ON_THE_CATALOGUE = InStates(InnovationResource.status, frozenset({LISTED}))
_OWNERS = {
    Role.ADMIN: EVERYWHERE,
    Role.OFFICER: InDistrict(InnovationResource.district_code),
    Role.INSTITUTE: OwnInstitute(InnovationResource.owner_institute_id),
    Role.PARK_OPERATOR: OnPlatform(InnovationResource.owner_platform_id),
}
RESOURCE_SCOPE = ScopeRule(
    noun="resource",
    readers={**{role: _ON_THE_CATALOGUE for role in Role}, Role.SERVICE: EVERYWHERE,
             **{role: AnyOf((tie, _ON_THE_CATALOGUE)) for role, tie in _OWNERS.items()}},
    managers=_OWNERS,
)
RESOURCES = Records(InnovationResource, RESOURCE_SCOPE)


# --- the calendar -------------------------------------------------------------------------------------------------

def _interval(window: schemas.WindowIn, field: str) -> domain.Interval:
    with refusals():
        try:
            return domain.Interval(window.start, window.end)
        except domain.BookingRefused as refused:
            refused.field = f"{field}.{refused.field}"
            raise


def calendar_of(data: schemas.AvailabilityIn) -> tuple[tuple[domain.Interval, ...], dict[str, Any] | None]:
    """The concrete windows a calendar as given stands for (merged, less its closures), and the weekly hours to keep
    for showing back."""
    windows = [_interval(w, f"availability.windows.{i}") for i, w in enumerate(data.windows)]
    closures = [_interval(w, f"availability.closures.{i}") for i, w in enumerate(data.closures)]
    weekly = None
    if data.weekly is not None:
        first, last = data.weekly.first_day, data.weekly.last_day
        if last < first:
            raise InvalidInput(f"the hours end on {last} before they start on {first}",
                               field="availability.weekly.last_day")
        if (last - first).days >= schemas.MAX_CALENDAR_DAYS:
            raise InvalidInput(f"weekly hours are expanded over at most {schemas.MAX_CALENDAR_DAYS} days at a time",
                               field="availability.weekly.last_day")
        hours = []
        for i, h in enumerate(data.weekly.hours):
            try:
                hours.append(domain.OpeningHours(h.weekday, h.opens, h.closes))
            except ValueError as exc:
                raise InvalidInput(str(exc), field=f"availability.weekly.hours.{i}.closes") from None
        windows += domain.weekly_availability(hours, first, last)
        weekly = data.weekly.model_dump(mode="json")
    merged = domain.subtract(windows, closures)
    if not merged:
        raise InvalidInput("the calendar opens no time at all: give windows or weekly hours", field="availability")
    if len(merged) > schemas.MAX_WINDOWS:
        raise InvalidInput(f"the calendar has {len(merged)} windows, more than {schemas.MAX_WINDOWS}",
                           field="availability")
    return merged, weekly


def _stored(windows: tuple[domain.Interval, ...]) -> list[list[str]]:
    return [[w.start.astimezone(UTC).isoformat(), w.end.astimezone(UTC).isoformat()] for w in windows]


def windows_of(resource: InnovationResource) -> tuple[domain.Interval, ...]:
    return tuple(domain.Interval(datetime.fromisoformat(s), datetime.fromisoformat(e))
                 for s, e in resource.availability)


def domain_resource(resource: InnovationResource) -> domain.Resource:
    return domain.Resource(id=str(resource.id), provider_id=resource.provider_name, kind=resource.kind,
                           name=resource.name, unit=resource.unit, unit_price_fen=resource.unit_price_fen,
                           availability=windows_of(resource), location=resource.location, terms=resource.terms)


# --- reads --------------------------------------------------------------------------------------------------------

def read_model(resource: InnovationResource) -> schemas.ResourceRead:
    return schemas.ResourceRead(
        id=resource.id,
        provider=schemas.ProviderRead(name=resource.provider_name, provider_class=resource.provider_class,
                                      institute_id=resource.owner_institute_id,
                                      platform_id=resource.owner_platform_id),
        availability=[schemas.WindowRead(start=w.start, end=w.end) for w in windows_of(resource)],
        **{f: getattr(resource, f) for f in (
            "kind", "name", "description", "district_code", "location", "unit", "unit_price_fen", "opening_hours",
            "terms", "lead_time_hours", "status", "withdrawal_reason", "withdrawn_at", "created_by", "created_at", "updated_at",
            "version")},
    )


def _state(resource: InnovationResource) -> dict[str, Any]:
    return {"resource_id": resource.id, "kind": resource.kind, "name": resource.name,
            "description": resource.description, "provider_name": resource.provider_name,
            "provider_class": resource.provider_class, "district_code": resource.district_code,
            "location": resource.location, "unit": resource.unit, "unit_price_fen": resource.unit_price_fen,
            "terms": resource.terms, "status": resource.status, "version": resource.version}


# --- use cases ----------------------------------------------------------------------------------------------------

def _owner(actor: Actor, provider: schemas.ProviderIn) -> dict[str, Any]:
    """The owner columns of a new listing: an institute lists as itself, a park operator for one of its platforms;
    an officer or admin may name either owner (or none: the district's officers manage it)."""
    principal = actor.principal
    if provider.institute_id is not None and provider.platform_id is not None:
        raise InvalidInput("a listing is managed by an institute or by a platform, not both", field="provider")
    if principal.role == Role.INSTITUTE:
        if provider.platform_id is not None or provider.institute_id not in (None, principal.institute_id):
            raise PermissionDenied("an institute lists resources only as itself", field="provider.institute_id")
        return {"owner_institute_id": principal.institute_id, "owner_platform_id": None}
    if principal.role == Role.PARK_OPERATOR and provider.institute_id is not None:
        # Naming another owner is a matter of permission, as for an institute naming another institute.
        raise PermissionDenied("a park operator lists resources only for its own platforms",
                               field="provider.institute_id")
    if principal.role == Role.PARK_OPERATOR and provider.platform_id is None:
        raise InvalidInput("a park operator names the platform that provides the resource",
                           field="provider.platform_id")
    return {"owner_institute_id": provider.institute_id, "owner_platform_id": provider.platform_id}


async def create_resource(work: Work, actor: Actor, data: schemas.ResourceCreate) -> schemas.ResourceRead:
    windows, weekly = calendar_of(data.availability)
    columns = {"kind": data.kind, "name": data.name, "description": data.description,
               "provider_name": data.provider.name, "provider_class": data.provider.provider_class,
               **_owner(actor, data.provider), "district_code": data.district_code, "location": data.location,
               "unit": data.unit, "unit_price_fen": data.unit_price_fen, "availability": _stored(windows),
               "opening_hours": weekly, "terms": data.terms, "lead_time_hours": data.lead_time_hours}
    RESOURCE_SCOPE.ensure_manageable(actor, columns)
    async with work(actor) as uow:
        resource = InnovationResource(**columns, status=LISTED, created_by=actor.principal.subject)
        uow.session.add(resource)
        await uow.flush()
        uow.emit(ResourceListed(**_state(resource)), subject=str(resource.id))
        uow.audit("resource.list", "resource", str(resource.id), data.model_dump(mode="json"))
        read = read_model(resource)
    return read


async def get_resource(sessions: Sessions, actor: Actor, resource_id: uuid.UUID) -> schemas.ResourceRead:
    async with sessions() as session:
        return read_model(await RESOURCES.get(session, actor, resource_id))


_ORDER = (Key(InnovationResource.created_at, cursor_datetime), Key(InnovationResource.id, cursor_uuid))


async def list_resources(sessions: Sessions, actor: Actor, *, limit: int, cursor: str | None, kind: str | None,
                         district_code: str | None, provider: str | None,
                         status: str | None) -> tuple[list[schemas.ResourceRead], str | None]:
    """The catalogue as the caller may read it, newest first; ``provider`` matches the provider's name exactly."""
    query = RESOURCES.select(actor)
    for column, value in ((InnovationResource.kind, kind), (InnovationResource.district_code, district_code),
                          (InnovationResource.provider_name, provider), (InnovationResource.status, status)):
        if value is not None:
            query = query.where(column == value)
    async with sessions() as session:
        page, next_cursor = await paginate(session, query, keys=_ORDER, limit=limit, cursor=cursor, descending=True)
    return [read_model(r) for r in page], next_cursor


async def busy_slots(sessions: Sessions, actor: Actor, resource_id: uuid.UUID, *, start: datetime,
                     end: datetime) -> list[schemas.BusySlot]:
    """The slots live bookings hold between ``start`` and ``end`` (at most 400 days), for a firm choosing a time."""
    if not start < end or (end - start).days > schemas.MAX_CALENDAR_DAYS:
        raise InvalidInput(f"to comes after from, at most {schemas.MAX_CALENDAR_DAYS} days later", field="to")
    async with sessions() as session:
        await RESOURCES.get(session, actor, resource_id)
        rows = await session.execute(
            select(Booking.starts_at, Booking.ends_at).where(Booking.resource_id == resource_id,
                                                             Booking.starts_at < end, Booking.ends_at > start,
                                                             _live()).order_by(Booking.starts_at))
    return [schemas.BusySlot(start=s, end=e) for s, e in rows]


def _live() -> Any:
    return Booking.status.in_(LIVE_STATUSES)


async def update_resource(work: Work, actor: Actor, resource_id: uuid.UUID, data: schemas.ResourceUpdate,
                          if_match: str | None) -> schemas.ResourceRead:
    changes = data.model_dump(exclude_unset=True)
    for name in ("name", "provider_name", "provider_class", "district_code", "location", "unit", "unit_price_fen",
                 "availability"):
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} may be changed but not cleared", field=name)
    async with work(actor) as uow:
        resource = await RESOURCES.get_for_change(uow.session, actor, resource_id, if_match=if_match)
        if resource.status != LISTED:
            raise Conflict("a withdrawn resource is not edited", field="status")
        wanted: dict[str, Any] = {k: v for k, v in changes.items() if k != "availability"}
        if data.availability is not None:
            windows, weekly = calendar_of(data.availability)
            await _keep_bookings_inside(uow.session, resource, windows)
            wanted.update(availability=_stored(windows), opening_hours=weekly)
        if "district_code" in wanted and wanted["district_code"] != resource.district_code:
            # Moving a listing to another district needs authority over the new district too.
            RESOURCE_SCOPE.ensure_manageable(actor, {**{c.key: getattr(resource, c.key)
                                                        for c in InnovationResource.__table__.columns},
                                                     "district_code": wanted["district_code"]})
        changed = apply_changes(resource, wanted)
        if changed:
            await uow.flush()
            uow.audit("resource.update", "resource", str(resource.id),
                      {k: v if k != "availability" else {"windows": len(wanted["availability"])}
                       for k, v in changed.items()})
        read = read_model(resource)
    return read


async def _keep_bookings_inside(session: AsyncSession, resource: InnovationResource,
                                windows: tuple[domain.Interval, ...]) -> None:
    """A new calendar may not strand a live booking that has not ended (the firm was promised that time)."""
    rows = (await session.scalars(select(Booking).where(Booking.resource_id == resource.id, _live(),
                                                         Booking.ends_at > utcnow()))).all()
    stranded = [b for b in rows if not any(w.contains(domain.Interval(b.starts_at, b.ends_at)) for w in windows)]
    if stranded:
        raise Conflict(f"the new calendar leaves out {len(stranded)} live booking(s): cancel or move them first",
                       field="availability", bookings=[str(b.id) for b in stranded])


async def withdraw_resource(work: Work, actor: Actor, resource_id: uuid.UUID, data: schemas.ResourceWithdrawal,
                            if_match: str | None) -> schemas.ResourceRead:
    async with work(actor) as uow:
        resource = await RESOURCES.get_for_change(uow.session, actor, resource_id, if_match=if_match)
        if resource.status != LISTED:
            raise Conflict("the resource is already withdrawn", field="status")
        changed = apply_changes(resource, {"status": WITHDRAWN, "withdrawal_reason": data.reason,
                                           "withdrawn_at": utcnow()})
        await uow.flush()
        uow.emit(ResourceWithdrawn(**_state(resource), reason=data.reason), subject=str(resource.id))
        uow.audit("resource.withdraw", "resource", str(resource.id), changed)
        read = read_model(resource)
    return read
