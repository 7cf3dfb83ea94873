"""The innovation-resource catalogue and bookings (services.funding.domain.resources)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.funding.domain.actors import Actor
from services.funding.domain.money import wan
from services.funding.domain.resources import (
    PROGRAMME_ZONE,
    Booking,
    BookingAction,
    BookingRefused,
    BookingStatus,
    Interval,
    OpeningHours,
    PriceUnit,
    Resource,
    ResourceKind,
    book,
    check_booking,
    fee,
    merge,
    subtract,
    transition,
    weekly_availability,
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """June 2026, Shanghai time (1 June is a Monday)."""
    return datetime(2026, 6, day, hour, minute, tzinfo=PROGRAMME_ZONE)


def slot(day: int, start: int, end: int) -> Interval:
    return Interval(at(day, start), at(day, end))


WEEKDAYS = [OpeningHours(d, time(8, 30), time(12)) for d in range(5)] + \
           [OpeningHours(d, time(13, 30), time(17, 30)) for d in range(5)]
SEM = Resource("res-sem", "prov-zju-huzhou", ResourceKind.INSTRUMENT, "场发射扫描电子显微镜 (SEM)", PriceUnit.HOUR,
               wan("0.06"), weekly_availability(WEEKDAYS, date(2026, 6, 1), date(2026, 6, 30)),
               location="浙江大学湖州研究院 2号楼", terms="需经培训的操作员陪同")


def test_weekly_hours_become_concrete_windows() -> None:
    monday = [w for w in SEM.availability if w.start.date() == date(2026, 6, 1)]
    assert monday == [Interval(at(1, 8, 30), at(1, 12)), Interval(at(1, 13, 30), at(1, 17, 30))]
    assert not any(w.start.date() == date(2026, 6, 6) for w in SEM.availability)  # Saturday
    assert len(SEM.availability) == 22 * 2  # 22 weekdays in June 2026


def test_closures_cut_windows() -> None:
    maintenance = Interval(at(3, 10), at(4, 9))
    windows = weekly_availability(WEEKDAYS, date(2026, 6, 3), date(2026, 6, 4), [maintenance])
    assert windows == (Interval(at(3, 8, 30), at(3, 10)), Interval(at(4, 9), at(4, 12)),
                       Interval(at(4, 13, 30), at(4, 17, 30)))


def test_merge_joins_touching_and_overlapping_windows() -> None:
    assert merge([slot(1, 12, 18), slot(1, 8, 12), slot(1, 9, 10)]) == (slot(1, 8, 18),)
    assert merge([slot(1, 8, 9), slot(1, 10, 11)]) == (slot(1, 8, 9), slot(1, 10, 11))
    assert subtract([slot(1, 8, 18)], [slot(1, 8, 18)]) == ()


def test_intervals_are_half_open() -> None:
    assert not slot(1, 9, 10).overlaps(slot(1, 10, 11))  # back to back
    assert slot(1, 9, 11).overlaps(slot(1, 10, 12))
    assert slot(1, 9, 12).overlaps(slot(1, 10, 11))
    assert slot(1, 9, 10).overlaps(slot(1, 9, 10))


def test_intervals_need_a_zone_and_a_positive_length() -> None:
    with pytest.raises(BookingRefused) as naive:
        Interval(datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 10))
    assert naive.value.code == "naive_time"
    with pytest.raises(BookingRefused) as empty:
        Interval(at(1, 10), at(1, 10))
    assert empty.value.code == "empty_interval"
    # The same instants in UTC compare with Shanghai times.
    assert Interval(datetime(2026, 6, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, 2, tzinfo=UTC)) == slot(1, 9, 10)


def test_a_booking_inside_one_window_is_taken() -> None:
    booking = book(SEM, [], id="b-1", enterprise_id="ent-1", interval=Interval(at(1, 8, 30), at(1, 12)))
    assert booking.status == BookingStatus.BOOKED


@pytest.mark.parametrize("interval", [
    Interval(at(1, 8), at(1, 9)),  # before opening
    Interval(at(1, 11), at(1, 14)),  # across the lunch break
    Interval(at(6, 9), at(6, 10)),  # a Saturday
    Interval(at(30, 17), at(30, 18)),  # past closing
])
def test_a_booking_outside_the_calendar_is_refused(interval: Interval) -> None:
    with pytest.raises(BookingRefused) as refused:
        check_booking(SEM, [], interval)
    assert refused.value.code == "outside_availability"


def test_a_booking_may_span_adjacent_windows() -> None:
    split = Resource("r", "p", "compute", "A100 节点 3", "hour", 1,
                     (slot(1, 0, 12), slot(1, 12, 23)))
    check_booking(split, [], slot(1, 10, 14))


def test_overlapping_bookings_of_one_resource_are_refused_naming_the_conflict() -> None:
    first = Booking("b-1", SEM.id, "ent-1", slot(2, 9, 11))
    with pytest.raises(BookingRefused) as refused:
        check_booking(SEM, [first], Interval(at(2, 10, 30), at(2, 11, 30)))
    assert refused.value.code == "overlaps" and refused.value.extra["conflicting"] == ["b-1"]
    check_booking(SEM, [first], slot(2, 11, 12))  # back to back is fine
    other_resource = Booking("b-2", "res-xrd", "ent-1", slot(2, 9, 11))
    check_booking(SEM, [other_resource], slot(2, 9, 11))


def test_a_cancelled_booking_frees_its_time_and_a_delivered_one_does_not() -> None:
    first = Booking("b-1", SEM.id, "ent-1", slot(2, 9, 11))
    cancelled = transition(first, BookingAction.CANCEL, Actor.ENTERPRISE)
    check_booking(SEM, [cancelled], slot(2, 9, 11))
    delivered = transition(first, BookingAction.DELIVER, Actor.PROVIDER)
    with pytest.raises(BookingRefused):
        check_booking(SEM, [delivered], slot(2, 9, 11))


def test_booking_transitions() -> None:
    first = Booking("b-1", SEM.id, "ent-1", slot(2, 9, 11))
    with pytest.raises(BookingRefused) as actor:
        transition(first, BookingAction.DELIVER, Actor.ENTERPRISE)  # only the provider confirms delivery
    assert actor.value.code == "actor_not_allowed"
    delivered = transition(first, "deliver", Actor.PROVIDER)
    with pytest.raises(BookingRefused) as final:
        transition(delivered, BookingAction.CANCEL, Actor.PROVIDER)
    assert final.value.code == "transition_not_allowed" and final.value.extra["allowed"] == []


def test_fees_per_started_unit() -> None:
    assert fee(SEM, Booking("b", SEM.id, "e", Interval(at(1, 9), at(1, 10, 30)))) == 2 * wan("0.06")
    assert fee(SEM, Booking("b", SEM.id, "e", slot(1, 9, 10))) == wan("0.06")
    testing = Resource("t", "p", ResourceKind.TESTING_SERVICE, "RoHS 检测", PriceUnit.ITEM, 80000)
    assert fee(testing, Booking("b", "t", "e", slot(1, 9, 10), quantity=12)) == 960000
    data = Resource("d", "p", ResourceKind.DATA_SET, "湖州工业企业能耗数据产品", PriceUnit.BOOKING, wan(2))
    assert fee(data, Booking("b", "d", "e", Interval(at(1, 0), at(1, 0) + timedelta(days=90)))) == wan(2)
    daily = Resource("f", "p", ResourceKind.FACILITY, "中试车间", PriceUnit.DAY, wan("0.5"))
    assert fee(daily, Booking("b", "f", "e", Interval(at(1, 8), at(2, 9)))) == wan(1)


def test_bad_quantities_and_prices() -> None:
    with pytest.raises(BookingRefused):
        Booking("b", "r", "e", slot(1, 9, 10), quantity=0)
    with pytest.raises(TypeError):
        Resource("r", "p", "instrument", "x", "hour", 12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        OpeningHours(7, time(8), time(9))
    with pytest.raises(ValueError):
        OpeningHours(0, time(18), time(8))
