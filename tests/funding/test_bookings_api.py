"""Bookings of innovation resources through the funding API, on PostgreSQL and SQLite: a firm books inside the
calendar and pays per started unit; no two live bookings of one resource overlap (half-open intervals: back to back
is fine), also when many firms race for one slot; cancelling frees the slot; the provider delivers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from shared.auth import Role
from shared.db import create_engine
from tests.funding.resources_support import (
    ADMIN,
    FIRM,
    FIRM_USCC,
    INSTITUTE,
    MONDAY,
    OFFICER,
    OTHER_FIRM,
    OTHER_INSTITUTE,
    OTHER_OFFICER,
    OTHER_USCC,
    add_firms,
    at,
    book,
    create_resource,
)
from tests.registry.pools_support import expect_problem
from tests.support import count_rows, make_uscc, token

RACERS = 20


def _url(client: httpx.AsyncClient) -> str:
    return client.database_url  # type: ignore[attr-defined,no-any-return]


async def test_a_firm_books_inside_the_calendar_and_pays_per_started_hour(funding_client: httpx.AsyncClient) -> None:
    await add_firms(_url(funding_client), [FIRM_USCC])
    resource = await create_resource(funding_client)
    response = await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10, 30), purpose="镀层截面观察")
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["fee_fen"] == 2 * 60_000  # 90 minutes are two started machine hours
    assert booking["status"] == "booked" and booking["enterprise_uscc"] == FIRM_USCC
    assert booking["starts_at"] == f"{MONDAY.isoformat()}T01:00:00Z"
    assert response.headers["Location"] == f"/v1/bookings/{booking['id']}"
    # The firm, the provider and the district's officer see it; another firm and another institute do not.
    for headers in (FIRM, INSTITUTE, OFFICER, ADMIN, token(Role.SERVICE)):
        assert (await funding_client.get(f"/v1/bookings/{booking['id']}", headers=headers)).status_code == 200
    for headers in (OTHER_FIRM, OTHER_INSTITUTE, OTHER_OFFICER):
        expect_problem(await funding_client.get(f"/v1/bookings/{booking['id']}", headers=headers), 404)
        assert (await funding_client.get("/v1/bookings", headers=headers)).json()["items"] == []
    mine = await funding_client.get("/v1/bookings", params={"resource_id": resource["id"]}, headers=FIRM)
    assert [b["id"] for b in mine.json()["items"]] == [booking["id"]]
    busy = await funding_client.get(f"/v1/resources/{resource['id']}/busy",
                                    params={"from": at(MONDAY, 0), "to": at(MONDAY + timedelta(days=1), 0)},
                                    headers=OTHER_FIRM)
    assert busy.json() == [{"start": f"{MONDAY.isoformat()}T01:00:00Z", "end": f"{MONDAY.isoformat()}T02:30:00Z"}]
    assert await count_rows(_url(funding_client), "resource_bookings",
                            "WHERE enterprise_district_code = '330502' AND enterprise_sector = 'advanced_manufacturing'") == 1


async def test_an_overlapping_booking_is_refused_naming_the_slot_and_back_to_back_is_fine(
        funding_client: httpx.AsyncClient) -> None:
    resource = await create_resource(funding_client)
    first = await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10))
    assert first.status_code == 201
    problem = expect_problem(await book(funding_client, resource, at(MONDAY, 9, 30), at(MONDAY, 11),
                                        headers=OTHER_FIRM), 409)
    assert problem["code"] == "overlaps" and problem["errors"][0]["field"] == "starts_at"
    assert "09:00–" in problem["detail"] and "10:00" in problem["detail"]
    assert problem["conflicting"][0]["booking_id"] == first.json()["id"]
    assert problem["slot"] == {"starts_at": f"{MONDAY.isoformat()}T01:30:00+00:00",
                               "ends_at": f"{MONDAY.isoformat()}T03:00:00+00:00"}
    back_to_back = await book(funding_client, resource, at(MONDAY, 10), at(MONDAY, 11), headers=OTHER_FIRM)
    assert back_to_back.status_code == 201, back_to_back.text
    assert await count_rows(_url(funding_client), "resource_bookings") == 2


@pytest.mark.parametrize(("start", "end", "field"), [
    ((0, 11), (0, 12, 30), "start"),  # runs into the lunch gap
    ((5, 9), (5, 10), "start"),  # Saturday
    ((0, 10), (0, 9), "end"),  # ends before it starts
])
async def test_a_booking_outside_the_calendar_or_empty_is_refused(
        funding_client: httpx.AsyncClient, start: tuple[int, ...], end: tuple[int, ...], field: str) -> None:
    resource = await create_resource(funding_client)
    problem = expect_problem(await book(funding_client, resource, at(MONDAY + timedelta(days=start[0]), *start[1:]),
                                        at(MONDAY + timedelta(days=end[0]), *end[1:])), 422)
    assert problem["errors"][0]["field"] == field
    assert await count_rows(_url(funding_client), "resource_bookings") == 0


async def test_bad_booking_requests_name_the_field(funding_client: httpx.AsyncClient) -> None:
    resource = await create_resource(funding_client)
    naive = expect_problem(await book(funding_client, resource, "2026-12-14T09:00:00", at(MONDAY, 10)), 422)
    assert naive["errors"][0]["field"] == "starts_at"
    expect_problem(await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10), quantity=0), 422)
    expect_problem(await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10), quantity=True), 422)
    other = expect_problem(await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10),
                                      enterprise_uscc=OTHER_USCC), 403)
    assert other["errors"][0]["field"] == "enterprise_uscc"
    expect_problem(await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10), headers=ADMIN), 422)
    expect_problem(await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10), headers=INSTITUTE), 403)
    expect_problem(await book(funding_client, {"id": str(uuid.uuid4())}, at(MONDAY, 9), at(MONDAY, 10)), 404)
    assert await count_rows(_url(funding_client), "resource_bookings") == 0


async def test_cancelling_frees_the_slot_and_the_provider_delivers(funding_client: httpx.AsyncClient) -> None:
    resource = await create_resource(funding_client)
    booking = (await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10))).json()
    path = f"/v1/bookings/{booking['id']}/transitions"
    refused = expect_problem(await funding_client.post(path, json={"action": "deliver"}, headers=FIRM), 403)
    assert refused["code"] == "actor_not_allowed"
    expect_problem(await funding_client.post(path, json={"action": "cancel"}, headers=OTHER_FIRM), 404)
    stale = await funding_client.post(path, json={"action": "cancel"}, headers={**FIRM, "If-Match": '"9"'})
    expect_problem(stale, 412)
    cancelled = await funding_client.post(path, json={"action": "cancel", "reason": "样品未备齐"}, headers=FIRM)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancellation_reason"] == "样品未备齐"
    again = expect_problem(await funding_client.post(path, json={"action": "cancel"}, headers=FIRM), 409)
    assert again["code"] == "transition_not_allowed" and again["allowed"] == []
    retaken = await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10), headers=OTHER_FIRM)
    assert retaken.status_code == 201, retaken.text
    delivered = await funding_client.post(f"/v1/bookings/{retaken.json()['id']}/transitions",
                                          json={"action": "deliver"}, headers=INSTITUTE)
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    assert delivered.json()["delivered_at"] is not None
    # A delivered booking still holds its time.
    expect_problem(await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 9, 30)), 409)
    assert await count_rows(_url(funding_client), "audit_log", "WHERE action LIKE 'booking.%'") == 4


async def test_many_firms_racing_for_one_slot_leave_exactly_one_booking(funding_client: httpx.AsyncClient) -> None:
    """On PostgreSQL the resource's row lock decides (the exclusion constraint behind it); on SQLite its one write
    lock: on both, one winner and a 409 naming the slot for every other firm."""
    resource = await create_resource(funding_client)
    firms = [token(Role.ENTERPRISE, uscc=make_uscc(6000 + i)) for i in range(RACERS)]
    # Each firm asks for a slot that overlaps every other one (09:00–10:00 shifted by a minute or two).
    answers = await asyncio.gather(*(book(funding_client, resource, at(MONDAY, 9, i % 3), at(MONDAY, 10, i % 3),
                                          headers=headers) for i, headers in enumerate(firms)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (RACERS - 1), [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 201)
    for loser in (a.json() for a in answers if a.status_code == 409):
        assert loser["code"] == "overlaps" and loser["conflicting"][0]["booking_id"] == winner["id"]
        assert "slot" in loser and "09:0" in loser["detail"]
    assert await count_rows(_url(funding_client), "resource_bookings") == 1


async def test_postgres_refuses_an_overlap_even_written_behind_the_use_case(funding_client: httpx.AsyncClient) -> None:
    """The exclusion constraint is the database's own guard: a row written without the resource's lock (a repair
    by hand, a path that forgot it) still cannot overlap a live booking; a cancelled one does not count."""
    if funding_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("exclusion constraints are PostgreSQL's")
    resource = await create_resource(funding_client)
    booking = (await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10))).json()
    copy = ("INSERT INTO resource_bookings (id, resource_id, enterprise_uscc, resource_kind, provider_name, "
            "district_code, starts_at, ends_at, quantity, fee_fen, voucher_ids, status, purpose, created_by, "
            "created_at, updated_at, version) SELECT :id, resource_id, enterprise_uscc, resource_kind, provider_name, "
            "district_code, starts_at + interval '30 minutes', ends_at, quantity, fee_fen, voucher_ids, :status, "
            "purpose, created_by, created_at, updated_at, 1 FROM resource_bookings WHERE id = :source")
    engine = create_engine(_url(funding_client))
    try:
        with pytest.raises(Exception, match="ex_resource_bookings_no_overlap"):
            async with engine.begin() as conn:
                await conn.execute(text(copy), {"id": uuid.uuid4(), "status": "booked",
                                                "source": uuid.UUID(booking["id"])})
        async with engine.begin() as conn:
            await conn.execute(text(copy), {"id": uuid.uuid4(), "status": "cancelled",
                                            "source": uuid.UUID(booking["id"])})
    finally:
        await engine.dispose()
    assert await count_rows(_url(funding_client), "resource_bookings") == 2


async def test_a_resource_listed_without_a_provider_account_is_delivered_by_its_officers(
        funding_client: httpx.AsyncClient) -> None:
    data = await create_resource(funding_client, headers=OFFICER, kind="data_set", name="规上工业企业用能数据产品",
                                 provider={"name": "湖州市公共数据授权运营平台", "provider_class": "data_operator"},
                                 unit="booking", unit_price_fen=500_000)
    booking = (await book(funding_client, data, at(MONDAY, 9), at(MONDAY, 10))).json()
    assert booking["fee_fen"] == 500_000  # a flat fee per booking
    path = f"/v1/bookings/{booking['id']}/transitions"
    expect_problem(await funding_client.post(path, json={"action": "deliver"}, headers=OTHER_OFFICER), 404)
    delivered = await funding_client.post(path, json={"action": "deliver"}, headers=OFFICER)
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    # An institute's own resource is delivered by the institute, not by the district's officer.
    sem = await create_resource(funding_client)
    other = (await book(funding_client, sem, at(MONDAY, 9), at(MONDAY, 10))).json()
    refused = expect_problem(await funding_client.post(f"/v1/bookings/{other['id']}/transitions",
                                                       json={"action": "deliver"}, headers=OFFICER), 403)
    assert refused["code"] == "actor_not_allowed"


async def test_an_overlap_the_database_refuses_is_answered_409_naming_the_slot(funding_client: httpx.AsyncClient) -> None:
    """The kit turns PostgreSQL's exclusion violation into the constraint's conflict words (shared/uow.py), as it does
    a unique one: a use case that wrote around the lock would still answer 409, never 500."""
    if funding_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("exclusion constraints are PostgreSQL's")
    from services.funding.models import Booking
    from shared.db import session_factory
    from shared.errors import Conflict
    from tests.support import service_work

    resource = await create_resource(funding_client)
    held = (await book(funding_client, resource, at(MONDAY, 9), at(MONDAY, 10))).json()
    engine = create_engine(_url(funding_client))
    try:
        work = service_work("funding", session_factory(engine))
        with pytest.raises(Conflict) as refused:
            async with work(None) as uow:
                copy = {c.key: v for c in Booking.__table__.columns
                        if (v := held.get(c.key)) is not None and c.key not in ("id", "version")}
                uow.session.add(Booking(**{**copy, "resource_id": uuid.UUID(held["resource_id"]),
                                           "starts_at": datetime.fromisoformat(held["starts_at"]),
                                           "ends_at": datetime.fromisoformat(held["ends_at"]),
                                           "created_at": datetime.fromisoformat(held["created_at"]),
                                           "updated_at": datetime.fromisoformat(held["updated_at"]),
                                           "voucher_ids": [], "created_by": "test"}))
                uow.audit("booking.create", "booking", "copy", {})
                await uow.flush()
    finally:
        await engine.dispose()
    assert refused.value.field == "starts_at" and "already booked" in refused.value.detail
