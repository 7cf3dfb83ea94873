"""The innovation-resource pool (创新要素供给池): what is opened to firms, and bookings of it. Pure: no I/O.

The catalogue lists large scientific instruments, research facilities and testing services, data sets and computing
power, each with its provider, unit price, location, terms and an availability calendar (REFERENCE §12.1: the
provincial platform lists "opening hours, fee, service scope and contact" for each instrument; §12.3, §12.5).

Bookings are **half-open intervals** ``[start, end)`` of aware datetimes: a booking that ends at 10:00 and one that
starts at 10:00 do not overlap, so back-to-back slots are allowed. A resource is one bookable unit (one instrument,
one compute node, one data-set licence seat): two live bookings of it never overlap (:func:`check_booking`). A
resource with several identical units is listed once per unit. A booking lies wholly inside the resource's
availability: inside one window after touching and overlapping windows are merged, so a booking may run across two
adjacent windows (08:00–12:00 and 12:00–18:00) but not across a gap (lunch, a closed day).

Availability is kept as concrete windows; :func:`weekly_availability` expands weekly opening hours in the
programme's zone (Asia/Shanghai, DESIGN §4.6) over a date range, less closures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.funding.domain.actors import Actor
from services.funding.domain.errors import FundingRuleError
from services.funding.domain.money import require_fen

PROGRAMME_ZONE = ZoneInfo("Asia/Shanghai")  # opening hours are civil times where the lab is


class ResourceKind(StrEnum):
    INSTRUMENT = "instrument"  # 大型科学仪器
    FACILITY = "facility"  # 科研设施 / 中试平台
    TESTING_SERVICE = "testing_service"  # 检验检测服务
    DATA_SET = "data_set"  # 数据集 / 数据产品 (public data: "可用不可见" through an authorised operator, §12.5)
    COMPUTE = "compute"  # 算力


class ProviderClass(StrEnum):
    """REFERENCE §12.6 ``Provider.class``."""

    PROVINCIAL_CARRIER = "provincial_carrier"  # 省级载体: 科研院所, 高校, 重点实验室, 企业研究院 …
    LOCAL_CARRIER = "local_carrier"  # 地方载体: approved by a 设区市 S&T bureau
    TESTING_BODY = "testing_body"  # 检测机构
    COMPUTE_CENTRE = "compute_centre"  # 智算中心 / 算力服务商
    DATA_OPERATOR = "data_operator"  # 数据授权运营方


class PriceUnit(StrEnum):
    HOUR = "hour"  # per started hour of the booking (机时)
    DAY = "day"  # per started 24 hours
    ITEM = "item"  # per sample or test item: the booking states the quantity
    BOOKING = "booking"  # a flat fee for the booking (a data-set licence for the period)


class BookingStatus(StrEnum):
    BOOKED = "booked"
    DELIVERED = "delivered"  # the provider delivered the service (and may redeem a voucher for it)
    CANCELLED = "cancelled"


BLOCKING = frozenset({BookingStatus.BOOKED, BookingStatus.DELIVERED})  # statuses that hold the resource's time


class BookingAction(StrEnum):
    DELIVER = "deliver"
    CANCEL = "cancel"


class BookingRefused(FundingRuleError):
    """A booking outside the calendar, overlapping another, or a move its state does not have."""


@dataclass(frozen=True)
class Interval:
    """``[start, end)``, both aware datetimes (a time without a zone is refused: it could be any instant)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
                raise BookingRefused("naive_time", f"{name} must be a datetime with a time zone, not {value!r}",
                                     field=name)
        if not self.start < self.end:
            raise BookingRefused("empty_interval", f"the interval ends ({self.end.isoformat()}) before it starts "
                                 f"({self.start.isoformat()})", field="end")

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def merge(windows: Iterable[Interval]) -> tuple[Interval, ...]:
    """The windows sorted, with overlapping and touching ones joined."""
    merged: list[Interval] = []
    for window in sorted(windows, key=lambda w: (w.start, w.end)):
        if merged and window.start <= merged[-1].end:
            if window.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, window.end)
        else:
            merged.append(window)
    return tuple(merged)


def subtract(windows: Iterable[Interval], closures: Iterable[Interval]) -> tuple[Interval, ...]:
    """The windows less the closures (a maintenance day, a holiday)."""
    remaining = list(merge(windows))
    for closure in merge(closures):
        pieces: list[Interval] = []
        for window in remaining:
            if not window.overlaps(closure):
                pieces.append(window)
                continue
            if window.start < closure.start:
                pieces.append(Interval(window.start, closure.start))
            if closure.end < window.end:
                pieces.append(Interval(closure.end, window.end))
        remaining = pieces
    return tuple(remaining)


@dataclass(frozen=True)
class OpeningHours:
    """Open on ``weekday`` (0 = Monday) from ``opens`` to ``closes``, civil time in the programme's zone."""

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday is 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if not self.opens < self.closes:
            raise ValueError("opening hours close after they open (a night shift is two entries)")


def weekly_availability(hours: Iterable[OpeningHours], first_day: date, last_day: date,
                        closures: Iterable[Interval] = (), zone: ZoneInfo = PROGRAMME_ZONE) -> tuple[Interval, ...]:
    """Concrete windows for every day from ``first_day`` to ``last_day`` (inclusive), less ``closures``."""
    hours = tuple(hours)
    windows = []
    day = first_day
    while day <= last_day:
        for h in hours:
            if h.weekday == day.weekday():
                windows.append(Interval(datetime.combine(day, h.opens, zone), datetime.combine(day, h.closes, zone)))
        day += timedelta(days=1)
    return subtract(windows, closures)


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    provider_class: ProviderClass
    district_code: str | None = None
    approved_by: str = ""  # 地方载体: the 设区市 S&T bureau that approved it (§12.2)


