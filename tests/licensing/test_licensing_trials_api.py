"""先用后转 through the API and the daily job, on PostgreSQL and on SQLite: a trial with its conversion agreed up
front, the reminder before its end (once), the paid conversion, the lapse, and a conversion after lapse refused with
the day it lapsed; and the `seedbed licensing trials` command."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from services.licensing.jobs import main as trials_command
from services.licensing.service.licences import run_trial_job
from shared.db import create_engine, session_factory
from tests.licensing.licensing_support import (
    FIRM,
    FIRM_USCC,
    HOLDER,
    OTHER_FIRM,
    OTHER_USCC,
    TODAY,
    add_firms,
    create_patent,
    field_of,
    key,
)
from tests.registry.pools_support import database_url, expect_problem, outbox_payloads
from tests.support import count_rows, service_work, settings_for

ENDING = "seedbed.licensing.licence.trial_ending.v1"
LAPSED = "seedbed.licensing.licence.lapsed.v1"
CONVERTED = "seedbed.licensing.licence.converted.v1"


def trial_body(mode: str = "transfer", start: int = -30, end: int = 10, **changes: Any) -> dict[str, Any]:
    return {"licensee_uscc": FIRM_USCC, "conversion_mode": mode,
            "trial_start": (TODAY + timedelta(days=start)).isoformat(),
            "trial_end": (TODAY + timedelta(days=end)).isoformat(), "price_fen": 30_000_000,
            "insurance_policy_no": "PICC-ZJ-2026-XYHZ-0042", **changes}


async def _trial(client: httpx.AsyncClient, **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    await add_firms(database_url(client), (FIRM_USCC, "330502"), (OTHER_USCC, "330503"))
    patent = await create_patent(client)
    response = await client.post(f"/v1/patents/{patent['id']}/trials", json=trial_body(**body),
                                 headers={**HOLDER, **key()})
    assert response.status_code == 201, response.text
    return patent, response.json()


async def _job(client: httpx.AsyncClient, days: int = 0) -> dict[str, int]:
    engine = create_engine(database_url(client))
    try:
        return await run_trial_job(service_work("licensing", session_factory(engine)), TODAY + timedelta(days=days))
    finally:
        await engine.dispose()


async def _convert(client: httpx.AsyncClient, trial: dict[str, Any], amount: int = 30_000_000,
                   headers: dict[str, str] = FIRM) -> httpx.Response:
    return await client.post(f"/v1/licences/{trial['id']}/conversion",
                             json={"amount_fen": amount, "paid_on": TODAY.isoformat(), "reference": "HZB-TT-1"},
                             headers={**headers, **key()})


async def test_a_trial_is_reminded_once_then_converted_into_a_transfer(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    patent, trial = await _trial(client)
    assert trial["status"] == "trial" and trial["conversion_mode"] == "transfer"
    assert trial["insurance_policy_no"] == "PICC-ZJ-2026-XYHZ-0042"
    assert await _job(client, days=-5) == {"reminded": 0, "lapsed": 0}  # 15 days before the end: not yet
    assert await _job(client) == {"reminded": 1, "lapsed": 0}
    assert await _job(client) == {"reminded": 0, "lapsed": 0}  # once
    [ending] = await outbox_payloads(url, ENDING)
    assert ending["days_left"] == 10 and ending["licensee_uscc"] == FIRM_USCC

    expect_problem(await _convert(client, trial, headers=OTHER_FIRM), 404)
    short = await _convert(client, trial, amount=29_999_999)
    assert field_of(expect_problem(short, 422)) == "amount_fen"
    converted = await _convert(client, trial)
    assert converted.status_code == 201, converted.text
    assert converted.json()["status"] == "converted" and converted.json()["converted_on"] == TODAY.isoformat()
    [event] = await outbox_payloads(url, CONVERTED)
    assert event["conversion_mode"] == "transfer" and event["amount_fen"] == 30_000_000
    after = (await client.get(f"/v1/patents/{patent['id']}", headers=HOLDER)).json()
    assert after["transferred_to_uscc"] == FIRM_USCC
    again = await _convert(client, trial)
    assert "converted" in expect_problem(again, 409)["detail"]
    assert await _job(client, days=30) == {"reminded": 0, "lapsed": 0}  # converted trials never lapse


async def test_a_conversion_after_lapse_is_refused_with_the_day_it_lapsed(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    _, trial = await _trial(client, mode="licence", start=-60, end=-1, price_fen=None,
                            price_formula="首两年净销售额的2%")
    # Past its last day, before the job has run: it has lapsed all the same.
    problem = expect_problem(await _convert(client, trial), 409)
    assert problem["lapsed_on"] == TODAY.isoformat() and "lapsed" in problem["detail"]
    assert await _job(client) == {"reminded": 0, "lapsed": 1}
    [event] = await outbox_payloads(url, LAPSED)
    assert event["lapsed_on"] == TODAY.isoformat()
    licence = (await client.get(f"/v1/licences/{trial['id']}", headers=FIRM)).json()
    assert licence["status"] == "lapsed" and licence["lapsed_on"] == TODAY.isoformat()
    expect_problem(await _convert(client, trial), 409)
    assert await count_rows(url, "payments") == 0
    assert await count_rows(url, "outbox", "WHERE event_type = :t", t=CONVERTED) == 0


async def test_a_conversion_into_a_licence_runs_to_expiry(licensing_client: httpx.AsyncClient) -> None:
    client = licensing_client
    _, trial = await _trial(client, mode="licence")
    converted = await _convert(client, trial, headers=HOLDER)
    assert converted.status_code == 201 and converted.json()["term_end"] is None


async def test_trial_terms_are_agreed_up_front(licensing_client: httpx.AsyncClient) -> None:
    client, url = licensing_client, database_url(licensing_client)
    await add_firms(url, (FIRM_USCC, "330502"))
    patent = await create_patent(client)
    path = f"/v1/patents/{patent['id']}/trials"
    no_price = await client.post(path, json=trial_body(price_fen=None), headers={**HOLDER, **key()})
    assert field_of(expect_problem(no_price, 422)) == "price_fen"
    backwards = await client.post(path, json=trial_body(start=5, end=1), headers={**HOLDER, **key()})
    assert field_of(expect_problem(backwards, 422)) == "term.end"
    assert await count_rows(url, "licences") == 0


async def test_the_trials_command_runs_the_job(licensing_client: httpx.AsyncClient, monkeypatch: Any,
                                               capsys: Any) -> None:
    client = licensing_client
    await _trial(client, start=-20, end=3)
    settings = settings_for("licensing", database_url(client))
    monkeypatch.setenv("SEEDBED_LICENSING_DATABASE_URL", settings.database_url)
    import asyncio

    assert await asyncio.to_thread(trials_command, ["--today", TODAY.isoformat()]) == 0
    assert "1 reminded, 0 lapsed" in capsys.readouterr().out
