"""The deadline job (issue 12 item 4), on PostgreSQL and on SQLite: published scenarios nobody took up by their
deadline are closed by the system with outcome need_lapsed and their closed event; challenges whose application
window passed move on to shortlisting; what is not due is left alone; a second run, or two runs at once
(PostgreSQL), change nothing twice. The same through `seedbed scenarios close-lapsed`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text

from services.scenarios.service.deadlines import JOB_SUBJECT, run_deadlines
from shared.cli import main as seedbed
from shared.db import create_engine, session_factory
from tests.registry.pools_support import database_url, outbox_payloads
from tests.scenarios import challenges_support
from tests.scenarios.support import CLOSED, FIRM, OFFICER, TODAY, create, moved, publish_new
from tests.support import count_rows, service_work

YESTERDAY = TODAY - timedelta(days=1)


async def _set(url: str, table: str, row_id: str, column: str, value: date) -> None:
    """A deadline set in the past behind the API's back (the API refuses to publish one): time passing."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                               {"v": value, "id": uuid.UUID(row_id) if url.startswith("postgresql") else
                                uuid.UUID(row_id).hex})
    finally:
        await engine.dispose()


async def _run(url: str, today: date = TODAY):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        return await run_deadlines(service_work("scenarios", session_factory(engine)), today)
    finally:
        await engine.dispose()


async def test_lapsed_scenarios_close_and_the_rest_is_left(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    lapsed = await publish_new(client, title="无人承接的场景")
    last_day = await publish_new(client, title="今天截止的场景")
    answered = await moved(client, await publish_new(client, title="对接中的场景"), "start_docking", FIRM)
    draft = await create(client, title="草稿")
    for scenario in (lapsed, answered, draft):
        await _set(url, "scenarios", scenario["id"], "deadline", YESTERDAY)
    await _set(url, "scenarios", last_day["id"], "deadline", TODAY)

    run = await _run(url)
    assert [str(i) for i in run.scenarios_closed] == [lapsed["id"]]
    closed = (await client.get(f"/v1/scenarios/{lapsed['id']}", headers=OFFICER)).json()
    assert (closed["status"], closed["outcome"], closed["closed_by"]) == ("closed", "need_lapsed", JOB_SUBJECT)
    assert YESTERDAY.isoformat() in closed["closing_reason"]
    (event,) = await outbox_payloads(url, CLOSED)
    assert event["scenario_id"] == lapsed["id"] and event["outcome"] == "need_lapsed"
    audit = await count_rows(url, "audit_log", "WHERE action = 'scenario.close' AND actor = :job", job=JOB_SUBJECT)
    assert audit == 1
    statuses = {s["id"]: s["status"] for s in (await client.get("/v1/scenarios", headers=OFFICER)).json()["items"]}
    assert (statuses[last_day["id"]], statuses[answered["id"]], statuses[draft["id"]]) == ("published", "docking",
                                                                                           "draft")
    # Again: nothing is due any more.
    again = await _run(url)
    assert again.scenarios_closed == [] and len(await outbox_payloads(url, CLOSED)) == 1
    # The day after, the last-day scenario has lapsed too.
    assert [str(i) for i in (await _run(url, TODAY + timedelta(days=1))).scenarios_closed] == [last_day["id"]]


async def test_a_challenge_whose_application_window_passed_moves_on(scenarios_client: httpx.AsyncClient) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    due = await challenges_support.open_for_applications(client)
    still_open = await challenges_support.open_for_applications(client, title="仍在申报期的榜单")
    await _set(url, "challenges", due["id"], "application_deadline", YESTERDAY)
    run = await _run(url)
    assert [str(i) for i in run.challenges_moved_on] == [due["id"]]
    moved_on = (await client.get(f"/v1/challenges/{due['id']}", headers=challenges_support.OFFICER)).json()
    assert moved_on["status"] == "shortlisting"
    assert (await client.get(f"/v1/challenges/{still_open['id']}", headers=challenges_support.OFFICER)
            ).json()["status"] == "applications_open"
    assert await count_rows(url, "audit_log", "WHERE action = 'challenge.close_applications' AND actor = :job",
                            job=JOB_SUBJECT) == 1
    assert (await _run(url)).challenges_moved_on == []


async def test_two_runs_at_once_close_each_scenario_once(scenarios_client: httpx.AsyncClient) -> None:
    if scenarios_client.backend != "postgres":  # type: ignore[attr-defined]
        pytest.skip("the race is run on PostgreSQL")
    client, url = scenarios_client, database_url(scenarios_client)
    for n in range(4):
        scenario = await publish_new(client, title=f"过期场景{n}")
        await _set(url, "scenarios", scenario["id"], "deadline", YESTERDAY)
    runs = await asyncio.gather(*(_run(url) for _ in range(3)))
    assert sum(len(r.scenarios_closed) for r in runs) == 4
    assert len(await outbox_payloads(url, CLOSED)) == 4
    assert await count_rows(url, "audit_log", "WHERE action = 'scenario.close'") == 4


async def test_the_command_line_runs_the_job(scenarios_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    client, url = scenarios_client, database_url(scenarios_client)
    scenario = await publish_new(client)
    await _set(url, "scenarios", scenario["id"], "deadline", YESTERDAY)
    monkeypatch.setenv("SEEDBED_SCENARIOS_DATABASE_URL", url)
    assert await asyncio.to_thread(seedbed, ["scenarios", "close-lapsed"]) == 0
    assert "1 scenarios closed" in capsys.readouterr().out
    assert await asyncio.to_thread(seedbed, ["scenarios", "close-lapsed", "--today", TODAY.isoformat()]) == 0
    assert "0 scenarios closed" in capsys.readouterr().out
    assert await asyncio.to_thread(seedbed, ["scenarios", "no-such-job"]) == 2