@dataclass(frozen=True)
class Resource:
    """One bookable unit of the catalogue."""

    id: str
    provider_id: str
    kind: ResourceKind
    name: str
    unit: PriceUnit
    unit_price_fen: int
    availability: tuple[Interval, ...] = ()
    location: str = ""
    terms: str = ""  # 服务范围 / 使用条件, as the provider writes them

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ResourceKind(self.kind))
        object.__setattr__(self, "unit", PriceUnit(self.unit))
        object.__setattr__(self, "availability", merge(self.availability))
        require_fen(self.unit_price_fen, "unit_price_fen")


@dataclass(frozen=True)
class Booking:
    id: str
    resource_id: str
    enterprise_id: str
    interval: Interval
    quantity: int = 1  # items, for a resource priced per item
    status: BookingStatus = BookingStatus.BOOKED

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", BookingStatus(self.status))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 1:
            raise BookingRefused("invalid_quantity", f"a booking is for at least one item, not {self.quantity!r}",
                                 field="quantity")


def within_availability(resource: Resource, interval: Interval) -> bool:
    return any(window.contains(interval) for window in resource.availability)


def conflicts(existing: Iterable[Booking], interval: Interval) -> tuple[Booking, ...]:
    """The live bookings (booked or delivered) that overlap ``interval``; cancelled ones free their time."""
    return tuple(b for b in existing if b.status in BLOCKING and b.interval.overlaps(interval))


def check_booking(resource: Resource, existing: Iterable[Booking], interval: Interval) -> None:
    """BookingRefused unless ``interval`` lies inside the resource's availability and overlaps none of its live
    bookings (``existing``: the resource's bookings; the service reads them with the resource's row locked)."""
    if not within_availability(resource, interval):
        raise BookingRefused("outside_availability", f"{resource.name} is not available for the whole of "
                             f"{interval.start.isoformat()}–{interval.end.isoformat()}", field="start",
                             resource_id=resource.id)
    clashing = conflicts((b for b in existing if b.resource_id == resource.id), interval)
    if clashing:
        raise BookingRefused("overlaps", f"{resource.name} is already booked for part of that time "
                             f"({', '.join(b.id for b in clashing)})", field="start",
                             conflicting=[b.id for b in clashing])


def check_lead_time(starts_at: datetime, now: datetime, lead_time_hours: int) -> None:
    """A booking starts in the future, and no sooner than the provider's lead time (提前预约: the hours it needs to
    prepare; "提前一个工作日" is 24). BookingRefused naming ``starts_at`` and the earliest start otherwise."""
    if starts_at <= now:
        raise BookingRefused("in_the_past", f"the booking starts at {starts_at.isoformat()}, which is not in the "
                             "future", field="starts_at", now=now.isoformat())
    earliest = now + timedelta(hours=lead_time_hours)
    if starts_at < earliest:
        raise BookingRefused("inside_lead_time", f"the provider takes bookings {lead_time_hours} hours ahead: the "
                             f"earliest start now is {earliest.isoformat()}", field="starts_at",
                             lead_time_hours=lead_time_hours, earliest_start=earliest.isoformat())


def book(resource: Resource, existing: Iterable[Booking], *, id: str, enterprise_id: str, interval: Interval,
         quantity: int = 1) -> Booking:
    check_booking(resource, existing, interval)
    return Booking(id, resource.id, enterprise_id, interval, quantity)


def _started_units(duration: timedelta, unit: timedelta) -> int:
    whole, rest = divmod(duration, unit)
    return whole + (1 if rest else 0)


def fee(resource: Resource, booking: Booking) -> int:
    """The booking's price in fen: time units are charged per *started* unit (a 90-minute slot is 2 machine
    hours), as instrument-sharing price lists charge 机时."""
    if resource.unit == PriceUnit.HOUR:
        units = _started_units(booking.interval.duration, timedelta(hours=1))
    elif resource.unit == PriceUnit.DAY:
        units = _started_units(booking.interval.duration, timedelta(days=1))
    elif resource.unit == PriceUnit.ITEM:
        units = booking.quantity
    else:
        units = 1
    return resource.unit_price_fen * units


@dataclass(frozen=True)
class BookingRule:
    source: BookingStatus
    action: BookingAction
    target: BookingStatus
    actors: frozenset[Actor]


BOOKING_TRANSITIONS: tuple[BookingRule, ...] = (
    BookingRule(BookingStatus.BOOKED, BookingAction.DELIVER, BookingStatus.DELIVERED, frozenset({Actor.PROVIDER})),
    BookingRule(BookingStatus.BOOKED, BookingAction.CANCEL, BookingStatus.CANCELLED,
                frozenset({Actor.ENTERPRISE, Actor.PROVIDER, Actor.OFFICER})),
)


def transition(booking: Booking, action: BookingAction | str, actor: Actor) -> Booking:
    """Deliver or cancel a booking; BookingRefused naming the allowed moves otherwise."""
    options = [r for r in BOOKING_TRANSITIONS if r.source == booking.status]
    rule = next((r for r in options if r.action == action), None)
    shown = ", ".join(f"{r.action} (by {'/'.join(sorted(r.actors))})" for r in options) or "none: the state is final"
    if rule is None:
        raise BookingRefused("transition_not_allowed", f"the booking is {booking.status}; {action} is not one of its "
                             f"transitions (allowed: {shown})", field="action", allowed=[str(r.action) for r in options])
    if actor not in rule.actors:
        raise BookingRefused("actor_not_allowed", f"{action} of a booking is for {'/'.join(sorted(rule.actors))}, not "
                             f"{actor}", field="action", allowed=[str(r.action) for r in options])
    return replace(booking, status=rule.target)
